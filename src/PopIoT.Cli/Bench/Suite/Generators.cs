using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using PopIoT.Cli.Coap;
using PopIoT.Coap;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// The two load generators of the server comparisons (docs/benchmarks.md "Generators"):
/// <c>popiot-client</c>, our <see cref="CoapClient"/> (<see cref="CoapLoadGenerator"/>), and <c>python-stdlib</c>, an
/// independent one written against Python's standard library only (Bench/coap_load.py, shipped inside this assembly),
/// so that no server is measured only by our own client.
/// </summary>
internal static class Generators
{
    public const string PopiotClient = "popiot-client";
    public const string PythonStdlib = "python-stdlib";
    private const string ScriptResource = "PopIoT.Cli.Bench.coap_load.py";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Our CoapClient: one client per unit of concurrency; <paramref name="configure"/> gives client i its options (its OSCORE context).</summary>
    public static LoadSeries Popiot(string series, Uri target, Action<int, CoapClientOptions>? configure = null) =>
        new(series, PopiotClient, async (c, n, warm) =>
        {
            if (warm > 0)
            {
                await CoapLoadGenerator.RunAsync(series, target, Math.Max(warm, c), c, true, RequestTimeout, configure).ConfigureAwait(false);
            }

            CoapLoadGenerator.Result r = await CoapLoadGenerator.RunAsync(series, target, n, c, true, RequestTimeout, configure).ConfigureAwait(false);
            double[] sorted = [.. r.LatenciesMs];
            Array.Sort(sorted);
            return new LoadResult(r.Ok, r.Errors, r.Seconds, SuiteRecord.Quantile(sorted, 0.5), SuiteRecord.Quantile(sorted, 0.9), SuiteRecord.Quantile(sorted, 0.99), sorted.Length == 0 ? 0 : sorted[^1]);
        });

    /// <summary>Why the Python generator cannot run here, or null.</summary>
    public static string? PythonMissing() => FindOnPath("python3") == null ? "python3 is not on PATH (apt-get install python3)" : null;

    /// <summary>Writes the generator script into <paramref name="folder"/> and returns its path.</summary>
    public static string WriteScript(string folder)
    {
        using Stream s = typeof(Generators).Assembly.GetManifestResourceStream(ScriptResource)
            ?? throw new InvalidOperationException("the generator script " + ScriptResource + " is not embedded");
        string path = Path.Combine(folder, "coap_load.py");
        using (FileStream f = File.Create(path))
        {
            s.CopyTo(f);
        }

        return path;
    }

    /// <summary>The independent generator against 127.0.0.1:<paramref name="port"/>.</summary>
    public static LoadSeries Python(string series, string script, int port, string path) =>
        new(series, PythonStdlib, (c, n, warm) => PythonAtRate(script, port, path, c, n, warm, 0));

    /// <summary>The independent generator held to <paramref name="rate"/> requests/s over all clients (0: as fast as answers come).</summary>
    public static async Task<LoadResult> PythonAtRate(string script, int port, string path, int c, int n, int warm, int rate)
    {
        string[] args =
        [
            script, "--port", port.ToString(CultureInfo.InvariantCulture), "--path", path,
            "--requests", n.ToString(CultureInfo.InvariantCulture), "--concurrency", c.ToString(CultureInfo.InvariantCulture),
            "--warmup", warm.ToString(CultureInfo.InvariantCulture), "--timeout", "5", "--rate", rate.ToString(CultureInfo.InvariantCulture),
        ];
        string output = await RunAsync("python3", args, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        using JsonDocument d = JsonDocument.Parse(output);
        JsonElement e = d.RootElement;
        return new LoadResult(
            e.GetProperty("ok").GetInt32(), e.GetProperty("errors").GetInt32(), e.GetProperty("seconds").GetDouble(),
            e.GetProperty("latency_ms_p50").GetDouble(), e.GetProperty("latency_ms_p90").GetDouble(),
            e.GetProperty("latency_ms_p99").GetDouble(), e.GetProperty("latency_ms_max").GetDouble());
    }

    /// <summary>Runs a program to the end and returns its standard output; a non-zero exit or a hang is an error.</summary>
    public static async Task<string> RunAsync(string exe, IEnumerable<string> args, TimeSpan limit, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory != null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        using Process p = Process.Start(info) ?? throw new InvalidOperationException("cannot start " + exe);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await p.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            throw new TimeoutException(exe + " did not finish within " + limit.TotalSeconds + " s");
        }

        string output = await stdout.ConfigureAwait(false);
        string error = await stderr.ConfigureAwait(false);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException(exe + " exited with " + p.ExitCode + ": " + Tail(error));
        }

        return output;
    }

    public static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string Tail(string text) => text.Length <= 600 ? text.Trim() : "..." + text[^600..].Trim();
}
