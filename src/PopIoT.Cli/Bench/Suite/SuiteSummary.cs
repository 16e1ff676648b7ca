using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>The Markdown summary of a suite run: the machine, then one section per comparison with a table of its figures
/// and the series it did not measure, with the reason; the charts of <see cref="BenchPlot"/> are linked at the end.</summary>
internal static class SuiteSummary
{
    // Columns in the order shown, with their headers; a comparison's table shows those its figures have.
    private static readonly (string Key, string Header)[] Columns =
    [
        ("generator", "Generator"), ("concurrency", "Clients"), ("series", "Series"), ("requests_per_s", "req/s"), ("per_s", "per s"),
        ("n", "n"), ("latency_ms_p50", "p50 ms"), ("latency_ms_p90", "p90 ms"), ("latency_ms_p99", "p99 ms"), ("errors", "errors"),
        ("instances", "AS instances"), ("as_cpu_cores", "AS CPU (cores)"), ("client_cpu_cores", "client CPU (cores)"), ("db_cpu_cores", "PostgreSQL CPU (cores)"), ("machine_busy", "machine busy"),
        ("token_ms_mean", "in /token ms"), ("commit_ms_mean", "commit ms"), ("tokens_per_commit", "tokens/commit"), ("as_cpu_ms_per_token", "AS CPU ms/token"),
        ("mean_ns", "mean ns"), ("median_ns", "median ns"), ("stddev_ns", "stddev ns"), ("allocated_bytes", "alloc B"),
        ("slots", "slots"), ("per_slot_bytes", "B per slot"), ("eight_clients_bytes", "B for 8 clients"), ("total_bytes", "total B"),
        ("share_bytes", "share B"), ("fits", "fits"), ("baseline", "baseline"), ("ratio", "ratio"), ("targets", "target"),
    ];

    public static string Markdown(IReadOnlyList<Dictionary<string, object?>> records, IEnumerable<ISuiteComparison> comparisons, IReadOnlyList<string> charts)
    {
        var sb = new StringBuilder();
        Dictionary<string, object?>? info = records.FirstOrDefault(r => Equals(r["kind"], "run-info"));
        Dictionary<string, object?>? end = records.LastOrDefault(r => Equals(r["kind"], "run-end"));
        string mode = info?["mode"] as string ?? "?";
        sb.Append("# popiot bench suite (").Append(mode).Append(')').AppendLine().AppendLine();
        if (mode == "quick")
        {
            sb.AppendLine("**Quick run:** few requests and one round per figure, for a first look and CI's smoke test; the figures are noisy, not for publication.").AppendLine();
        }

        sb.Append("Command: `").Append(Text(info?["command"])).AppendLine("`  ");
        sb.Append("Machine: ").Append(Text(info?["cpu"])).Append(", ").Append(Text(info?["cores"])).Append(" cores, ").Append(Text(info?["os"]))
            .Append(", ").Append(Text(info?["runtime"])).Append("; load average at the start ").Append(Text(info?["load_average"])).AppendLine("  ");
        sb.Append("Started ").Append(Text(info?["started_utc"])).Append(", took ").Append(Text(end?["seconds"])).AppendLine(" s.").AppendLine();
        sb.AppendLine("Every ratio is against a baseline measured in the same run (DESIGN.md §8); `generator` says which client made each figure.").AppendLine();

        foreach (ISuiteComparison c in comparisons)
        {
            sb.Append("## ").Append(c.Title).Append(" (`").Append(c.Id).AppendLine("`)").AppendLine();
            var figures = records.Where(r => Equals(r["kind"], SuiteRecord.Figure) && Equals(r["comparison"], c.Id)).ToList();
            var missing = records.Where(r => Equals(r["kind"], SuiteRecord.NotMeasured) && Equals(r["comparison"], c.Id)).ToList();
            if (figures.Count > 0)
            {
                var cols = Columns.Where(col => figures.Any(f => f.TryGetValue(col.Key, out object? v) && v != null)).ToList();
                sb.Append("| ").AppendJoin(" | ", cols.Select(x => x.Header)).AppendLine(" |");
                sb.Append('|').AppendJoin(string.Empty, cols.Select(_ => "---|")).AppendLine();
                foreach (var f in figures)
                {
                    sb.Append("| ").AppendJoin(" | ", cols.Select(col => Cell(f.GetValueOrDefault(col.Key)))).AppendLine(" |");
                }

                sb.AppendLine();
            }

            foreach (var m in missing)
            {
                sb.Append("- **not measured:** ").Append(Text(m["series"])).Append(m["generator"] is string g ? " (" + g + ")" : string.Empty)
                    .Append(": ").AppendLine(Text(m.GetValueOrDefault("reason")));
            }

            if (figures.Count == 0 && missing.Count == 0)
            {
                sb.AppendLine("- **not measured:** no record (the run was cut short)");
            }

            sb.AppendLine();
        }

        if (charts.Count > 0)
        {
            sb.AppendLine("## Charts").AppendLine();
            foreach (string chart in charts)
            {
                sb.Append("![").Append(Path.GetFileNameWithoutExtension(chart)).Append("](").Append(chart).AppendLine(")").AppendLine();
            }
        }

        return sb.ToString();
    }

    private static string Cell(object? v) => v switch
    {
        null => string.Empty,
        List<Dictionary<string, object?>> targets => string.Join("; ", targets.Select(Target)),
        JsonElement { ValueKind: JsonValueKind.Array } a => string.Join("; ", a.EnumerateArray().Select(t => t.ToString())),
        _ => Text(v),
    };

    private static string Target(Dictionary<string, object?> t) =>
        (t.ContainsKey("at_least") ? "≥ " + Text(t["at_least"]) : "≤ " + Text(t.GetValueOrDefault("at_most"))) + "× " + Text(t["against"]) + ": "
        + Text(t["ratio"]) + " " + (Equals(t["met"], true) ? "met" : "**missed**");

    private static string Text(object? v) => v switch
    {
        null => "?",
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        bool b => b ? "yes" : "no",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        JsonElement { ValueKind: JsonValueKind.True } => "yes",
        JsonElement { ValueKind: JsonValueKind.False } => "no",
        JsonElement e => e.ToString(),
        _ => (v.ToString() ?? string.Empty).Replace("|", "\\|", StringComparison.Ordinal),
    };
}
