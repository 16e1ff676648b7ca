namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// The measuring loop the server comparisons share: for each concurrency, ROUNDS rounds that run every series in turn
/// (so a burst of load from elsewhere on the machine hits all of them alike), one <c>sample</c> record per run, then one
/// <c>figure</c> per series: the medians over the rounds, and the median of the per-round ratios against the baseline
/// series (DESIGN.md §8: a ratio measured in the same run).
/// </summary>
internal static class ServerComparison
{
    /// <summary>A ratio target, e.g. "at least 1.5× libcoap": the figure records it and whether it was met.</summary>
    internal sealed record Target(string Series, string Baseline, double AtLeast);

    public static async Task MeasureAsync(SuiteRun run, string comparison, IReadOnlyList<LoadSeries> series, LoadSeries? baseline, IReadOnlyList<Target> targets)
    {
        SuiteSettings s = run.Settings;
        foreach (int c in s.Concurrency)
        {
            var results = series.ToDictionary(x => x, _ => new List<LoadResult>());
            for (int round = 0; round < s.Rounds; round++)
            {
                foreach (LoadSeries x in series)
                {
                    LoadResult r = await x.Run(c, s.CoapRequests, s.CoapWarmup).ConfigureAwait(false);
                    results[x].Add(r);
                    var sample = Fields(SuiteRecord.Create(SuiteRecord.Sample, comparison, x.Name, x.Generator), c, r);
                    sample["round"] = round + 1;
                    run.Emit(sample);
                    run.Progress.Step(comparison + ": " + x.Name + " (" + x.Generator + "), " + c + " clients, round " + (round + 1) + ": " + Math.Round(r.RequestsPerSecond) + " req/s");
                }
            }

            foreach (LoadSeries x in series)
            {
                List<LoadResult> mine = results[x];
                var figure = SuiteRecord.Create(SuiteRecord.Figure, comparison, x.Name, x.Generator);
                figure["concurrency"] = c;
                figure["rounds"] = mine.Count;
                figure["requests"] = s.CoapRequests;
                figure["requests_per_s"] = Math.Round(SuiteRecord.Median(mine.Select(r => r.RequestsPerSecond).ToList()));
                figure["latency_ms_p50"] = SuiteRecord.Round(SuiteRecord.Median(mine.Select(r => r.P50).ToList()));
                figure["latency_ms_p90"] = SuiteRecord.Round(SuiteRecord.Median(mine.Select(r => r.P90).ToList()));
                figure["latency_ms_p99"] = SuiteRecord.Round(SuiteRecord.Median(mine.Select(r => r.P99).ToList()));
                figure["errors"] = mine.Sum(r => r.Errors);
                if (baseline != null && !ReferenceEquals(x, baseline))
                {
                    List<double> ratios = mine.Zip(results[baseline], (a, b) => b.RequestsPerSecond > 0 ? a.RequestsPerSecond / b.RequestsPerSecond : 0).ToList();
                    figure["baseline"] = baseline.Name;
                    figure["ratio"] = SuiteRecord.Round(SuiteRecord.Median(ratios));
                    figure["ratio_min"] = SuiteRecord.Round(ratios.Min());
                    figure["ratio_max"] = SuiteRecord.Round(ratios.Max());
                }

                AddTargets(figure, x, results, targets);
                run.Emit(figure);
            }
        }
    }

    // Each target compares two series; a target against a series other than the baseline gets its own ratio.
    private static void AddTargets(Dictionary<string, object?> figure, LoadSeries x, Dictionary<LoadSeries, List<LoadResult>> results, IReadOnlyList<Target> targets)
    {
        var list = new List<Dictionary<string, object?>>();
        foreach (Target t in targets.Where(t => t.Series == x.Name))
        {
            LoadSeries? other = results.Keys.FirstOrDefault(k => k.Name == t.Baseline);
            if (other == null)
            {
                continue;
            }

            double ratio = SuiteRecord.Median(results[x].Zip(results[other], (a, b) => b.RequestsPerSecond > 0 ? a.RequestsPerSecond / b.RequestsPerSecond : 0).ToList());
            list.Add(new Dictionary<string, object?>
            {
                ["against"] = t.Baseline,
                ["at_least"] = t.AtLeast,
                ["ratio"] = SuiteRecord.Round(ratio),
                ["met"] = ratio >= t.AtLeast,
            });
        }

        if (list.Count > 0)
        {
            figure["targets"] = list;
        }
    }

    private static Dictionary<string, object?> Fields(Dictionary<string, object?> record, int concurrency, LoadResult r)
    {
        record["concurrency"] = concurrency;
        record["ok"] = r.Ok;
        record["errors"] = r.Errors;
        record["seconds"] = SuiteRecord.Round(r.Seconds, 4);
        record["requests_per_s"] = Math.Round(r.RequestsPerSecond);
        record["latency_ms_p50"] = SuiteRecord.Round(r.P50);
        record["latency_ms_p90"] = SuiteRecord.Round(r.P90);
        record["latency_ms_p99"] = SuiteRecord.Round(r.P99);
        record["latency_ms_max"] = SuiteRecord.Round(r.Max);
        return record;
    }
}
