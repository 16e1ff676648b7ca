using System.Text.Json;
using System.Xml.Linq;
using PopIoT.Cli.Bench.Suite;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>
/// CI's smoke test of <c>popiot bench suite --quick</c> (docs/benchmarks.md): the figures are never asserted (DESIGN.md §8:
/// performance belongs in benchmarks), the output's structure is: every comparison and every series is present, each as
/// a figure or as "not measured" with its reason; the summary and the charts are written. The peers (libcoap's
/// coap-server-notls and coap-server-openssl, python3 for the independent generator) are required under CI=true like
/// every interop peer.
/// </summary>
public sealed class BenchSuiteSmokeTests : TempDirectoryTest
{
    private static readonly string? PythonMissing = PeerRequirement.FindOnPath("python3") == null ? "python3 is not on PATH (apt-get install python3)" : null;

    [SkippableFact]
    public void Quick_suite_reports_every_comparison_as_a_figure_or_not_measured_with_a_reason()
    {
        PeerRequirement.Require(CoapPeers.LibcoapMissing ?? PythonMissing
            ?? (PeerRequirement.FindOnPath("coap-server-openssl") == null ? "libcoap's coap-server-openssl is not on PATH (apt-get install libcoap3-bin)" : null));

        var r = CliRunner.Run("bench", "suite", "--quick", "--out", Dir);

        Assert.True(r.ExitCode == 0, "exit " + r.ExitCode + "\n" + r.Error);
        List<JsonElement> records = File.ReadLines(F(BenchSuite.ResultsFile)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("run-info", records[0].GetProperty("kind").GetString());
        Assert.Equal("quick", records[0].GetProperty("mode").GetString());
        Assert.Equal("run-end", records[^1].GetProperty("kind").GetString());
        Assert.False(records[^1].GetProperty("failed").GetBoolean());

        foreach (ISuiteComparison c in BenchSuite.All())
        {
            foreach (string series in c.Series)
            {
                var mine = records.Where(x => Str(x, "comparison") == c.Id && Str(x, "series") == series && Str(x, "kind") is "figure" or "not-measured").ToList();
                Assert.True(mine.Count > 0, c.Id + "/" + series + " has neither a figure nor a not-measured record");
                foreach (JsonElement m in mine.Where(x => Str(x, "kind") == "not-measured"))
                {
                    Assert.False(string.IsNullOrWhiteSpace(Str(m, "reason")), c.Id + "/" + series + " is not measured without a reason");
                }
            }
        }

        // With the peers installed, only what cannot exist is missing: OSCORE through the Python generator.
        foreach (JsonElement m in records.Where(x => Str(x, "kind") == "not-measured"))
        {
            bool expected = (Str(m, "comparison") == "oscore-get" && Str(m, "generator") == "python-stdlib")
                || (Str(m, "comparison") == "micro" && Str(m, "reason")!.Contains("not built", StringComparison.Ordinal) && !PeerRequirement.InCi)
                || (Str(m, "comparison") == "as-fleet" && Str(m, "reason")!.Contains("no PostgreSQL server", StringComparison.Ordinal) && !PeerRequirement.InCi);
            Assert.True(expected, "unexpected not-measured record: " + m);
        }

        // Each server comparison has a figure per concurrency and series, from each generator that can reach it, and the
        // servers answered (a server that answered nothing would be a broken set-up, not a slow one).
        foreach ((string comparison, string series, string generator) in new[]
        {
            ("coap-get", "popiot-coap-serve", "popiot-client"), ("coap-get", "libcoap-coap-server-notls", "popiot-client"),
            ("coap-get", "popiot-coap-serve", "python-stdlib"), ("coap-get", "libcoap-coap-server-notls", "python-stdlib"),
            ("oscore-get", "popiot-oscore", "popiot-client"), ("oscore-get", "popiot-oscore-managed", "popiot-client"), ("oscore-get", "popiot-plain", "popiot-client"), ("oscore-get", "libcoap-coap-server-notls", "popiot-client"),
            ("dtls-get", "popiot-dtls", "popiot-client"), ("dtls-get", "libcoap-coap-server-openssl", "popiot-client"),
        })
        {
            var figures = records.Where(x => Str(x, "kind") == "figure" && Str(x, "comparison") == comparison && Str(x, "series") == series && Str(x, "generator") == generator).ToList();
            Assert.Equal([1, 8, 32], figures.Select(f => f.GetProperty("concurrency").GetInt32()).Order());
            Assert.All(figures, f => Assert.True(f.GetProperty("requests_per_s").GetDouble() > 0, comparison + "/" + series + " answered nothing: " + f));
        }

        // The PSK handshake: one figure per server, each the median of the quick run's handshakes, all of which completed
        // (a failed handshake fails the comparison); ours carries the ratio to libcoap's time.
        var handshakes = records.Where(x => Str(x, "kind") == "figure" && Str(x, "comparison") == "dtls-get" && x.TryGetProperty("n", out _)).ToList();
        Assert.Equal(["libcoap-dtls-handshake", "popiot-dtls-handshake"], handshakes.Select(f => Str(f, "series")).Order(StringComparer.Ordinal));
        Assert.All(handshakes, f => Assert.True(f.GetProperty("n").GetInt32() > 0 && f.GetProperty("latency_ms_p50").GetDouble() > 0, "no handshake measured: " + f));
        Assert.Equal("libcoap-dtls-handshake", Str(handshakes.Single(f => Str(f, "series") == "popiot-dtls-handshake"), "baseline"));

        // The AS fleet: every series measured (PostgreSQL where a server is given) answered every request.
        Assert.All(records.Where(x => Str(x, "kind") == "figure" && Str(x, "comparison") == "as-fleet"), f =>
        {
            Assert.True(f.GetProperty("per_s").GetDouble() > 0, "answered nothing: " + f);
            Assert.Equal(0, f.GetProperty("errors").GetInt32());
        });
        Assert.Contains(records, x => Str(x, "kind") == "figure" && Str(x, "comparison") == "as-fleet" && Str(x, "series") == "as-1-sqlite");

        // At a fixed rate both servers got the same offered load from the independent generator.
        var fixedRate = records.Where(x => Str(x, "kind") == "figure" && Str(x, "comparison") == "coap-get-fixed-rate").ToList();
        Assert.Equal(["libcoap-coap-server-notls", "popiot-coap-serve"], fixedRate.Select(f => Str(f, "series")).Order(StringComparer.Ordinal));
        Assert.All(fixedRate, f => Assert.Equal("python-stdlib", Str(f, "generator")));
        Assert.All(fixedRate, f => Assert.True(f.GetProperty("requests_per_s").GetDouble() > 0, "answered nothing: " + f));

        string summary = File.ReadAllText(F(BenchSuite.SummaryFile));
        Assert.Contains("**Quick run:**", summary, StringComparison.Ordinal);
        Assert.All(BenchSuite.All(), c => Assert.Contains("(`" + c.Id + "`)", summary, StringComparison.Ordinal));
        foreach (string chart in new[] { "coap-throughput.svg", "coap-latency.svg", "coap-latency-fixed-rate.svg", "protection-cost.svg", "dtls-throughput.svg", "device-memory.svg" })
        {
            Assert.Equal("svg", XDocument.Load(F(chart)).Root!.Name.LocalName);
            Assert.Contains("](" + chart + ")", summary, StringComparison.Ordinal);
        }

        // Progress without a terminal: plain lines, one per step, the last one complete.
        Assert.Matches(@"bench suite \[(\d+)/\1 ", r.Error);
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
