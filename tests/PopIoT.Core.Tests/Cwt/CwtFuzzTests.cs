using System;
using System.Collections.Generic;

using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;

using Xunit;
using Xunit.Abstractions;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;
using static PopIoT.Core.Tests.Cwt.CwtTestSupport;

namespace PopIoT.Core.Tests.Cwt;

/// <summary>
/// Bad input (DESIGN.md §7): mutations and truncations of valid CWTs through the validator. Never
/// an exception, always a defined <see cref="CwtError"/>, and claims/cnf only on a valid result.
/// </summary>
public class CwtFuzzTests
{
    private const int Seed = 8392;
    private const int Cases = 12_000;
    private readonly ITestOutputHelper _output;

    public CwtFuzzTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Mutated_tokens_never_throw_and_always_give_a_defined_reason()
    {
        CoseKey kek = CoseKey.Symmetric(Rfc8747Kek, CoseAlgorithm.AesCcm16_64_128.Id, null);
        using var b = new CwtClaimsBuilder();
        b.SetAudience(Aud);
        b.SetExpiration(Between + 100);
        b.SetCti([1]);
        b.SetExi(10);
        b.SetScope("r");
        b.SetClaim(-5, [0x82, 0x01, 0xf9, 0x3c, 0x00]);
        using (var enc = new CoseEncrypt0(Managed, kek))
        {
            b.SetConfirmationEncryptedKey(CoseKey.Symmetric(Filled(16, 4), CoseAlgorithm.AesCcm16_64_128.Id, [9]), enc, null);
        }

        using var macIssuer = new CwtIssuer(Managed, KeySymmetric256Hmac()) { CwtTag = true };
        using var encIssuer = new CwtIssuer(Managed, KeySymmetric128());
        byte[] withCnf = macIssuer.Create(b);
        b.SetConfirmationOscore([1], Filled(16, 2), 1, -10, 10, [3], [4]);
        byte[] withOsc = encIssuer.Create(b);
        b.SetConfirmationKey(KeyEcdsa256Public());
        byte[] withKey = macIssuer.Create(b);
        byte[] richClaims = b.Encode();

        byte[][] seeds =
        [
            Vector("A.3_signed_cwt_sign1_es256_hex"),
            Vector("A.4_maced_cwt_tag61_mac0_hmac256_64_hex"),
            Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex"),
            Vector("A.6_nested_cwt_encrypt0_of_sign1_hex"),
            Vector("A.7_maced_cwt_float_iat_hex"),
            withCnf, withOsc, withKey,
        ];

        // Mac0 (the only type whose content the fuzzer can change and still pass COSE) with a
        // "MAC" that always matches would need a forgery; instead the claims parser is fuzzed
        // directly below, and the envelope here.
        using var withClock = AppendixAValidator(new TestClock(Between));
        withClock.SetCnfDecryptionKey(kek);
        using var noClock = AppendixAValidator(CwtNoClock.Instance);
        var rng = SeededRandomSource.NewRandom(Seed);
        var result = new CwtValidationResult(512);
        var claims = new CwtClaims();
        var tally = new Dictionary<CwtError, int>();
        int valid = 0;

        for (int i = 0; i < Cases; i++)
        {
            byte[] seed = seeds[rng.Next(seeds.Length)];
            byte[] data = Mutate(rng, seed);
            int prefix = rng.Next(3);
            byte[] window = new byte[prefix + data.Length + rng.Next(3)];
            rng.NextBytes(window);
            Array.Copy(data, 0, window, prefix, data.Length);

            CwtValidator v = (i & 1) == 0 ? withClock : noClock;
            CwtError e = v.Validate(window, prefix, data.Length, result);
            Assert.True(Enum.IsDefined(e), $"case {i}: undefined {e}");
            Assert.Equal(e, result.Error);
            if (e == CwtError.None)
            {
                valid++;
                Assert.NotNull(result.Claims.Buffer);
            }
            else
            {
                Assert.Null(result.Claims.Buffer);
                Assert.Equal(CnfMethod.None, result.Confirmation.Method);
                Assert.True(e is CwtError.CoseFailed or CwtError.NotACwt or CwtError.CnfDecryptionFailed || result.CoseError == CoseError.None);
            }

            tally[e] = tally.GetValueOrDefault(e) + 1;

            // The claims parser alone, on mutated claims sets (what a forged-but-verified payload could hold).
            byte[] claimsData = Mutate(rng, i % 2 == 0 ? Claims : richClaims);
            CwtError ce = claims.Parse(claimsData, 0, claimsData.Length);
            Assert.True(Enum.IsDefined(ce));
            tally[ce] = tally.GetValueOrDefault(ce) + 1;
        }

        foreach (var kv in tally)
        {
            _output.WriteLine($"{kv.Key}: {kv.Value}");
        }

        Assert.True(valid > 0);
        Assert.True(tally.Count >= 6);
    }

    /// <summary>A truncation, bit flip, byte change, insertion, several changes or nothing, of a non-empty input.</summary>
    internal static byte[] Mutate(Random rng, byte[] seed)
    {
        byte[] data = (byte[])seed.Clone();
        switch (rng.Next(6))
        {
            case 0:
                return data.AsSpan(0, rng.Next(data.Length + 1)).ToArray();
            case 1:
                data[rng.Next(data.Length)] ^= (byte)(1 << rng.Next(8));
                return data;
            case 2:
                data[rng.Next(data.Length)] = (byte)rng.Next(256);
                return data;
            case 3:
                int at = rng.Next(data.Length);
                byte[] inserted = new byte[data.Length + 1];
                Array.Copy(data, inserted, at);
                inserted[at] = (byte)rng.Next(256);
                Array.Copy(data, at, inserted, at + 1, data.Length - at);
                return inserted;
            case 4:
                for (int k = 0; k < 4; k++)
                {
                    data[rng.Next(data.Length)] = (byte)rng.Next(256);
                }

                return data;
            default:
                return data; // unchanged: must stay valid or fail for a stated reason (e.g. no exi without clock)
        }
    }
}
