using System.Diagnostics;
using System.Globalization;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// Progress of a suite run on standard error: a bar redrawn in place when a person watches (an interactive
/// terminal), one plain line per step otherwise (CI logs, pipes, tests), so logs stay readable.
/// </summary>
internal sealed class SuiteProgress
{
    private const int BarWidth = 28;
    private readonly TextWriter _error;
    private readonly bool _interactive;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _done;
    private int _lastWidth;

    public SuiteProgress(TextWriter error, bool interactive, int totalSteps)
    {
        _error = error;
        _interactive = interactive;
        Total = Math.Max(1, totalSteps);
    }

    public int Total { get; private set; }

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Whether <paramref name="error"/> is a terminal a person reads (not redirected, not a dumb terminal).</summary>
    public static bool IsInteractive(TextWriter error) =>
        ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb"
        && Environment.GetEnvironmentVariable("CI") is null or "" or "false";

    /// <summary>Marks one step done; <paramref name="label"/> says what was just measured.</summary>
    public void Step(string label)
    {
        _done = Math.Min(_done + 1, Total);
        string time = ((int)Elapsed.TotalMinutes).ToString("00", CultureInfo.InvariantCulture) + ":" + Elapsed.Seconds.ToString("00", CultureInfo.InvariantCulture);
        if (_interactive)
        {
            int filled = _done * BarWidth / Total;
            string line = "\r[" + new string('#', filled) + new string('-', BarWidth - filled) + "] " + _done + "/" + Total + " " + time + " " + label;
            // A line longer than the terminal wraps, and the carriage return would then redraw only its last row.
            int columns = TerminalColumns();
            if (line.Length > columns)
            {
                line = line[..columns];
            }

            int width = line.Length;
            _error.Write(line.PadRight(Math.Max(width, _lastWidth)));
            _lastWidth = width;
            if (_done == Total)
            {
                _error.WriteLine();
            }
        }
        else
        {
            _error.WriteLine("bench suite [" + _done + "/" + Total + " " + time + "] " + label);
        }

        _error.Flush();
    }

    private static int TerminalColumns()
    {
        try
        {
            return Console.WindowWidth > 10 ? Console.WindowWidth : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    /// <summary>A message that must not be overwritten by the bar (a skipped comparison, a warning).</summary>
    public void Note(string message)
    {
        if (_interactive && _lastWidth > 0)
        {
            _error.Write("\r" + new string(' ', _lastWidth) + "\r");
        }

        _error.WriteLine("bench suite: " + message);
        _error.Flush();
    }
}
