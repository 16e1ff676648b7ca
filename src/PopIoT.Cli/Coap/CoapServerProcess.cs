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

    /// <summary>The coaps:// URI of <paramref name="path"/>: both servers take DTLS on their CoAP port + 1, as libcoap's coap-server does.</summary>
    public Uri SecureUri(string path) => new("coaps://127.0.0.1:" + (Port + 1).ToString(CultureInfo.InvariantCulture) + path);

    /// <summary><c>popiot coap serve</c>: this executable again (the apphost, or dotnet with this assembly).</summary>
    /// <remarks>It stops by itself after an hour, should this process end without stopping it.</remarks>
    public static CoapServerProcess StartOurs() =>
        StartOurs("popiot-coap-serve", port => ["coap", "serve", "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--duration", "3600"], null);

    /// <summary>This executable again with the arguments <paramref name="args"/> gives for a free port; <paramref name="stdin"/>, when given, is written to its standard input (secrets stay off the command line).</summary>
    public static CoapServerProcess StartOurs(string name, Func<int, IEnumerable<string>> args, string? stdin)
    {
        int port = FreePort();
        string exe = Environment.ProcessPath ?? "dotnet";
        var all = new List<string>();
        if (Path.GetFileNameWithoutExtension(exe) is not ("PopIoT.Cli" or "popiot"))
        {
            exe = "dotnet";
            all.Add(typeof(CoapServerProcess).Assembly.Location);
        }

        all.AddRange(args(port));
        return Start(exe, all, port, name, stdin);
    }

    /// <summary>libcoap 4.3's <c>coap-server-notls</c> (package libcoap3-bin), quiet.</summary>
    public static CoapServerProcess StartLibcoap()
    {
        int port = FreePort();
        return Start("coap-server-notls", ["-A", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-v", "0"], port, "libcoap-coap-server-notls");
    }

    /// <summary>libcoap 4.3's <c>coap-server-openssl</c>, quiet, with the pre-shared key <paramref name="keyText"/> (libcoap takes it as text) for any identity.</summary>
    public static CoapServerProcess StartLibcoapOpenssl(string keyText)
    {
        int port = FreePort();
        return Start("coap-server-openssl", ["-A", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-k", keyText, "-v", "0"], port, "libcoap-coap-server-openssl");
    }

    public async Task WaitReadyAsync(TimeSpan limit)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < limit)
        {
            if (_process.HasExited)
            {
                throw new CliUsageException(Name + " exited with code " + _process.ExitCode);
            }

            // A fresh client each try: until the child binds its port, the kernel answers with ICMP port unreachable,
            // which ends a request at once (docs/coap.md, "No silent waits"); a short pause then avoids spinning.
            using var client = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromMilliseconds(300) });
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
            catch (CoapException)
            {
                await Task.Delay(50).ConfigureAwait(false);
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

    private static CoapServerProcess Start(string exe, IEnumerable<string> args, int port, string name, string? stdin = null)
    {
        var info = new ProcessStartInfo(exe, args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin != null };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new CliUsageException("cannot start " + exe);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliUsageException("cannot start " + exe + " (" + e.Message + "); for libcoap install libcoap3-bin");
        }

        if (stdin != null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new CoapServerProcess(process, port, name);
    }

    // A free port whose successor is free too: a server with a PSK takes DTLS on its CoAP port + 1.
    private static int FreePort()
    {
        while (true)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            if (port == IPEndPoint.MaxPort)
            {
                continue;
            }

            using var next = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                next.Bind(new IPEndPoint(IPAddress.Loopback, port + 1));
                return port;
            }
            catch (SocketException)
            {
                // taken: try another ephemeral port
            }
        }
    }
}
