using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// A <c>popiot</c> command in its own process, for the tests where more than one process is involved: it waits for the
/// line that says the command is ready, keeps everything it printed, and can be sent a POSIX signal. Started
/// "in the background" it runs as <c>sh -c 'popiot … &amp;'</c> does, with SIGINT and SIGQUIT ignored from the start
/// (POSIX, Shell Command Language §2.11: an asynchronous list without job control inherits them ignored).
/// </summary>
internal sealed class PopiotProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _error = new();
    private readonly TaskCompletionSource<bool> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _readyText;

    private PopiotProcess(ProcessStartInfo info, string readyText, bool background)
    {
        _readyText = readyText;
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + info.FileName);
        var pid = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!background)
        {
            pid.SetResult(_process.Id);
        }

        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null)
            {
                _ready.TrySetResult(false);
                pid.TrySetResult(-1);
                return;
            }

            if (!pid.Task.IsCompleted && int.TryParse(e.Data, NumberStyles.None, CultureInfo.InvariantCulture, out int child))
            {
                pid.TrySetResult(child);
                return;
            }

            Append(_out, e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                Append(_error, e.Data);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!pid.Task.Wait(TimeSpan.FromSeconds(60)) || pid.Task.Result < 0)
        {
            Kill();
            throw new InvalidOperationException("the background shell did not print the pid of popiot");
        }

        Pid = pid.Task.Result;
    }

    /// <summary>The pid of the popiot process itself (not of the shell around a background one).</summary>
    public int Pid { get; }

    /// <summary>What it printed on stdout so far.</summary>
    public string Out
    {
        get
        {
            lock (_out)
            {
                return _out.ToString();
            }
        }
    }

    /// <summary>What it printed on stderr so far.</summary>
    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>
    /// Its stderr once it holds <paramref name="text"/>, or after 30 s: the AS logs through the console logger's queue,
    /// so the line that explains a response can reach stderr just after the response itself.
    /// </summary>
    /// <param name="text">The text waited for.</param>
    /// <returns>What it printed on stderr.</returns>
    public string ErrorOnceItHolds(string text)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Error.Contains(text, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        return Error;
    }

    /// <summary>Its exit code, once exited (for a background one, the shell passes the command's on).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>popiot ARGS</c> and waits until a stdout line contains <paramref name="readyText"/>.</summary>
    public static PopiotProcess Start(string readyText, bool background, params string[] args) => Start(readyText, background, null, args);

    /// <summary>Starts <c>popiot ARGS</c> with these environment variables set, and waits for <paramref name="readyText"/>.</summary>
    public static PopiotProcess Start(string readyText, bool background, IDictionary<string, string>? environment, params string[] args)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll");
        ProcessStartInfo info = background
            ? new ProcessStartInfo("/bin/sh", ["-c", "\"$@\" & echo $!; wait $!", "sh", "dotnet", cli, .. args])
            : new ProcessStartInfo("dotnet", [cli, .. args]);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        foreach (KeyValuePair<string, string> e in environment ?? new Dictionary<string, string>())
        {
            info.Environment[e.Key] = e.Value;
        }

        var p = new PopiotProcess(info, readyText, background);
        if (!p._ready.Task.Wait(TimeSpan.FromSeconds(60)) || !p._ready.Task.Result)
        {
            string seen = p.Out + p.Error;
            p.Kill();
            throw new InvalidOperationException("popiot " + string.Join(' ', args) + " did not print '" + readyText + "' within 60 s: " + seen);
        }

        return p;
    }

    /// <summary>Sends SIGTERM or SIGINT (a name <c>kill -s</c> knows) to the popiot process.</summary>
    public void Signal(string name)
    {
        using Process kill = Process.Start("kill", ["-s", name, Pid.ToString(CultureInfo.InvariantCulture)]) ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the exit (of the shell as well, for a background one).</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit();
        return true;
    }

    /// <summary>A UDP port free on loopback now.</summary>
    public static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Kill()
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

        // A background popiot is not the shell's child in the tree .NET walks once the shell is gone.
        try
        {
            using Process child = Process.GetProcessById(Pid);
            if (!child.HasExited)
            {
                child.Kill();
                child.WaitForExit(10_000);
            }
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void Append(StringBuilder to, string line)
    {
        lock (to)
        {
            to.Append(line).Append('\n');
        }

        if (to == _out && line.Contains(_readyText, StringComparison.Ordinal))
        {
            _ready.TrySetResult(true);
        }
    }
}
