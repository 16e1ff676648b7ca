using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using PopIoT.Coap;
using PopIoT.Interop.Tests.Peers;

namespace PopIoT.Interop.Tests;

/// <summary>Runs the CoAP peers: libcoap's coap-client-notls/coap-server-notls and the node `coap` scripts in peers/.</summary>
internal static class CoapPeers
{
    public static string? LibcoapMissing =>
        PeerRequirement.FindOnPath("coap-client-notls") == null || PeerRequirement.FindOnPath("coap-server-notls") == null
            ? "libcoap 4.3 coap-client-notls/coap-server-notls are not on PATH (apt-get install libcoap3-bin)"
            : null;

    public static string? NodeCoapMissing =>
        PeerRequirement.FindOnPath("node") == null ? "node is not on PATH"
        : !Directory.Exists(Path.Combine(PeerRequirement.PeersDir, "node_modules", "coap")) ? "node coap is not installed (npm ci --prefix tests/PopIoT.Interop.Tests/peers)"
        : null;

    public sealed record Output(int ExitCode, byte[] Stdout, string Stderr)
    {
        public string Text => Encoding.UTF8.GetString(Stdout);
    }

    /// <summary>Runs a program to completion (killed after <paramref name="limit"/>), capturing raw stdout.</summary>
    public static async Task<Output> RunAsync(string exe, IEnumerable<string> args, TimeSpan limit)
    {
        var info = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = PeerRequirement.PeersDir };
        using var p = Process.Start(info) ?? throw new InvalidOperationException("cannot start " + exe);
        using var stdout = new MemoryStream();
        Task copy = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        Task<string> err = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            throw new TimeoutException(exe + " " + string.Join(' ', args) + " did not finish within " + limit.TotalSeconds + " s");
        }

        await copy;
        return new Output(p.ExitCode, stdout.ToArray(), await err);
    }

    public static Task<Output> CoapClientAsync(params string[] args) => RunAsync("coap-client-notls", args, TimeSpan.FromSeconds(20));

    /// <summary>The node client: one JSON object per response.</summary>
    public static async Task<List<JsonObject>> NodeClientAsync(params string[] args)
    {
        Output o = await RunAsync("node", [Path.Combine(PeerRequirement.PeersDir, "coap-client.js"), .. args], TimeSpan.FromSeconds(25));
        if (o.ExitCode != 0)
        {
            throw new InvalidOperationException("node coap client failed (" + o.ExitCode + "): " + o.Stderr);
        }

        return o.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
    }

    /// <summary>A free UDP port on 127.0.0.1 for a peer that cannot report an ephemeral one.</summary>
    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}

/// <summary>A peer server process, stopped on dispose.</summary>
internal sealed class CoapPeerServer : IDisposable
{
    private readonly Process _process;

    private CoapPeerServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Uri(string path) => "coap://127.0.0.1:" + Port + path;

    /// <summary>libcoap's coap-server-notls on 127.0.0.1, with up to 10 resources created by PUT (-d 10).</summary>
    public static async Task<CoapPeerServer> StartLibcoapAsync()
    {
        int port = CoapPeers.FreePort();
        var info = new ProcessStartInfo("coap-server-notls", ["-A", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-d", "10", "-v", "0"])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var server = new CoapPeerServer(Process.Start(info)!, port);
        server._process.OutputDataReceived += (_, _) => { };
        server._process.ErrorDataReceived += (_, _) => { };
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        await server.WaitUntilAnsweringAsync();
        return server;
    }

    // libcoap prints nothing when its socket is ready: it is ready when it answers a GET of /.well-known/core (RFC 6690 §4).
    private async Task WaitUntilAnsweringAsync()
    {
        var waited = Stopwatch.StartNew();
        await using var probe = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromMilliseconds(500) });
        while (true)
        {
            try
            {
                await probe.GetAsync(new System.Uri(Uri("/.well-known/core")));
                return;
            }
            catch (Exception e) when ((e is TimeoutException or CoapException) && !_process.HasExited && waited.Elapsed < TimeSpan.FromSeconds(15))
            {
                // not listening yet: ask again
            }
        }
    }

    /// <summary>peers/coap-server.js (node coap) on an ephemeral port of 127.0.0.1.</summary>
    public static async Task<CoapPeerServer> StartNodeAsync()
    {
        var info = new ProcessStartInfo("node", [Path.Combine(PeerRequirement.PeersDir, "coap-server.js"), "0"])
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = PeerRequirement.PeersDir,
        };
        Process p = Process.Start(info)!;
        string? line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15));
        JsonNode ready = JsonNode.Parse(line ?? throw new InvalidOperationException("node coap server exited: " + await p.StandardError.ReadToEndAsync()))!;
        return new CoapPeerServer(p, (int)ready["port"]!);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
