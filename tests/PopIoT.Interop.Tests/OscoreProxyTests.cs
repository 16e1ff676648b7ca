using System.Diagnostics;
using PopIoT.Coap;
using PopIoT.Interop.Tests.Peers;
using Xunit;
using static PopIoT.Interop.Tests.PopIotProcesses;

namespace PopIoT.Interop.Tests;

/// <summary>
/// OSCORE end to end through a CoAP forward proxy (RFC 8613 §4.1.3.3, §8; docs/coap.md "Through a forward proxy"):
/// popiot as the gateway, libcoap's coap-server in its forward-proxy role (-P), and popiot's OSCORE server as the
/// device. The proxy forwards on the Outer options alone and never sees the inner path or payload; a proxy that
/// changes the protected payload gets a refusal, never data.
/// </summary>
public sealed class OscoreProxyTests : TempDirectoryTest
{
    private const string Secret = "0102030405060708090a0b0c0d0e0f10";
    private const string Salt = "9e7ca92223786340";
    private const string Body = "inner-body-the-proxy-must-not-see";

    private (string Server, string Client) Contexts()
    {
        string server = F("server.json"), client = F("client.json");
        File.WriteAllText(server, $$"""{"sender_id":"01","recipient_id":"","master_secret":"{{Secret}}","master_salt":"{{Salt}}","alg":10,"replay_window":32}""");
        File.WriteAllText(client, $$"""{"sender_id":"","recipient_id":"01","master_secret":"{{Secret}}","master_salt":"{{Salt}}","alg":10,"replay_window":32}""");
        return (server, client);
    }

    [SkippableFact]
    public async Task An_oscore_request_through_libcoaps_forward_proxy_works_and_the_proxy_never_sees_the_inner_path_or_payload()
    {
        PeerRequirement.Require(CoapPeers.LibcoapMissing);
        PeerRequirement.Require(PeerRequirement.FindOnPath("tshark") == null ? "tshark not on PATH (apt-get install tshark)" : null);
        PeerRequirement.Require(Environment.UserName == "root" ? null : "live capture on loopback needs root (CI runs as root)");

        (string server, string client) = Contexts();
        int device = FreeUdpPort(), proxy = FreeUdpPort();
        string pcap = F("proxy.pcapng");
        using Process serve = Start("dotnet", PopIotProcesses.Cli, "coap", "serve", "--port", Text(device), "--oscore", server, "--seq", "0", "--duration", "60");
        WaitForLine(serve.StandardOutput, "listening on", TimeSpan.FromSeconds(30));
        // -P ",NAME": forward every proxy request straight to its origin; NAME is only the proxy's own name.
        using Process libcoap = StartDrained("coap-server-notls", "-A", "127.0.0.1", "-p", Text(proxy), "-P", ",popiot-test-proxy", "-v", "0");
        await WaitUntilAnsweringAsync(proxy, libcoap);
        // Captured from here on, so the readiness probe above is not in it.
        using Process capture = Start("tshark", "-i", "lo", "-f", $"udp port {device} or udp port {proxy}", "-w", pcap, "-a", "duration:90");
        WaitForLine(capture.StandardError, "Capturing on", TimeSpan.FromSeconds(30));

        string via = $"coap://127.0.0.1:{proxy}";
        var put = Popiot("coap", "put", $"coap://127.0.0.1:{device}/store", "-e", Body, "--oscore", client, "--seq", "0", "--proxy", via);
        var get = Popiot("coap", "get", $"coap://127.0.0.1:{device}/store", "--oscore", client, "--proxy", via);
        Stop(libcoap);
        Stop(serve);
        Interrupt(capture);

        Assert.True(put.Code == 0, put.Output + put.Error);
        Assert.StartsWith("2.01 Created", put.Output, StringComparison.Ordinal);
        Assert.True(get.Code == 0, get.Output + get.Error);
        Assert.Contains(Body, get.Output, StringComparison.Ordinal);

        // Both legs were captured: gateway → proxy with Proxy-Scheme and Uri-Host/Uri-Port (Outer, class U), and
        // proxy → device; every request on them is the OSCORE POST, and no leg carries a Uri-Path.
        string[] rows = Run("tshark", "-r", pcap, "-d", $"udp.port=={device},coap", "-d", $"udp.port=={proxy},coap", "-T", "fields", "-E", "separator=|",
            "-e", "udp.srcport", "-e", "udp.dstport", "-e", "coap.code", "-e", "coap.opt.proxy_scheme", "-e", "coap.opt.uri_host", "-e", "coap.opt.uri_path", "-e", "coap.opt.proxy_uri")
            .Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[][] cells = rows.Select(r => r.Split('|')).ToArray();
        string[][] toProxy = cells.Where(c => c[1] == Text(proxy) && c[2] is "1" or "2" or "3" or "4" or "5").ToArray();
        string[][] toDevice = cells.Where(c => c[1] == Text(device) && c[2] is "1" or "2" or "3" or "4" or "5").ToArray();
        Assert.True(toProxy.Length >= 2, "requests to the proxy: " + string.Join('\n', rows));
        Assert.True(toDevice.Length >= 2, "requests forwarded to the device: " + string.Join('\n', rows));
        Assert.All(toProxy, c => Assert.Equal(("2", "coap", "127.0.0.1"), (c[2], c[3], c[4])));
        Assert.All(toDevice, c => Assert.Equal("2", c[2]));
        Assert.All(cells, c => Assert.Equal(("", ""), (c[5], c[6])));

        // Not a byte of the inner path or body anywhere on the wire, in either direction.
        byte[] wire = File.ReadAllBytes(pcap);
        Assert.Equal(-1, wire.AsSpan().IndexOf("store"u8));
        Assert.Equal(-1, wire.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(Body)));

        // The control: given the context, tshark finds the inner PUT, its path and the body on both legs, so the
        // capture does hold the protected messages the proxy relayed (RFC 8613 §4.1.3.3: Uri-Path is class E).
        string uat = $"uat:oscore_contexts:\"\",\"01\",\"{Secret}\",\"{Salt}\",\"\",\"AES-CCM-16-64-128 (CCM*)\"";
        string[] inner = Run("tshark", "-r", pcap, "-d", $"udp.port=={device},coap", "-d", $"udp.port=={proxy},coap", "-o", uat, "-T", "fields", "-E", "separator=|",
            "-e", "udp.dstport", "-e", "oscore.code", "-e", "oscore.opt.uri_path")
            .Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(inner, r => r.StartsWith(Text(proxy) + "|3|store", StringComparison.Ordinal));
        Assert.Contains(inner, r => r.StartsWith(Text(device) + "|3|store", StringComparison.Ordinal));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_plain_request_goes_through_libcoaps_forward_proxy_with_proxy_uri_or_proxy_scheme(bool schemeForm)
    {
        PeerRequirement.Require(CoapPeers.LibcoapMissing);
        int device = FreeUdpPort(), proxy = FreeUdpPort();
        using Process serve = Start("dotnet", PopIotProcesses.Cli, "coap", "serve", "--port", Text(device), "--duration", "60");
        WaitForLine(serve.StandardOutput, "listening on", TimeSpan.FromSeconds(30));
        using Process libcoap = StartDrained("coap-server-notls", "-A", "127.0.0.1", "-p", Text(proxy), "-P", ",popiot-test-proxy", "-v", "0");
        try
        {
            await WaitUntilAnsweringAsync(proxy, libcoap);
            string[] form = schemeForm ? ["--proxy-scheme"] : [];
            var post = Popiot(["coap", "post", $"coap://127.0.0.1:{device}/echo?x=1", "-e", "via-proxy", "-t", "text", "--proxy", $"coap://127.0.0.1:{proxy}", .. form]);
            Assert.True(post.Code == 0, post.Output + post.Error);
            Assert.StartsWith("2.04 Changed", post.Output, StringComparison.Ordinal);
            Assert.Contains("via-proxy", post.Output, StringComparison.Ordinal);
        }
        finally
        {
            Stop(libcoap);
            Stop(serve);
        }
    }

    [Fact]
    public void A_proxy_that_changes_the_protected_request_gets_a_refusal_and_the_request_never_runs()
    {
        (string server, string client) = Contexts();
        int device = FreeUdpPort();
        using Process serve = Start("dotnet", PopIotProcesses.Cli, "coap", "serve", "--port", Text(device), "--oscore", server, "--seq", "0", "--duration", "60");
        WaitForLine(serve.StandardOutput, "listening on", TimeSpan.FromSeconds(30));
        try
        {
            using (var tamper = new TamperingForwardProxy(flipRequests: true, flipResponses: false))
            {
                var put = Popiot("coap", "put", $"coap://127.0.0.1:{device}/store", "-e", Body, "--oscore", client, "--seq", "0", "--proxy", $"coap://127.0.0.1:{tamper.Port}", "-B", "20");
                Assert.Equal(1, put.Code);
                Assert.StartsWith("4.00 Bad Request", put.Output, StringComparison.Ordinal);
                Assert.Contains("Decryption failed", put.Output, StringComparison.Ordinal);
                Assert.True(tamper.Flipped >= 1);
                Assert.True(tamper.ProxySchemeRequests >= 1 && tamper.ProxyUriRequests == 0, "under OSCORE the Proxy-Uri is decomposed (RFC 8613 §4.1.3.3)");
            }

            // The PUT never reached /store: the direct GET finds it empty.
            var get = Popiot("coap", "get", $"coap://127.0.0.1:{device}/store", "--oscore", client);
            Assert.Equal(1, get.Code);
            Assert.StartsWith("4.04 Not Found", get.Output, StringComparison.Ordinal);
        }
        finally
        {
            Stop(serve);
        }
    }

    [Fact]
    public void A_proxy_that_changes_the_protected_response_gets_a_refusal_and_no_data()
    {
        (string server, string client) = Contexts();
        int device = FreeUdpPort();
        using Process serve = Start("dotnet", PopIotProcesses.Cli, "coap", "serve", "--port", Text(device), "--oscore", server, "--seq", "0", "--duration", "60");
        WaitForLine(serve.StandardOutput, "listening on", TimeSpan.FromSeconds(30));
        try
        {
            var put = Popiot("coap", "put", $"coap://127.0.0.1:{device}/store", "-e", Body, "--oscore", client, "--seq", "0");
            Assert.True(put.Code == 0, put.Output + put.Error);

            using var tamper = new TamperingForwardProxy(flipRequests: false, flipResponses: true);
            var get = Popiot("coap", "get", $"coap://127.0.0.1:{device}/store", "--oscore", client, "--proxy", $"coap://127.0.0.1:{tamper.Port}", "-B", "20");
            Assert.Equal(1, get.Code);
            Assert.DoesNotContain(Body, get.Output + get.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("2.05", get.Output, StringComparison.Ordinal);
            Assert.Contains("failed verification", get.Error, StringComparison.Ordinal);
            Assert.True(tamper.Flipped >= 1);
        }
        finally
        {
            Stop(serve);
        }
    }

    // libcoap prints nothing when it is ready: it is when it answers a GET of its own /.well-known/core (RFC 6690 §4).
    private static async Task WaitUntilAnsweringAsync(int port, Process process)
    {
        var waited = Stopwatch.StartNew();
        await using var probe = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromMilliseconds(500) });
        while (true)
        {
            try
            {
                await probe.GetAsync(new Uri($"coap://127.0.0.1:{port}/.well-known/core"));
                return;
            }
            catch (Exception e) when ((e is TimeoutException or CoapException) && !process.HasExited && waited.Elapsed < TimeSpan.FromSeconds(15))
            {
                // not listening yet: ask again
            }
        }
    }
}
