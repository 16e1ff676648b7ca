using System.Text.Json;
using System.Xml.Linq;
using CsCheck;
using PopIoT.Cli.Bench.Suite;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary><c>popiot bench plot</c> and the suite's summary: the charts and tables made from JSON lines, and what bad
/// input gets. No timing is asserted (DESIGN.md §8).</summary>
public sealed class BenchPlotCommandTests : TempDirectoryTest
{
    private static readonly string[] Charts = ["coap-throughput.svg", "coap-latency.svg", "coap-latency-fixed-rate.svg", "protection-cost.svg", "dtls-throughput.svg", "device-memory.svg"];

    [Fact]
    public void Plot_writes_the_charts_as_svg_from_a_suite_run()
    {
        File.WriteAllLines(F("results.jsonl"), SampleRun());

        var r = CliRunner.Run("bench", "plot", "--in", F("results.jsonl"), "--out", F("charts"));

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(Charts.Select(c => Path.Combine(F("charts"), c)), r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        foreach (string chart in Charts)
        {
            XDocument svg = XDocument.Load(Path.Combine(F("charts"), chart));
            Assert.Equal("svg", svg.Root!.Name.LocalName);
            // Labelled with the run's mode, so a quick run's chart is never mistaken for a full one.
            Assert.Contains("quick run", svg.ToString(), StringComparison.Ordinal);
        }

        string throughput = File.ReadAllText(Path.Combine(F("charts"), "coap-throughput.svg"));
        Assert.Contains("libcoap (our client)", throughput, StringComparison.Ordinal);
        Assert.Contains("popiot (Python generator)", throughput, StringComparison.Ordinal);

        // The DTLS chart shows the throughput figures only, not the handshake times of the same comparison.
        string dtls = File.ReadAllText(Path.Combine(F("charts"), "dtls-throughput.svg"));
        Assert.Contains("popiot coaps (our client)", dtls, StringComparison.Ordinal);
        Assert.Contains("libcoap coap-server-openssl (our client)", dtls, StringComparison.Ordinal);
        Assert.DoesNotContain("handshake", dtls, StringComparison.Ordinal);
    }

    [Fact]
    public void Plot_leaves_out_a_chart_without_figures_and_says_so()
    {
        File.WriteAllLines(F("results.jsonl"), SampleRun().Where(l => !l.Contains("\"device-budget\"", StringComparison.Ordinal)));

        var r = CliRunner.Run("bench", "plot", "--in", F("results.jsonl"));

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("device-memory.svg left out: no device-budget figures", r.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(F("device-memory.svg")));
        Assert.True(File.Exists(F("coap-throughput.svg")));
    }

    [Fact]
    public void Plot_with_no_figures_at_all_exits_1()
    {
        File.WriteAllLines(F("results.jsonl"), [SampleRun()[0]]);

        var r = CliRunner.Run("bench", "plot", "--in", F("results.jsonl"));

        Assert.Equal(1, r.ExitCode);
        Assert.Equal(Charts.Length, r.Error.Split('\n').Count(l => l.Contains("left out", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("{\"kind\":\"figure\"", "line 2 is not JSON")]
    [InlineData("[1, 2]", "line 2 is array, not a JSON object")]
    [InlineData("42", "line 2 is number, not a JSON object")]
    public void Plot_names_the_line_that_is_not_a_json_object(string bad, string message)
    {
        File.WriteAllLines(F("results.jsonl"), [SampleRun()[0], bad]);

        var r = CliRunner.Run("bench", "plot", "--in", F("results.jsonl"));

        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Plot_of_a_missing_file_is_a_usage_error()
    {
        var r = CliRunner.Run("bench", "plot", "--in", F("nothing.jsonl"));

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("does not exist (run popiot bench suite first)", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Suite_refuses_an_unknown_comparison()
    {
        var r = CliRunner.Run("bench", "suite", "--quick", "--only", "coap-get", "dtls-rpk", "--out", Dir);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--only: unknown comparison 'dtls-rpk'", r.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(F(BenchSuite.ResultsFile)));
    }

    [Fact]
    public void Suite_dtls_alone_measures_popiot_and_names_why_libcoap_is_not_measured_when_it_is_missing()
    {
        var r = CliRunner.Run("bench", "suite", "--quick", "--only", "dtls-get", "--out", Dir);

        Assert.True(r.ExitCode == 0, r.Error);
        var records = File.ReadLines(F(BenchSuite.ResultsFile)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var figures = records.Where(x => x.GetProperty("kind").GetString() == "figure").ToList();
        Assert.Equal([1, 8, 32], figures.Where(f => f.GetProperty("series").GetString() == DtlsComparison.Popiot).Select(f => f.GetProperty("concurrency").GetInt32()));
        Assert.All(figures.Where(f => f.GetProperty("series").GetString() == DtlsComparison.Popiot), f => Assert.True(f.GetProperty("requests_per_s").GetDouble() > 0));
        JsonElement handshake = figures.Single(f => f.GetProperty("series").GetString() == DtlsComparison.PopiotHandshake);
        Assert.Equal(SuiteSettings.Quick.DtlsHandshakes, handshake.GetProperty("n").GetInt32());
        Assert.True(handshake.GetProperty("latency_ms_p50").GetDouble() > 0);

        // libcoap's series: figures where coap-server-openssl is installed, else not measured saying so.
        foreach (string series in new[] { DtlsComparison.Libcoap, DtlsComparison.LibcoapHandshake })
        {
            var mine = records.Where(x => x.TryGetProperty("series", out JsonElement s) && s.GetString() == series && x.GetProperty("kind").GetString() != "sample").ToList();
            Assert.NotEmpty(mine);
            Assert.All(mine, x => Assert.True(
                x.GetProperty("kind").GetString() == "figure"
                || (x.GetProperty("kind").GetString() == "not-measured" && x.GetProperty("reason").GetString()!.Contains("coap-server-openssl", StringComparison.Ordinal)),
                x.ToString()));
        }

        Assert.Contains("(`dtls-get`)", File.ReadAllText(F(BenchSuite.SummaryFile)), StringComparison.Ordinal);
    }

    [Fact]
    public void Suite_device_budget_gives_each_board_profile_its_figure()
    {
        var r = CliRunner.Run("bench", "suite", "--quick", "--only", "device-budget", "--out", Dir);

        Assert.Equal(0, r.ExitCode);
        var figures = File.ReadLines(F(BenchSuite.ResultsFile)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(x => x.GetProperty("kind").GetString() == "figure").ToList();
        Assert.Equal(new DeviceBudgetComparison().Series, figures.Select(f => f.GetProperty("series").GetString()));
        Assert.All(figures, f => Assert.True(f.GetProperty("total_bytes").GetInt32() > 0));
        // The refused 32 KB board shows as not fitting, as popiot device budget says.
        Assert.False(figures.Single(f => f.GetProperty("series").GetString() == "nucleo64-f091rc").GetProperty("fits").GetBoolean());
        Assert.True(File.Exists(F("device-memory.svg")));
    }

    [Fact]
    public void Plot_never_fails_on_json_objects_of_any_shape()
    {
        // Arbitrary objects with the fields the charts read, holding values of any JSON type: a chart or a
        // "left out" line, never an exception (exit 0 or 1, never 70).
        string[] keys = ["kind", "comparison", "series", "generator", "mode", "concurrency", "requests_per_s", "latency_ms_p50", "latency_ms_p90", "latency_ms_p99", "slots", "total_bytes", "share_bytes"];
        Gen<string> value = Gen.OneOf(
            Gen.OneOfConst("\"figure\"", "\"run-info\"", "\"coap-get\"", "\"oscore-get\"", "\"device-budget\"", "\"quick\"", "\"python-stdlib\"", "null", "true", "[]", "{}", "1e308", "-1", "0"),
            Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "0"),
            Gen.String[Gen.Char.AlphaNumeric, 0, 12].Select(s => "\"" + s + "\""));
        Gen<string> record = Gen.Select(Gen.Int[0, keys.Length - 1], value).Array[0, 10]
            .Select(fields => "{" + string.Join(",", fields.DistinctBy(f => f.Item1).Select(f => "\"" + keys[f.Item1] + "\":" + f.Item2)) + "}");
        int n = 0;
        record.Array[1, 30].Sample(lines =>
        {
            string dir = F("p" + n++);
            Directory.CreateDirectory(dir);
            File.WriteAllLines(Path.Combine(dir, "r.jsonl"), lines);
            var r = CliRunner.Run("bench", "plot", "--in", Path.Combine(dir, "r.jsonl"));
            return r.ExitCode is 0 or 1;
        }, iter: 60);
    }

    // A small suite run as the suite writes it: one of each kind of figure the charts read.
    private static List<string> SampleRun()
    {
        var lines = new List<string> { """{"kind":"run-info","suite":"popiot bench suite","mode":"quick","cores":2}""" };
        foreach (string gen in new[] { "popiot-client", "python-stdlib" })
        {
            foreach (int c in new[] { 1, 8, 32 })
            {
                lines.Add($$"""{"kind":"figure","comparison":"coap-get","series":"libcoap-coap-server-notls","generator":"{{gen}}","concurrency":{{c}},"requests_per_s":{{10000 + c}},"latency_ms_p50":0.1,"latency_ms_p90":0.2,"latency_ms_p99":0.5,"mode":"quick"}""");
                lines.Add($$"""{"kind":"figure","comparison":"coap-get","series":"popiot-coap-serve","generator":"{{gen}}","concurrency":{{c}},"requests_per_s":{{15000 + c}},"latency_ms_p50":0.1,"latency_ms_p90":0.2,"latency_ms_p99":0.4,"baseline":"libcoap-coap-server-notls","ratio":1.5,"mode":"quick"}""");
            }
        }

        foreach (string s in new[] { "libcoap-coap-server-notls", "popiot-coap-serve" })
        {
            lines.Add($$"""{"kind":"figure","comparison":"coap-get-fixed-rate","series":"{{s}}","generator":"python-stdlib","concurrency":8,"rate":2000,"requests_per_s":2000,"latency_ms_p50":0.1,"latency_ms_p90":0.2,"latency_ms_p99":0.3,"mode":"quick"}""");
        }

        foreach (string s in new[] { "libcoap-coap-server-notls", "popiot-plain", "popiot-oscore" })
        {
            lines.Add($$"""{"kind":"figure","comparison":"oscore-get","series":"{{s}}","generator":"popiot-client","concurrency":8,"requests_per_s":9000,"mode":"quick"}""");
        }

        foreach (int c in new[] { 1, 8, 32 })
        {
            lines.Add($$"""{"kind":"figure","comparison":"dtls-get","series":"libcoap-coap-server-openssl","generator":"popiot-client","concurrency":{{c}},"requests_per_s":{{8000 + c}},"mode":"quick"}""");
            lines.Add($$"""{"kind":"figure","comparison":"dtls-get","series":"popiot-dtls","generator":"popiot-client","concurrency":{{c}},"requests_per_s":{{9000 + c}},"mode":"quick"}""");
        }

        lines.Add("""{"kind":"figure","comparison":"dtls-get","series":"popiot-dtls-handshake","generator":"popiot-client","n":40,"latency_ms_p50":0.5,"mode":"quick"}""");
        lines.Add("""{"kind":"figure","comparison":"device-budget","series":"esp32-c3","generator":"popiot device budget","slots":8,"total_bytes":26373,"share_bytes":33177,"fits":true,"mode":"quick"}""");
        lines.Add("""{"kind":"run-end","seconds":30.0,"failed":false}""");
        return lines;
    }
}
