using System.Globalization;
using PopIoT.Cli.Coap;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// Latency under the same offered load: the independent generator sends plain GET /time at a fixed rate (open loop
/// with 8 clients, its <c>--rate</c>) to <c>popiot coap serve</c> and to libcoap's <c>coap-server-notls</c>, in
/// alternating rounds. The closed-loop comparison lets the faster server take more load, so its latencies are not
/// comparable; at a fixed rate both get exactly the same work. The ratio is ours ÷ libcoap's latency (below 1 is faster).
/// </summary>
internal sealed class FixedRateComparison : ISuiteComparison
{
    private const int Clients = 8;

    public string Id => "coap-get-fixed-rate";

    public string Title => "Plain CoAP GET latency at a fixed request rate";

    public IReadOnlyList<string> Series => [CoapGetComparison.Libcoap, CoapGetComparison.Popiot];

    public int Steps(SuiteSettings settings) => 2 * settings.Rounds;

    public async Task RunAsync(SuiteRun run)
    {
        string? missing = CoapGetComparison.LibcoapMissing() ?? Generators.PythonMissing();
        if (missing != null)
        {
            foreach (string s in Series)
            {
                run.Emit(SuiteRecord.Missing(Id, s, Generators.PythonStdlib, missing));
            }

            run.Progress.Note(Id + " not measured: " + missing);
            for (int i = 0; i < Steps(run.Settings); i++)
            {
                run.Progress.Step(Id + ": skipped");
            }

            return;
        }

        using CoapServerProcess ours = CoapServerProcess.StartOurs();
        using CoapServerProcess libcoap = CoapServerProcess.StartLibcoap();
        await ours.WaitReadyAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        await libcoap.WaitReadyAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        string script = Generators.WriteScript(run.Scratch);
        int rate = run.Settings.FixedRate;
        int requests = rate * run.Settings.FixedRateSeconds;
        var results = new Dictionary<string, List<LoadResult>> { [CoapGetComparison.Libcoap] = [], [CoapGetComparison.Popiot] = [] };
        for (int round = 0; round < run.Settings.Rounds; round++)
        {
            foreach ((string name, CoapServerProcess server) in new[] { (CoapGetComparison.Libcoap, libcoap), (CoapGetComparison.Popiot, ours) })
            {
                LoadResult r = await Generators.PythonAtRate(script, server.Port, "/time", Clients, requests, run.Settings.CoapWarmup, rate).ConfigureAwait(false);
                results[name].Add(r);
                var sample = SuiteRecord.Create(SuiteRecord.Sample, Id, name, Generators.PythonStdlib);
                sample["round"] = round + 1;
                Fill(sample, r, rate);
                run.Emit(sample);
                run.Progress.Step(Id + ": " + name + " at " + rate.ToString(CultureInfo.InvariantCulture) + " req/s, round " + (round + 1) + ": p50 " + SuiteRecord.Round(r.P50) + " ms");
            }
        }

        List<LoadResult> baseline = results[CoapGetComparison.Libcoap];
        foreach ((string name, List<LoadResult> mine) in results)
        {
            var f = SuiteRecord.Create(SuiteRecord.Figure, Id, name, Generators.PythonStdlib);
            f["rounds"] = mine.Count;
            Fill(f, new LoadResult(
                (int)SuiteRecord.Median(mine.Select(r => (double)r.Ok).ToList()), mine.Sum(r => r.Errors), SuiteRecord.Median(mine.Select(r => r.Seconds).ToList()),
                SuiteRecord.Median(mine.Select(r => r.P50).ToList()), SuiteRecord.Median(mine.Select(r => r.P90).ToList()),
                SuiteRecord.Median(mine.Select(r => r.P99).ToList()), mine.Max(r => r.Max)), rate);
            if (name != CoapGetComparison.Libcoap)
            {
                f["baseline"] = CoapGetComparison.Libcoap;
                f["ratio"] = SuiteRecord.Round(SuiteRecord.Median(mine.Zip(baseline, (a, b) => b.P50 > 0 ? a.P50 / b.P50 : 0).ToList()));
                f["ratio_of"] = "latency_ms_p50";
                f["ratio_p99"] = SuiteRecord.Round(SuiteRecord.Median(mine.Zip(baseline, (a, b) => b.P99 > 0 ? a.P99 / b.P99 : 0).ToList()));
            }

            run.Emit(f);
        }
    }

    private static void Fill(Dictionary<string, object?> record, LoadResult r, int rate)
    {
        record["concurrency"] = Clients;
        record["rate"] = rate;
        record["requests_per_s"] = Math.Round(r.RequestsPerSecond);
        record["latency_ms_p50"] = SuiteRecord.Round(r.P50);
        record["latency_ms_p90"] = SuiteRecord.Round(r.P90);
        record["latency_ms_p99"] = SuiteRecord.Round(r.P99);
        record["errors"] = r.Errors;
    }
}
