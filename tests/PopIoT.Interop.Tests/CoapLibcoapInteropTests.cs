using System.Net;
using System.Text;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>libcoap 4.3 (coap-client-notls, coap-server-notls) against our CoAP server and client, on 127.0.0.1.</summary>
public sealed class CoapLibcoapInteropTests : IDisposable
{
    private readonly CoapServer _server = new();
    private readonly string _base;
    private readonly CoapClient _client = new(new CoapClientOptions { Timeout = TimeSpan.FromSeconds(15) });

    public CoapLibcoapInteropTests()
    {
        CoapDemoResources.Map(_server);
        _base = "coap://127.0.0.1:" + _server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    private static byte[] Body(int n)
    {
        // Printable, so libcoap's output can be compared byte for byte.
        var b = new byte[n];
        var r = SeededRandomSource.NewRandom(n);
        for (int i = 0; i < n; i++)
        {
            b[i] = (byte)('a' + r.Next(26));
        }

        return b;
    }

    [SkippableFact]
    public async Task Libcoap_client_get_put_post_delete_against_our_server()
    {
        PeerRequirement.Require(CoapPeers.LibcoapMissing);
        var time = await CoapPeers.CoapClientAsync("-m", "get", "-B", "5", _base + "/time");
        Assert.Equal(0, time.ExitCode);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", time.Text);

        Assert.Equal(0, (await CoapPeers.CoapClientAsync("-m", "put", "-e", "hello", "-t", "text", "-B", "5", _base + "/store")).ExitCode);
        Assert.Equal("hello", (await CoapPeers.CoapClientAsync("-m", "get", "-B", "5", _base + "/store")).Text.TrimEnd('\n'));
        Assert.Equal("ping", (await CoapPeers.CoapClientAsync("-m", "post", "-e", "ping", "-B", "5", _base + "/echo")).Text.TrimEnd('\n'));
        Assert.Equal(0, (await CoapPeers.CoapClientAsync("-m", "delete", "-B", "5", _base + "/store")).ExitCode);
        var gone = await CoapPeers.CoapClientAsync("-m", "get", "-B", "5", _base + "/store");
        Assert.Contains("4.04", gone.Text + gone.Stderr, StringComparison.Ordinal);
        Assert.Equal(CoapCode.NotFound, (await _client.GetAsync(new Uri(_base + "/store"))).Code);
    }

    [SkippableFact]
    public async Task Libcoap_client_block_wise_get_with_b64_and_3KiB_put()
    {
        PeerRequirement.Require(CoapPeers.LibcoapMissing);
        var large = await CoapPeers.CoapClientAsync("-m", "get", "-b", "64", "-B", "5", _base + "/large");
        Assert.Equal(0, large.ExitCode);
        Assert.Equal(CoapDemoResources.LargeBody.ToArray(), large.Stdout.AsSpan(0, Math.Min(large.Stdout.Length, CoapDemoResources.LargeSize)).ToArray());

        byte[] body = Body(3 * 1024);
        string file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, body);
            foreach (string size in new[] { "64", "1024" })
            {
                var put = await CoapPeers.CoapClientAsync("-m", "put", "-f", file, "-b", size, "-B", "5", _base + "/store");
                Assert.Equal(0, put.ExitCode);
                Assert.Equal(body, (await _client.GetAsync(new Uri(_base + "/store"))).Payload.ToArray());
                await _client.DeleteAsync(new Uri(_base + "/store"));

                // RFC 7959 §2.6: a 3 KiB PUT to /echo comes back whole, Block1 up and Block2 down.
                var echo = await CoapPeers.CoapClientAsync("-m", "put", "-f", file, "-b", size, "-B", "5", _base + "/echo");
                Assert.Equal(0, echo.ExitCode);
                Assert.Equal(body, echo.Stdout.AsSpan(0, Math.Min(echo.Stdout.Length, body.Length)).ToArray());
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [SkippableFact]
    public async Task Libcoap_client_observes_time_and_reads_wellknown_core()
    {
        PeerRequirement.Require(CoapPeers.LibcoapMissing);
        using var stop = new CancellationTokenSource();
        Task ticker = CoapDemoResources.RunTimeTickerAsync(_server, TimeSpan.FromMilliseconds(250), stop.Token);
        var observed = await CoapPeers.CoapClientAsync("-m", "get", "-s", "2", "-B", "5", _base + "/time");
        await stop.CancelAsync();
        await ticker;
        Assert.Equal(0, observed.ExitCode);
        int count = System.Text.RegularExpressions.Regex.Matches(observed.Text, @"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").Count;
        Assert.True(count >= 3, "first response plus notifications, got " + count + ": " + observed.Text);

        var wkc = await CoapPeers.CoapClientAsync("-m", "get", "-B", "5", _base + "/.well-known/core");
        Assert.Contains("</time>;rt=\"time\";ct=0;obs", wkc.Text, StringComparison.Ordinal);
        Assert.Contains("</large>", wkc.Text, StringComparison.Ordinal);
        Assert.Contains("</store>", wkc.Text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Our_client_against_libcoap_server_methods_block_wise_observe_and_wellknown_core()
    {
        PeerRequirement.Require(CoapPeers.LibcoapMissing);
        using CoapPeerServer peer = await CoapPeerServer.StartLibcoapAsync();
        Uri U(string path) => new(peer.Uri(path));

        var time = await _client.GetAsync(U("/time"));
        Assert.Equal(CoapCode.Content, time.Code);
        Assert.Contains("libcoap", (await _client.GetAsync(U("/"))).PayloadText, StringComparison.Ordinal);

        // coap-server -d: PUT creates a resource, GET reads it, POST changes it, DELETE removes it.
        Assert.Equal(CoapCode.Created, (await _client.PutAsync(U("/popiot"), "abc"u8.ToArray(), 0)).Code);
        Assert.Equal("abc", (await _client.GetAsync(U("/popiot"))).PayloadText);
        Assert.Equal(CoapCode.Changed, (await _client.PostAsync(U("/popiot"), "xyz"u8.ToArray(), 0)).Code);
        Assert.Equal(CoapCode.Deleted, (await _client.DeleteAsync(U("/popiot"))).Code);
        Assert.Equal(CoapCode.NotFound, (await _client.GetAsync(U("/popiot"))).Code);

        byte[] body = Body(3 * 1024);
        var put = await _client.SendAsync(new CoapRequest(CoapCode.Put, U("/example_data")) { Payload = body, BlockSize = 64, ContentFormat = 0 });
        Assert.True(put.IsSuccess, put.CodeText);
        var back = await _client.SendAsync(new CoapRequest(CoapCode.Get, U("/example_data")) { BlockSize = 64 });
        Assert.Equal(body, back.Payload.ToArray());
        Assert.Equal(body, (await _client.GetAsync(U("/example_data"))).Payload.ToArray());

        var notes = new List<CoapResponse>();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (CoapResponse r in _client.ObserveAsync(U("/time"), limit.Token))
        {
            notes.Add(r);
            if (notes.Count == 2)
            {
                break;
            }
        }

        Assert.All(notes, r => Assert.NotNull(r.Observe));
        var wkc = await _client.GetAsync(U("/.well-known/core"));
        Assert.Equal(CoapContentFormat.LinkFormat, wkc.ContentFormat);
        Assert.Contains("</time>", wkc.PayloadText, StringComparison.Ordinal);
    }
}
