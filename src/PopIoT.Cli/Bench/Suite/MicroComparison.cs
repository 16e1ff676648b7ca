using System.Text.Json;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// CWT validation against raw platform HMAC-SHA256 over the same ToBeMaced bytes, and the OSCORE server path against
/// raw platform AES-CCM on the same plaintexts: BenchmarkDotNet (tests/PopIoT.Benchmarks, <c>CwtBenchmarks</c> and
/// <c>OscoreBenchmarks</c>) run in process as a child, its JSON report turned into figures. The ratio is our mean over
/// the baseline's mean in the same run, as BenchmarkDotNet's Ratio column; the budgets are DESIGN.md §8's (1.5× raw
/// HMAC for token verification, 2× raw AES-CCM for an OSCORE request).
/// </summary>
internal sealed class MicroComparison : ISuiteComparison
{
    private const string Dll = "tests/PopIoT.Benchmarks/bin/Release/net10.0/PopIoT.Benchmarks.dll";

    private static readonly (string Type, string Method, string Baseline, double? AtMost)[] Wanted =
    [
        ("CwtBenchmarks", "RawPlatformHmac", "RawPlatformHmac", null),
        ("CwtBenchmarks", "ValidatePlatform", "RawPlatformHmac", 1.5),
        ("CwtBenchmarks", "ValidateManaged", "RawPlatformHmac", null),
        ("OscoreBenchmarks", "RawPlatformAesCcm", "RawPlatformAesCcm", null),
        ("OscoreBenchmarks", "ServerPlatform", "RawPlatformAesCcm", 2.0),
        ("OscoreBenchmarks", "ServerManaged", "RawPlatformAesCcm", 2.0),
    ];

    public string Id => "micro";

    public string Title => "CWT validation and OSCORE processing against raw platform HMAC and AES-CCM (BenchmarkDotNet)";

    public IReadOnlyList<string> Series => Wanted.Select(w => w.Type + "." + w.Method).ToArray();

    public int Steps(SuiteSettings settings) => 1;

    /// <summary>The built benchmark assembly found upwards from the working directory, or null.</summary>
    public static string? FindBenchmarks()
    {
        for (DirectoryInfo? d = new(Directory.GetCurrentDirectory()); d != null; d = d.Parent)
        {
            string p = Path.Combine(d.FullName, Dll);
            if (File.Exists(p))
            {
                return p;
            }
        }

        return null;
    }

    public async Task RunAsync(SuiteRun run)
    {
        string? dll = FindBenchmarks();
        if (dll == null)
        {
            NotMeasured(run, "the benchmark project is not built above the working directory (" + Dll + "; dotnet build tests/PopIoT.Benchmarks -c Release)");
            return;
        }

        string artifacts = Path.Combine(run.Scratch, "benchmarkdotnet");
        string[] args =
        [
            dll, "--filter", "*CwtBenchmarks.RawPlatformHmac", "*CwtBenchmarks.ValidatePlatform", "*CwtBenchmarks.ValidateManaged", "*OscoreBenchmarks.*",
            "--inProcess", "--join", "--memory", "--exporters", "json", "--artifacts", artifacts, .. run.Settings.BenchmarkDotNetJob,
        ];
        try
        {
            await Generators.RunAsync("dotnet", args, TimeSpan.FromMinutes(run.Settings.Mode == "quick" ? 3 : 10), Path.GetDirectoryName(dll)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            NotMeasured(run, "BenchmarkDotNet failed: " + e.Message);
            return;
        }

        string results = Path.Combine(artifacts, "results");
        var found = new Dictionary<string, (double Mean, double Median, double StdDev, double? Allocated)>();
        foreach (string file in Directory.Exists(results) ? Directory.GetFiles(results, "*.json") : [])
        {
            using JsonDocument d = JsonDocument.Parse(File.ReadAllText(file));
            foreach (JsonElement b in d.RootElement.GetProperty("Benchmarks").EnumerateArray())
            {
                JsonElement stats = b.GetProperty("Statistics");
                double? allocated = b.TryGetProperty("Memory", out JsonElement m) && m.TryGetProperty("BytesAllocatedPerOperation", out JsonElement a) ? a.GetDouble() : null;
                found[b.GetProperty("Type").GetString() + "." + b.GetProperty("Method").GetString()] =
                    (stats.GetProperty("Mean").GetDouble(), stats.GetProperty("Median").GetDouble(), stats.GetProperty("StandardDeviation").GetDouble(), allocated);
            }
        }

        foreach (var w in Wanted)
        {
            string key = w.Type + "." + w.Method;
            if (!found.TryGetValue(key, out var f) || !found.TryGetValue(w.Type + "." + w.Baseline, out var b))
            {
                run.Emit(SuiteRecord.Missing(Id, key, "BenchmarkDotNet", "BenchmarkDotNet's report has no " + key + " or its baseline"));
                continue;
            }

            var r = SuiteRecord.Create(SuiteRecord.Figure, Id, key, "BenchmarkDotNet");
            r["mean_ns"] = SuiteRecord.Round(f.Mean, 1);
            r["median_ns"] = SuiteRecord.Round(f.Median, 1);
            r["stddev_ns"] = SuiteRecord.Round(f.StdDev, 1);
            r["allocated_bytes"] = f.Allocated;
            if (w.Method != w.Baseline)
            {
                double ratio = f.Mean / b.Mean;
                r["baseline"] = w.Type + "." + w.Baseline;
                r["ratio"] = SuiteRecord.Round(ratio);
                if (w.AtMost is double most)
                {
                    r["targets"] = new List<Dictionary<string, object?>>
                    {
                        new() { ["against"] = w.Type + "." + w.Baseline, ["at_most"] = most, ["ratio"] = SuiteRecord.Round(ratio), ["met"] = ratio <= most },
                    };
                }
            }

            run.Emit(r);
        }

        run.Progress.Step(Id + ": BenchmarkDotNet done");
    }

    private void NotMeasured(SuiteRun run, string reason)
    {
        foreach (string s in Series)
        {
            run.Emit(SuiteRecord.Missing(Id, s, "BenchmarkDotNet", reason));
        }

        run.Progress.Note(Id + " not measured: " + reason);
        run.Progress.Step(Id + ": not measured");
    }
}
