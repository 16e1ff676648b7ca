using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>Starts popiot and peer programs as separate processes, waits for their lines, and stops them.</summary>
internal static class PopIotProcesses
{
    /// <summary>The popiot executable built next to the tests (run with <c>dotnet</c>).</summary>
    public static string Cli => Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll");

    public static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);

    public static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    public static Process Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        return Process.Start(info) ?? throw new InvalidOperationException("could not start " + file);
    }

    /// <summary>Starts a program whose output nobody reads (drained so it never blocks on a full pipe).</summary>
    public static Process StartDrained(string file, params string[] args)
    {
        Process p = Start(file, args);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    public static (int Code, string Output, string Error) Run(string file, params string[] args)
    {
        using Process p = Start(file, args);
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), file + " did not exit within 60 s");
        return (p.ExitCode, output, err.Result);
    }

    public static (int Code, string Output, string Error) Popiot(params string[] args) => Run("dotnet", [Cli, .. args]);

    public static void WaitForLine(StreamReader reader, string marker, TimeSpan timeout)
    {
        Task<bool> found = Task.Run(() =>
        {
            string? line;
            while ((line = reader.ReadLine()) != null)
            {
                if (line.Contains(marker, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        });
        Assert.True(found.Wait(timeout) && found.Result, $"'{marker}' did not appear within {timeout.TotalSeconds} s");
    }

    public static void Stop(Process p)
    {
        if (!p.HasExited)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    /// <summary>SIGINT lets tshark finish its capture file cleanly.</summary>
    public static void Interrupt(Process p)
    {
        using (Process kill = Process.Start("kill", ["-INT", Text(p.Id)])!)
        {
            kill.WaitForExit(10_000);
        }

        if (!p.WaitForExit(15_000))
        {
            p.Kill();
        }
    }
}
