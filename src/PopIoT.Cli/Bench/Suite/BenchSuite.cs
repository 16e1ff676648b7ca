using System.Globalization;
using System.Runtime.InteropServices;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// <c>popiot bench suite</c>: every comparison of docs/benchmarks.md in one run, each as ratios against a baseline
/// measured in the same run (DESIGN.md §8). Writes DIR/results.jsonl (one JSON object a line, as it goes), then
/// DIR/summary.md and the SVG charts of <c>popiot bench plot</c>. A comparison that cannot run records why
/// (<c>not-measured</c>); one that fails is recorded the same way and makes the exit code 1.
/// </summary>
internal static class BenchSuite
{
    public const string ResultsFile = "results.jsonl";
    public const string SummaryFile = "summary.md";

    public static ISuiteComparison[] All() =>
    [
        new CoapGetComparison(),
        new FixedRateComparison(),
        new OscoreGetComparison(),
        new DtlsComparison(),
        new AceLatencyComparison(),
        new MicroComparison(),
        new AsTokensComparison(),
        new AsFleetComparison(),
        new DeviceBudgetComparison(),
    ];

    public static async Task<int> RunAsync(CliContext io, SuiteSettings settings, string outDir, IReadOnlyCollection<string>? only, string command)
    {
        ISuiteComparison[] comparisons = All().Where(c => only == null || only.Count == 0 || only.Contains(c.Id)).ToArray();
        Directory.CreateDirectory(outDir);
        string scratch = Directory.CreateTempSubdirectory("popiot-bench-").FullName;
        var progress = new SuiteProgress(io.Error, SuiteProgress.IsInteractive(io.Error), comparisons.Sum(c => c.Steps(settings)));
        bool failed = false;
        try
        {
            using var lines = new StreamWriter(Path.Combine(outDir, ResultsFile), append: false);
            var run = new SuiteRun(settings, lines, progress, scratch);
            run.Emit(RunInfo(settings, command, comparisons));
            foreach (ISuiteComparison c in comparisons)
            {
                try
                {
                    await c.RunAsync(run).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    failed = true;
                    progress.Note(c.Id + " failed: " + e.GetType().Name + ": " + e.Message);
                    foreach (string s in c.Series)
                    {
                        run.Emit(SuiteRecord.Missing(c.Id, s, null, "the comparison failed: " + e.GetType().Name + ": " + e.Message));
                    }
                }
            }

            run.Emit(new Dictionary<string, object?>
            {
                ["kind"] = "run-end",
                ["seconds"] = Math.Round(progress.Elapsed.TotalSeconds, 1),
                ["failed"] = failed,
            });
            IReadOnlyList<string> charts = BenchPlot.Write(run.Records, outDir, io.Error);
            File.WriteAllText(Path.Combine(outDir, SummaryFile), SuiteSummary.Markdown(run.Records, comparisons, charts));
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        io.Out.WriteLine("popiot bench suite: " + settings.Mode + " run in " + Math.Round(progress.Elapsed.TotalSeconds) + " s; "
            + Path.Combine(outDir, ResultsFile) + ", " + Path.Combine(outDir, SummaryFile) + (failed ? "; some comparisons FAILED (see the summary)" : string.Empty));
        return failed ? ExitCodes.Rejected : ExitCodes.Ok;
    }

    private static Dictionary<string, object?> RunInfo(SuiteSettings settings, string command, ISuiteComparison[] comparisons) => new()
    {
        ["kind"] = "run-info",
        ["suite"] = "popiot bench suite",
        ["mode"] = settings.Mode,
        ["command"] = command,
        ["started_utc"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["comparisons"] = comparisons.Select(c => c.Id).ToArray(),
        ["rounds"] = settings.Rounds,
        ["requests"] = settings.CoapRequests,
        ["concurrency"] = settings.Concurrency,
        ["cpu"] = CpuModel(),
        ["cores"] = Environment.ProcessorCount,
        ["os"] = RuntimeInformation.OSDescription,
        ["runtime"] = RuntimeInformation.FrameworkDescription,
        ["load_average"] = LoadAverage(),
    };

    private static string? CpuModel()
    {
        try
        {
            string? line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
            return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return null;
        }
    }

    // The load when the run started: on a shared machine the figures are only as good as this is low.
    private static string? LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
