using System;
using System.Collections.Generic;

using PopIoT.Core.Cbor;

using Xunit;
using Xunit.Abstractions;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Core.Tests.Cbor;

/// <summary>
/// Bad input (DESIGN.md §7): truncations and mutations of valid encodings. PopIoT's reader must throw nothing
/// but <see cref="CborException"/> (nothing at all in its sticky mode, which keeps the same first error), never look outside its window, and accept exactly what System.Formats.Cbor
/// in Lax mode reads as one well-formed item, except for three named divergences where RFC 8949 decides.
/// </summary>
public class CborMutationTests
{
    private const int Seed = 8949;
    private const int Cases = 120_000;

    private readonly ITestOutputHelper _output;

    public CborMutationTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void Mutated_inputs_are_accepted_exactly_when_the_oracle_finds_them_well_formed()
    {
        RandomCbor gen = new(Seed) { MaxDepth = 3 };
        Random rnd = gen.Random;
        byte[] scratch = new byte[1 << 16];
        Dictionary<string, int> tally = [];
        byte[] baseItem = [];

        for (int i = 0; i < Cases; i++)
        {
            if (i % 8 == 0)
            {
                baseItem = NewBaseItem(gen, scratch);
            }

            byte[] data = Mutate(rnd, baseItem);

            // Put the input in the middle of a larger buffer full of noise: the reader must stay in its window.
            int prefix = rnd.Next(4);
            byte[] window = new byte[prefix + data.Length + 3];
            rnd.NextBytes(window);
            Array.Copy(data, 0, window, prefix, data.Length);

            CborError? error = null;
            int errorOffset = -1;
            try
            {
                CborReader.Validate(window, prefix, data.Length);
            }
            catch (CborException e)
            {
                error = e.Error;
                errorOffset = e.Offset;
                if (e.Offset < prefix || e.Offset > prefix + data.Length)
                {
                    Assert.Fail($"seed {Seed} case {i} {Hex(data)}: error offset {e.Offset} outside the window [{prefix}, {prefix + data.Length}]");
                }
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {Seed} case {i} {Hex(data)}: threw {e}");
            }

            // The sticky mode of the same decoder: no exception for bad data, the same first error at the same offset.
            CborReader sticky = new(window, prefix, data.Length) { ThrowOnError = false };
            try
            {
                sticky.SkipToEnd();
                if (sticky.Error != CborError.None)
                {
                    // Every read after the error is neutral: no exception, no move, the first error kept.
                    int at = sticky.Position;
                    sticky.SkipValue();
                    Assert.Equal(0, sticky.ReadInt32());
                    Assert.Equal(CborReaderState.Finished, sticky.PeekState());
                    Assert.Equal(at, sticky.Position);
                }
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {Seed} case {i} {Hex(data)}: the sticky mode threw {e}");
            }

            Assert.Equal(error ?? CborError.None, sticky.Error);
            Assert.Equal(errorOffset, sticky.ErrorOffset);

            OracleVerdict v = SfcOracle.Judge(data);
            bool oursAccepts = error is null;
            string outcome = Compare(v, error, oursAccepts, out string? failure);
            if (failure is not null)
            {
                Assert.Fail($"seed {Seed} case {i} {Hex(data)}: {failure}; oracle: {v}; ours: {(error?.ToString() ?? "accepted")}");
            }

            tally[outcome] = tally.GetValueOrDefault(outcome) + 1;

            if (oursAccepts && i % 4 == 0)
            {
                CborDifferentialTests.ReadBothInLockstep(data, rnd.Next(2) == 0);
            }
        }

        foreach (KeyValuePair<string, int> kv in tally)
        {
            _output.WriteLine($"{kv.Key}: {kv.Value}");
        }

        // The mutations must produce a real mix, and each named divergence must actually be exercised.
        Assert.True(tally.GetValueOrDefault("both accept") > Cases / 20);
        Assert.True(tally.GetValueOrDefault("both reject") > Cases / 5);
        Assert.True(tally.GetValueOrDefault("divergence: invalid UTF-8") > 10);
        Assert.True(tally.GetValueOrDefault("divergence: two-byte simple value below 32") > 10);
        Assert.True(tally.GetValueOrDefault("divergence: nesting deeper than 16") > 10);
    }

    private static string Compare(OracleVerdict v, CborError? error, bool oursAccepts, out string? failure)
    {
        failure = null;
        if (!v.WellFormed)
        {
            if (oursAccepts)
            {
                failure = "ours accepts what System.Formats.Cbor rejects";
            }

            return "both reject";
        }

        if (v.HasInvalidUtf8 || v.HasShortSimpleValue || v.Depth > CborReader.DefaultMaxDepth)
        {
            // Divergence 1, invalid UTF-8. RFC 8949 §3.1: a text string is "encoded as UTF-8 [RFC3629]", and §5.3.1
            // makes invalid UTF-8 an invalid (not ill-formed) item that a decoder may reject. PopIoT rejects it
            // (CborError.InvalidUtf8) so no later layer sees such text; System.Formats.Cbor's Lax mode accepts it.
            // Divergence 2, 0xf8 followed by a byte below 0x20. RFC 8949 §3.3: "An encoder MUST NOT issue two-byte
            // sequences that start with 0xf8 and continue with a byte less than 0x20 ... such sequences are not
            // well-formed" (also Appendix F.1). PopIoT rejects (CborError.InvalidSimpleValue); Lax mode accepts: RFC 8949 is with PopIoT.
            // Divergence 3, nesting. RFC 8949 §5.2 allows a decoder limits on nesting depth; PopIoT's default is 16
            // (CborError.DepthLimitExceeded), System.Formats.Cbor's is 64.
            if (oursAccepts)
            {
                failure = "ours accepts an input outside its documented limits";
                return "bug";
            }

            if (error == CborError.InvalidUtf8 && v.HasInvalidUtf8)
            {
                return "divergence: invalid UTF-8";
            }

            if (error == CborError.InvalidSimpleValue && v.HasShortSimpleValue)
            {
                return "divergence: two-byte simple value below 32";
            }

            if (error == CborError.DepthLimitExceeded && v.Depth > CborReader.DefaultMaxDepth)
            {
                return "divergence: nesting deeper than 16";
            }

            failure = "ours rejects with an error that is not the named divergence";
            return "bug";
        }

        if (!oursAccepts)
        {
            failure = "ours rejects what System.Formats.Cbor accepts as well-formed";
        }

        return "both accept";
    }

    private static byte[] NewBaseItem(RandomCbor gen, byte[] scratch)
    {
        Random rnd = gen.Random;
        CborWriter ours = new(scratch);
        Sfc.CborWriter theirs = new(Sfc.CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false);
        int wrap = rnd.Next(10) == 0 ? rnd.Next(12, 20) : 0;
        int[] kinds = new int[wrap];
        for (int w = 0; w < wrap; w++)
        {
            // Deep nesting through arrays, maps and tags (tags do not add depth in PopIoT's count).
            kinds[w] = rnd.Next(4);
            switch (kinds[w])
            {
                case 0:
                    ours.WriteStartArray(1);
                    theirs.WriteStartArray(1);
                    break;
                case 1:
                    ours.WriteStartIndefiniteLengthArray();
                    theirs.WriteStartArray(null);
                    break;
                case 2:
                    ours.WriteStartMap(1);
                    theirs.WriteStartMap(1);
                    ours.WriteInt32(w);
                    theirs.WriteInt32(w);
                    break;
                default:
                    ours.WriteTag((ulong)w);
                    theirs.WriteTag((Sfc.CborTag)w);
                    break;
            }
        }

        gen.WriteItem(ours, theirs);
        for (int w = wrap - 1; w >= 0; w--)
        {
            switch (kinds[w])
            {
                case 0:
                    theirs.WriteEndArray();
                    break;
                case 1:
                    ours.WriteBreak();
                    theirs.WriteEndArray();
                    break;
                case 2:
                    theirs.WriteEndMap();
                    break;
            }
        }

        byte[] item = scratch.AsSpan(0, ours.BytesWritten).ToArray();
        Assert.Equal(theirs.Encode(), item);
        return item;
    }

    // Initial bytes worth planting: every argument width, the reserved 28..30, indefinite forms, break,
    // two-byte simple values, floats and tags.
    private static readonly byte[] InterestingHeads =
    [
        0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x38, 0x3b, 0x3f, 0x40, 0x41, 0x58, 0x5b, 0x5f,
        0x60, 0x61, 0x62, 0x63, 0x64, 0x78, 0x7f, 0x80, 0x81, 0x98, 0x9f, 0xa0, 0xa1, 0xb8, 0xbf, 0xc0, 0xc2, 0xd8,
        0xdb, 0xdf, 0xe0, 0xf4, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfe, 0xff,
    ];

    // Bytes that break UTF-8 in different ways: continuation without lead, overlong leads, surrogate lead,
    // > U+10FFFF leads, and lead bytes whose sequence then gets cut.
    private static readonly byte[] Utf8Breakers = [0x80, 0xbf, 0xc0, 0xc1, 0xc3, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff];

    private static byte[] Mutate(Random rnd, byte[] input)
    {
        List<byte> b = [.. input];
        int n = 1 + rnd.Next(rnd.Next(4) == 0 ? 4 : 2);
        for (int k = 0; k < n; k++)
        {
            int pos = b.Count == 0 ? 0 : rnd.Next(b.Count);
            switch (rnd.Next(9))
            {
                case 0:
                    // Truncation: keep a random prefix.
                    b.RemoveRange(pos, b.Count - pos);
                    break;
                case 1:
                    if (b.Count > 0)
                    {
                        b[pos] ^= (byte)(1 << rnd.Next(8));
                    }

                    break;
                case 2:
                    b.Insert(pos, (byte)rnd.Next(256));
                    break;
                case 3:
                    if (b.Count > 0)
                    {
                        b.RemoveAt(pos);
                    }

                    break;
                case 4:
                    {
                        // A random head with some argument bytes.
                        byte head = InterestingHeads[rnd.Next(InterestingHeads.Length)];
                        b.Insert(pos, head);
                        int extra = rnd.Next(3);
                        for (int e = 0; e < extra; e++)
                        {
                            b.Insert(pos + 1, (byte)(rnd.Next(3) == 0 ? rnd.Next(256) : rnd.Next(40)));
                        }

                        break;
                    }

                case 5:
                    if (b.Count > 0)
                    {
                        b[pos] = InterestingHeads[rnd.Next(InterestingHeads.Length)];
                    }

                    break;
                case 6:
                    if (b.Count > 0)
                    {
                        b[pos] = Utf8Breakers[rnd.Next(Utf8Breakers.Length)];
                    }

                    break;
                case 7:
                    {
                        // Duplicate a short segment in place.
                        int len = Math.Min(b.Count - pos, rnd.Next(1, 6));
                        if (len > 0)
                        {
                            b.InsertRange(pos, b.GetRange(pos, len));
                        }

                        break;
                    }

                default:
                    if (b.Count > 0)
                    {
                        b[pos] = (byte)rnd.Next(256);
                    }

                    break;
            }
        }

        return [.. b];
    }

    private static string Hex(byte[] data)
    {
        return Convert.ToHexStringLower(data);
    }
}
