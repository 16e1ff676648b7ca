using System.CommandLine;
using PopIoT.Cli.Bench.Suite;

namespace PopIoT.Cli.Commands;

/// <summary><c>popiot bench suite</c> and <c>popiot bench plot</c> (docs/benchmarks.md "The suite").</summary>
internal static class BenchSuiteCommand
{
    public static Command Suite(CliContext io)
    {
        var quick = new Option<bool>("--quick") { Description = "Few requests and one round per figure (about a minute; CI's smoke test). Figures are noisy and labelled quick." };
        var outDir = new Option<string>("--out") { Description = "The folder for results.jsonl, summary.md and the charts (default bench-results).", DefaultValueFactory = _ => "bench-results" };
        var only = new Option<string[]>("--only")
        {
            Description = "Run only these comparisons: " + string.Join(", ", BenchSuite.All().Select(c => c.Id)) + ".",
            AllowMultipleArgumentsPerToken = true,
        };
        var cmd = new Command("suite", "Every side-by-side comparison in one run (CoAP and OSCORE GET against libcoap, DTLS, ACE latency, CWT and OSCORE against raw crypto, AS tokens/s, device memory per board): JSON lines, a Markdown summary and SVG charts.")
        {
            quick, outDir, only,
        };
        cmd.SetAction(p =>
        {
            string[] ids = p.GetValue(only) ?? [];
            string[] known = BenchSuite.All().Select(c => c.Id).ToArray();
            string? unknown = ids.FirstOrDefault(i => !known.Contains(i));
            if (unknown != null)
            {
                throw new CliUsageException("--only: unknown comparison '" + unknown + "' (known: " + string.Join(", ", known) + ")");
            }

            bool q = p.GetValue(quick);
            string dir = p.GetValue(outDir)!;
            string command = "popiot bench suite" + (q ? " --quick" : string.Empty) + " --out " + dir + (ids.Length > 0 ? " --only " + string.Join(' ', ids) : string.Empty);
            return BenchSuite.RunAsync(io, q ? SuiteSettings.Quick : SuiteSettings.Full, dir, ids, command).GetAwaiter().GetResult();
        });
        return cmd;
    }

    public static Command Plot(CliContext io)
    {
        var input = new Option<string>("--in") { Description = "The suite's JSON lines (default bench-results/results.jsonl).", DefaultValueFactory = _ => Path.Combine("bench-results", BenchSuite.ResultsFile) };
        var outDir = new Option<string?>("--out") { Description = "The folder for the SVG files (default: the folder of --in)." };
        var cmd = new Command("plot", "SVG charts from the suite's JSON lines: throughput against concurrency, latency percentiles, the cost of protection, memory per board.")
        {
            input, outDir,
        };
        cmd.SetAction(p =>
        {
            string file = p.GetValue(input)!;
            if (!File.Exists(file))
            {
                throw new CliUsageException("--in '" + file + "' does not exist (run popiot bench suite first)");
            }

            string dir = p.GetValue(outDir) ?? Path.GetDirectoryName(Path.GetFullPath(file))!;
            IReadOnlyList<string> charts = BenchPlot.WriteFromFile(file, dir, io.Error);
            foreach (string c in charts)
            {
                io.Out.WriteLine(Path.Combine(dir, c));
            }

            return charts.Count > 0 ? ExitCodes.Ok : ExitCodes.Rejected;
        });
        return cmd;
    }
}
