using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using PopIoT.Cli.Bench.Suite;
using PopIoT.Coap;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>
/// The independent load generator of <c>popiot bench suite</c> (Bench/coap_load.py, Python standard library only):
/// it counts what the server answered, what it did not, and keeps to a fixed rate when asked. Counts, never timings.
/// </summary>
public sealed class PythonLoadGeneratorTests : TempDirectoryTest
{
    private static readonly string? PythonMissing = PeerRequirement.FindOnPath("python3") == null ? "python3 is not on PATH (apt-get install python3)" : null;

    [SkippableFact]
    public async Task Every_request_to_our_server_is_answered_and_counted()
    {
        PeerRequirement.Require(PythonMissing);
        using var server = new CoapServer();
        CoapDemoResources.Map(server);
        int port = server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;

        JsonElement r = await RunAsync(port, "--requests", "300", "--concurrency", "4", "--warmup", "20");

        Assert.Equal("python-stdlib", r.GetProperty("generator").GetString());
        Assert.Equal(300, r.GetProperty("ok").GetInt32());
        Assert.Equal(0, r.GetProperty("errors").GetInt32());
        Assert.True(r.GetProperty("latency_ms_p50").GetDouble() <= r.GetProperty("latency_ms_p99").GetDouble());
    }

    [SkippableFact]
    public async Task Libcoap_answers_every_request_too()
    {
        PeerRequirement.Require(CoapPeers.LibcoapMissing ?? PythonMissing);
        int port = CoapPeers.FreePort();
        using var libcoap = new System.Diagnostics.Process { StartInfo = new("coap-server-notls", ["-A", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-v", "0"]) };
        libcoap.Start();
        try
        {
            // libcoap binds after it starts; the generator's first requests may go unanswered until then.
            JsonElement r = default;
            for (int attempt = 0; attempt < 20; attempt++)
            {
                r = await RunAsync(port, "--requests", "1", "--concurrency", "1", "--timeout", "0.5");
                if (r.GetProperty("ok").GetInt32() == 1)
                {
                    break;
                }
            }

            r = await RunAsync(port, "--requests", "200", "--concurrency", "8");

            Assert.Equal(200, r.GetProperty("ok").GetInt32());
            Assert.Equal(0, r.GetProperty("errors").GetInt32());
        }
        finally
        {
            libcoap.Kill();
            await libcoap.WaitForExitAsync();
        }
    }

    [SkippableFact]
    public async Task A_server_that_never_answers_gives_errors_not_a_hang()
    {
        PeerRequirement.Require(PythonMissing);
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        JsonElement r = await RunAsync(((IPEndPoint)silent.LocalEndPoint!).Port, "--requests", "5", "--concurrency", "2", "--timeout", "0.2");

        Assert.Equal(0, r.GetProperty("ok").GetInt32());
        Assert.Equal(5, r.GetProperty("errors").GetInt32());
    }

    [SkippableFact]
    public async Task A_fixed_rate_holds_the_sends_back()
    {
        PeerRequirement.Require(PythonMissing);
        using var server = new CoapServer();
        CoapDemoResources.Map(server);
        int port = server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;

        JsonElement r = await RunAsync(port, "--requests", "100", "--concurrency", "4", "--rate", "400");

        // 100 requests at 400/s cannot all be sent before a quarter of a second less one interval has passed.
        Assert.Equal(100, r.GetProperty("ok").GetInt32());
        Assert.True(r.GetProperty("seconds").GetDouble() >= 99 / 400.0, "seconds: " + r.GetProperty("seconds"));
    }

    [SkippableFact]
    public async Task Bad_arguments_are_refused_with_a_message()
    {
        PeerRequirement.Require(PythonMissing);
        string script = Generators.WriteScript(Dir);

        var o = await CoapPeers.RunAsync("python3", [script, "--requests", "0"], TimeSpan.FromSeconds(20));

        Assert.Equal(2, o.ExitCode);
        Assert.Contains("--requests and --concurrency", o.Stderr, StringComparison.Ordinal);
    }

    private async Task<JsonElement> RunAsync(int port, params string[] args)
    {
        string script = Generators.WriteScript(Dir);
        var o = await CoapPeers.RunAsync("python3", [script, "--port", port.ToString(CultureInfo.InvariantCulture), .. args], TimeSpan.FromSeconds(60));
        Assert.True(o.ExitCode == 0, "python3 coap_load.py exited " + o.ExitCode + ": " + o.Stderr);
        return JsonDocument.Parse(o.Text).RootElement.Clone();
    }
}
