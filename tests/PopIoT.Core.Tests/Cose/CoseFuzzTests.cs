using System;
using System.Collections.Generic;

using PopIoT.Core.Cose;

using Xunit;
using Xunit.Abstractions;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;

namespace PopIoT.Core.Tests.Cose;

/// <summary>
/// Bad input (DESIGN.md §7): random mutations and truncations of valid messages through every
/// verifier. Never an exception, always a defined reason, and a payload slice only when valid and
/// inside the window.
/// </summary>
public class CoseFuzzTests
{
    private const int Seed = 9052;
    private const int Cases = 12_000;
    private readonly ITestOutputHelper _output;

    public CoseFuzzTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Mutated_messages_never_throw_and_always_give_a_defined_reason()
    {
        byte[][] seeds =
        [
            Vector("A.3_signed_cwt_sign1_es256_hex"),
            StripCwtTag(Vector("A.4_maced_cwt_tag61_mac0_hmac256_64_hex")),
            Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex"),
            Vector("A.6_nested_cwt_encrypt0_of_sign1_hex"),
            Vector("A.7_maced_cwt_float_iat_hex"),
            HandMadeMac0(Vector("A.2.2_k_hex"), Map(w => { w.WriteStartMap(3); w.WriteInt32(1); w.WriteInt32(4); w.WriteInt32(2); w.WriteStartArray(1); w.WriteInt32(3); w.WriteEndArray(); w.WriteInt32(3); w.WriteTextString("a/b"); w.WriteEndMap(); }), w => { w.WriteStartMap(2); w.WriteTextString("x"); w.WriteStartArray(1); w.WriteDouble(1.5); w.WriteEndArray(); w.WriteInt32(6); w.WriteByteString([1]); w.WriteEndMap(); }, [1, 2, 3]),
        ];
        using var sign1 = new CoseSign1(Platform, KeyEcdsa256Public());
        using var mac0 = new CoseMac0(Managed, KeySymmetric256Hmac());
        using var enc = new CoseEncrypt0(Managed, KeySymmetric128());
        var rng = SeededRandomSource.NewRandom(Seed);
        var result = new CoseResult();
        byte[] plaintext = new byte[512];
        var tally = new Dictionary<CoseError, int>();

        for (int i = 0; i < Cases; i++)
        {
            byte[] data = Mutate(rng, seeds[rng.Next(seeds.Length)]);
            int prefix = rng.Next(4);
            byte[] window = new byte[prefix + data.Length + rng.Next(4)];
            rng.NextBytes(window);
            Array.Copy(data, 0, window, prefix, data.Length);

            for (int v = 0; v < 3; v++)
            {
                CoseError e;
                try
                {
                    e = v switch
                    {
                        0 => sign1.Verify(window, prefix, data.Length, null, 0, 0, result),
                        1 => mac0.Verify(window, prefix, data.Length, null, 0, 0, result),
                        _ => enc.Decrypt(new ByteRange(window, prefix, data.Length), default(ByteRange), ByteRange.Of(plaintext), result),
                    };
                }
                catch (Exception ex)
                {
                    Assert.Fail($"seed {Seed} case {i} verifier {v} {Convert.ToHexString(data)}: threw {ex}");
                    return;
                }

                Assert.True(Enum.IsDefined(e), $"case {i}: undefined reason {(int)e}");
                Assert.Equal(e, result.Error);
                if (e == CoseError.None)
                {
                    int limit = v == 2 ? plaintext.Length : prefix + data.Length;
                    int start = v == 2 ? 0 : prefix;
                    Assert.InRange(result.PayloadOffset, start, limit);
                    Assert.InRange(result.PayloadOffset + result.PayloadLength, start, limit);
                }
                else
                {
                    Assert.Null(result.Payload);
                    Assert.True(result.ErrorOffset == -1 || (result.ErrorOffset >= prefix && result.ErrorOffset <= prefix + data.Length), $"case {i}: error offset {result.ErrorOffset} outside [{prefix}, {prefix + data.Length}]");
                }

                tally[e] = tally.GetValueOrDefault(e) + 1;
            }
        }

        foreach (var kv in tally)
        {
            _output.WriteLine($"{kv.Key}: {kv.Value}");
        }

        Assert.True(tally.Count >= 8, "too few distinct reasons: " + string.Join(", ", tally.Keys));
    }

    private static byte[] Mutate(Random rng, byte[] seed)
    {
        byte[] m = (byte[])seed.Clone();
        switch (rng.Next(6))
        {
            case 0: // one to three random bytes
                for (int n = rng.Next(1, 4); n > 0; n--)
                {
                    m[rng.Next(m.Length)] = (byte)rng.Next(256);
                }

                return m;
            case 1: // truncation
                return m.AsSpan(0, rng.Next(m.Length)).ToArray();
            case 2: // a bit flip
                m[rng.Next(m.Length)] ^= (byte)(1 << rng.Next(8));
                return m;
            case 3: // insertion
            {
                int at = rng.Next(m.Length + 1);
                return [.. m.AsSpan(0, at), (byte)rng.Next(256), .. m.AsSpan(at)];
            }

            case 4: // deletion
            {
                int at = rng.Next(m.Length);
                return [.. m.AsSpan(0, at), .. m.AsSpan(at + 1)];
            }

            default: // a CBOR-significant byte in a head position
            {
                byte[] heads = [0x00, 0x18, 0x1B, 0x20, 0x40, 0x5F, 0x60, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xD1, 0xF6, 0xFF, 0x1C];
                m[rng.Next(m.Length)] = heads[rng.Next(heads.Length)];
                return m;
            }
        }
    }
}
