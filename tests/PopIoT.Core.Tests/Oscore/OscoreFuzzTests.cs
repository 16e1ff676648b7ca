#nullable disable
using System;

using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Coap;

using Xunit;

using static PopIoT.Core.Tests.Oscore.OscoreTestSupport;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>DESIGN.md §7 bad input: 100,000 mutated protected messages; no exception, and each gets a defined §8 outcome.</summary>
public class OscoreFuzzTests
{
    private static readonly string[] Seeds =
    [
        // RFC 8613 C.4, C.5, C.6 (the C.5/C.6 contexts are in the table too).
        "44025d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c1668b3825e",
        "440271c30000b932396c6f63616c686f737463091400ff4ed339a5a379b0b8bc731fffb0",
        "44022f8eef9bbf7a396c6f63616c686f73746b19140837cbf3210017a2d3ff72cd7273fd331ac45cffbe55c3",
    ];

    private static byte[] Mutate(Random r, byte[] seed)
    {
        byte[] b = (byte[])seed.Clone();
        int edits = r.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            switch (r.Next(5))
            {
                case 0:
                    b[r.Next(b.Length)] ^= (byte)(1 << r.Next(8));
                    break;
                case 1:
                    b[r.Next(b.Length)] = (byte)r.Next(256);
                    break;
                case 2:
                    Array.Resize(ref b, Math.Max(4, r.Next(b.Length)));
                    break;
                case 3:
                {
                    int at = r.Next(b.Length);
                    byte[] c = new byte[b.Length + 1];
                    Array.Copy(b, c, at);
                    c[at] = (byte)r.Next(256);
                    Array.Copy(b, at, c, at + 1, b.Length - at);
                    b = c;
                    break;
                }

                default:
                {
                    // Mutate inside the OSCORE option value region (bytes 22..33 of the seeds).
                    int at = Math.Min(b.Length - 1, 22 + r.Next(12));
                    b[at] = (byte)r.Next(256);
                    break;
                }
            }
        }

        return b;
    }

    [Fact]
    public void Mutated_protected_requests_never_throw_and_each_gets_a_section_8_outcome()
    {
        var table = new OscoreContextTable(4);
        table.Add(C1Server());
        table.Add(C2Server());
        table.Add(C3Server());
        var p = new OscoreProcessor();
        var e = new OscoreExchange();
        var m = new CoapMessage();
        var resp = new CoapMessage();
        var r = SeededRandomSource.NewRandom(8613);
        int[] counts = new int[16];
        int processed = 0;
        for (int i = 0; i < 100_000; i++)
        {
            byte[] d = Mutate(r, Hex.Parse(Seeds[i % Seeds.Length]));
            if (m.Parse(d, 0, d.Length) != CoapParseError.None)
            {
                counts[15]++;
                continue;
            }

            processed++;
            OscoreStatus s = p.UnprotectRequest(m, table, e);
            counts[(int)s]++;
            if (s == OscoreStatus.Ok || s == OscoreStatus.NotProtected)
            {
                continue;
            }

            // Every failure maps to a §8 error response with its code and diagnostic.
            resp.Reset();
            Assert.True(OscoreErrors.WriteErrorResponse(s, resp), s.ToString());
            Assert.True(CoapCode.ClassOf(resp.Code) == 4);
            Assert.NotNull(OscoreErrors.GetDiagnostic(s));
        }

        Assert.True(processed > 50_000, processed.ToString());
        Assert.True(counts[(int)OscoreStatus.DecryptionFailed] > 1000);
        Assert.True(counts[(int)OscoreStatus.BadOption] > 100);
        Assert.True(counts[(int)OscoreStatus.SecurityContextNotFound] > 100);
        Assert.True(counts[(int)OscoreStatus.ReplayDetected] > 100);
        // A mutation that forges a valid message would be an AEAD break; only header/outer-option edits may verify.
        Assert.True(counts[(int)OscoreStatus.Ok] < 1000);
    }

    [Fact]
    public void Mutated_requests_with_the_platform_provider_never_throw()
    {
        var table = new OscoreContextTable(2);
        var server = C1Server(PopIoT.Crypto.PlatformCryptoProvider.Instance);
        table.Add(server);
        var p = new OscoreProcessor();
        var e = new OscoreExchange();
        var m = new CoapMessage();
        var r = SeededRandomSource.NewRandom(9203);
        int failed = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] d = Mutate(r, Hex.Parse(Seeds[0]));
            // Forget earlier successes so each mutation reaches decryption rather than the replay check.
            server.ReplayWindow.Reset();
            if (m.Parse(d, 0, d.Length) == CoapParseError.None)
            {
                OscoreStatus s = p.UnprotectRequest(m, table, e);
                if (s == OscoreStatus.DecryptionFailed)
                {
                    failed++;
                }
            }
        }

        Assert.True(failed > 1000);
    }

    [Fact]
    public void Mutated_responses_never_throw_at_the_client()
    {
        var r = SeededRandomSource.NewRandom(7);
        var client = C1Client();
        SkipTo(client, 20);
        var p = new OscoreProcessor();
        var e = new OscoreExchange();
        var req = ParseNew(Hex.Parse("44015d1f00003974396c6f63616c686f737483747631"));
        Assert.Equal(OscoreStatus.Ok, p.ProtectRequest(req, client, false, e));
        byte[] seed = Hex.Parse("64445d1f00003974920100ff4d4c13669384b67354b2b6175ff4b8658c666a6cf88e");
        var m = new CoapMessage();
        for (int i = 0; i < 20_000; i++)
        {
            byte[] d = Mutate(r, seed);
            if (m.Parse(d, 0, d.Length) == CoapParseError.None)
            {
                p.UnprotectResponse(m, e);
            }
        }
    }
}
