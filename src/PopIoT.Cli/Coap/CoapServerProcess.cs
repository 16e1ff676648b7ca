using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PopIoT.Coap;

namespace PopIoT.Cli.Coap;

/// <summary>A CoAP server in a child process on 127.0.0.1 (ours or libcoap's) for <c>popiot bench coap --compare-libcoap</c>.</summary>
internal sealed class CoapServerProcess : IDisposable
{
    private readonly Process _process;

    private CoapServerProcess(Process process, int port, string name)
    {
        _process = process;
        Port = port;
        Name = name;
    }

    public int Port { get; }

    public string Name { get; }

    public Uri Uri(string path) => new("coap://127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture) + path);

    /// <summary><c>popiot coap serve</c>: this executable again (the apphost, or dotnet with this assembly).</summary>
    public static CoapServerProcess StartOurs()
    {
        int port = FreePort();
        string exe = Environment.ProcessPath ?? "dotnet";
        string name = Path.GetFileNameWithoutExtension(exe);
        var args = new List<string>();
        if (name is not ("PopIoT.Cli" or "popiot"))
        {
            exe = "dotnet";
            args.Add(typeof(CoapServerProcess).Assembly.Location);
        }

        args.AddRange(["coap", "serve", "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture)]);
        return Start(exe, args, port, "popiot-coap-serve");
    }

    /// <summary>libcoap 4.3's <c>coap-server-notls</c> (package libcoap3-bin), quiet.</summary>
    public static CoapServerProcess StartLibcoap()
    {
        int port = FreePort();
        return Start("coap-server-notls", ["-A", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-v", "0"], port, "libcoap-coap-server-notls");
    }

    public async Task WaitReadyAsync(TimeSpan limit)
    {
        using var client = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < limit)
        {
            if (_process.HasExited)
            {
                throw new CliUsageException(Name + " exited with code " + _process.ExitCode);
            }

            try
            {
                if ((await client.GetAsync(Uri("/time")).ConfigureAwait(false)).IsSuccess)
                {
                    return;
                }
            }
            catch (TimeoutException)
            {
            }
        }

        throw new CliUsageException(Name + " did not answer GET /time within " + limit.TotalSeconds + " s");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private static CoapServerProcess Start(string exe, IEnumerable<string> args, int port, string name)
    {
        var info = new ProcessStartInfo(exe, args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new CliUsageException("cannot start " + exe);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliUsageException("cannot start " + exe + " (" + e.Message + "); for libcoap install libcoap3-bin");
        }

        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new CoapServerProcess(process, port, name);
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
