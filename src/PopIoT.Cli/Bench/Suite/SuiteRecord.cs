namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// One JSON line of <c>popiot bench suite</c>. Every line has <c>kind</c>: <c>run-info</c> (machine and mode, first),
/// <c>sample</c> (one round of one series), <c>figure</c> (the summary of a series: medians over rounds, and the ratio
/// against the baseline of the same run), <c>not-measured</c> (with the <c>reason</c>), and <c>run-end</c>. Every line
/// but the first and last names its <c>comparison</c>; figures and samples name their <c>series</c> and the
/// <c>generator</c> that made them. docs/benchmarks.md lists the fields.
/// </summary>
internal static class SuiteRecord
{
    public const string Figure = "figure";
    public const string Sample = "sample";
    public const string NotMeasured = "not-measured";

    public static Dictionary<string, object?> Create(string kind, string comparison, string series, string? generator) => new()
    {
        ["kind"] = kind,
        ["comparison"] = comparison,
        ["series"] = series,
        ["generator"] = generator,
    };

    public static Dictionary<string, object?> Missing(string comparison, string series, string? generator, string reason)
    {
        var r = Create(NotMeasured, comparison, series, generator);
        r["reason"] = reason;
        return r;
    }

    public static double Median(IReadOnlyList<double> values) => Quantile(values, 0.5);

    /// <summary>The nearest-rank quantile (no interpolation), as the generators report their percentiles.</summary>
    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        double[] s = [.. values];
        Array.Sort(s);
        return s[Math.Clamp((int)Math.Ceiling(q * s.Length) - 1, 0, s.Length - 1)];
    }

    public static double Round(double v, int digits = 3) => Math.Round(v, digits);
}
