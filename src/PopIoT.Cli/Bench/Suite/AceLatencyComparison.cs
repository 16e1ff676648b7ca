using PopIoT.Cli.Commands;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// The ACE first request (AS Request Creation Hints, token from the AS with its SQLite commit, POST /authz-info, the
/// protected GET; RFC 9200 §5.1, §5.10.1) and later OSCORE-protected GETs, against a plain GET to the same simulated
/// device in the same run: the whole system in this process on loopback, as <c>popiot bench ace</c> measures it. The
/// generator is our gateway (<c>AceClient</c>): no other ACE client is installed here.
/// </summary>
internal sealed class AceLatencyComparison : ISuiteComparison
{
    public string Id => "ace-latency";

    public string Title => "ACE: the first request and later protected requests";

    public IReadOnlyList<string> Series => ["plain-get", "ace-first-request", "ace-later-request"];

    public int Steps(SuiteSettings settings) => 1;

    public async Task RunAsync(SuiteRun run)
    {
        AceBench.Latencies l = await AceBench.MeasureAsync(run.Settings.AceFirst, run.Settings.AceLater).ConfigureAwait(false);
        double baseline = SuiteRecord.Median(l.PlainGet);
        Emit(run, "plain-get", l.PlainGet, baseline);
        Emit(run, "ace-first-request", l.FirstRequest, baseline);
        Emit(run, "ace-later-request", l.LaterRequest, baseline);
        run.Progress.Step(Id + ": first request " + SuiteRecord.Round(SuiteRecord.Median(l.FirstRequest)) + " ms, later " + SuiteRecord.Round(SuiteRecord.Median(l.LaterRequest)) + " ms");
    }

    private void Emit(SuiteRun run, string series, double[] ms, double baselineMedian)
    {
        var r = SuiteRecord.Create(SuiteRecord.Figure, Id, series, "popiot-gateway");
        r["n"] = ms.Length;
        r["latency_ms_p50"] = SuiteRecord.Round(SuiteRecord.Median(ms));
        r["latency_ms_p90"] = SuiteRecord.Round(SuiteRecord.Quantile(ms, 0.9));
        r["latency_ms_p99"] = SuiteRecord.Round(SuiteRecord.Quantile(ms, 0.99));
        if (series != "plain-get")
        {
            r["baseline"] = "plain-get";
            r["ratio"] = SuiteRecord.Round(SuiteRecord.Median(ms) / baselineMedian, 2);
        }

        run.Emit(r);
    }
}
