using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// A <c>popiot as serve</c> of this build in its own process, for the fleet benchmark: started with the arguments given,
/// ready once it prints "listening on", stopped (killed) on dispose. Its CPU time is read from /proc (Linux), so the
/// benchmark can say where the time went.
/// </summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _error = new();

    private ServeProcess(Process process) => _process = process;

    /// <summary>The process id.</summary>
    public int Pid => _process.Id;

    /// <summary>The last lines it wrote to stderr (its log), for an error message.</summary>
    public string ErrorTail
    {
        get
        {
            lock (_error)
            {
                string s = _error.ToString();
                return s.Length > 2000 ? s[^2000..] : s;
            }
        }
    }

    /// <summary>Starts <c>popiot ARGS</c> and waits until it listens.</summary>
    /// <param name="args">E.g. as serve --db … --port ….</param>
    /// <returns>The running process.</returns>
    /// <exception cref="InvalidOperationException">It exited or did not listen within 60 s; the message has its output.</exception>
    public static ServeProcess Start(params string[] args)
    {
        string cli = typeof(ServeProcess).Assembly.Location;
        var info = new ProcessStartInfo("dotnet", [cli, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var p = new ServeProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet " + cli));
        var ready = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        p._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null)
            {
                ready.TrySetResult(false);
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data.Contains("listening on", StringComparison.Ordinal))
            {
                ready.TrySetResult(true);
            }
        };
        p._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (p._error)
                {
                    p._error.AppendLine(e.Data);
                }
            }
        };
        p._process.BeginOutputReadLine();
        p._process.BeginErrorReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(60)) || !ready.Task.Result)
        {
            p.Dispose();
            throw new InvalidOperationException("popiot " + string.Join(' ', args) + " did not start listening: " + output + p.ErrorTail);
        }

        return p;
    }

    /// <summary>User plus system CPU time of a process so far, from /proc/PID/stat; zero where /proc is missing.</summary>
    /// <param name="pid">The process.</param>
    /// <returns>The CPU time.</returns>
    public static TimeSpan CpuTime(int pid)
    {
        string path = "/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat";
        if (!File.Exists(path))
        {
            return TimeSpan.Zero;
        }

        // proc(5): after the command in parentheses, field 14 is utime and 15 stime, in clock ticks (USER_HZ, 100 on Linux).
        string stat = File.ReadAllText(path);
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>
    /// The CPU time of a process and its direct children so far (a PostgreSQL postmaster and its backends), from /proc;
    /// a child that exited in between is not counted.
    /// </summary>
    /// <param name="parent">The parent's pid.</param>
    /// <returns>The CPU time.</returns>
    public static TimeSpan TreeCpuTime(int parent)
    {
        TimeSpan sum = CpuTime(parent);
        foreach (string dir in Directory.Exists("/proc") ? Directory.GetDirectories("/proc") : [])
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != parent)
            {
                try
                {
                    // proc(5): field 4, the first after the state, is the parent's pid.
                    string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (int.Parse(f[1], CultureInfo.InvariantCulture) == parent)
                    {
                        sum += CpuTime(pid);
                    }
                }
                catch (IOException)
                {
                    // The process ended while being read.
                }
            }
        }

        return sum;
    }

    /// <summary>The machine's busy and total CPU time so far (all cores), from /proc/stat; zeros where it is missing.</summary>
    /// <returns>Busy and total, in clock ticks.</returns>
    public static (long Busy, long Total) MachineCpu()
    {
        if (!File.Exists("/proc/stat"))
        {
            return (0, 0);
        }

        // proc(5): "cpu user nice system idle iowait irq softirq steal ..."; idle and iowait are not busy.
        string[] f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long[] v = f.Skip(1).Take(8).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        long total = v.Sum();
        return (total - v[3] - v[4], total);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
