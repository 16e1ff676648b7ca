using System.Text.Json;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// The device's managed heap per board profile, in nanoFramework's layout: exactly what <c>popiot device budget --board
/// NAME</c> prints as its JSON line, for every profile in hardware/boards (docs/firmware.md "Device budgets"). Memory
/// is a model, not a timing, so there is no generator; the baseline is the board's heap share for PopIoT.
/// </summary>
internal sealed class DeviceBudgetComparison : ISuiteComparison
{
    public string Id => "device-budget";

    public string Title => "Device memory per board profile";

    /// <summary>One series per board profile found; "board" when there are none (then recorded as not measured).</summary>
    public IReadOnlyList<string> Series => FindBoards() is string boards ? Boards(boards) : ["board"];

    public int Steps(SuiteSettings settings) => 1;

    /// <summary>hardware/boards found upwards from the working directory, or null.</summary>
    public static string? FindBoards()
    {
        for (DirectoryInfo? d = new(Directory.GetCurrentDirectory()); d != null; d = d.Parent)
        {
            string p = Path.Combine(d.FullName, "hardware", "boards");
            if (Directory.Exists(p))
            {
                return p;
            }
        }

        return null;
    }

    private static string[] Boards(string folder) =>
        Directory.GetFiles(folder, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToArray();

    public Task RunAsync(SuiteRun run)
    {
        string? boards = FindBoards();
        if (boards == null)
        {
            run.Emit(SuiteRecord.Missing(Id, "board", null, "no hardware/boards folder above the working directory (run from the repository)"));
            run.Progress.Step(Id + ": no board profiles");
            return Task.CompletedTask;
        }

        foreach (string board in Boards(boards))
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            using var stdin = new MemoryStream();
            int code = PopIotCli.Run(["device", "budget", "--board", board, "--boards-dir", boards], new CliContext(stdin, output, error));
            string? json = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
            if (code is not (ExitCodes.Ok or ExitCodes.Rejected) || json == null)
            {
                run.Emit(SuiteRecord.Missing(Id, board, null, "popiot device budget --board " + board + " failed (exit " + code + "): " + error.ToString().Trim()));
                continue;
            }

            var r = SuiteRecord.Create(SuiteRecord.Figure, Id, board, "popiot device budget");
            using JsonDocument d = JsonDocument.Parse(json);
            foreach (JsonProperty p in d.RootElement.EnumerateObject())
            {
                if (p.Name != "budget")
                {
                    r[p.Name] = p.Value.Clone();
                }
            }

            r["baseline"] = "share_bytes";
            double share = d.RootElement.GetProperty("share_bytes").GetDouble();
            r["ratio"] = share > 0 ? SuiteRecord.Round(d.RootElement.GetProperty("total_bytes").GetDouble() / share) : null;
            run.Emit(r);
        }

        run.Progress.Step(Id + ": board profiles measured");
        return Task.CompletedTask;
    }
}
