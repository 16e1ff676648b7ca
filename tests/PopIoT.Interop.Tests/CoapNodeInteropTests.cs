using System.Net;
using System.Text.Json.Nodes;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>node `coap` 1.5.0 (peers/coap-server.js, peers/coap-client.js) against our client and server, on 127.0.0.1.</summary>
public sealed class CoapNodeInteropTests : IDisposable
{
    private readonly CoapServer _server = new();
    private readonly string _base;
    private readonly CoapClient _client = new(new CoapClientOptions { Timeout = TimeSpan.FromSeconds(15) });

    public CoapNodeInteropTests()
    {
        CoapDemoResources.Map(_server);
        _base = "coap://127.0.0.1:" + _server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    private static string Hex(JsonObject o) => (string)o["payload"]!;

    [SkippableFact]
    public async Task Node_client_against_our_server()
    {
        PeerRequirement.Require(CoapPeers.NodeCoapMissing);
        var time = (await CoapPeers.NodeClientAsync("GET", _base + "/time")).Single();
        Assert.Equal("2.05", (string)time["code"]!);
        Assert.Equal("text/plain", (string?)time["contentFormat"]);

        Assert.Equal("2.01", (string)(await CoapPeers.NodeClientAsync("PUT", _base + "/store", "68656c6c6f")).Single()["code"]!);
        Assert.Equal("68656c6c6f", Hex((await CoapPeers.NodeClientAsync("GET", _base + "/store")).Single()));
        var echo = (await CoapPeers.NodeClientAsync("POST", _base + "/echo", "70696e67", "--non")).Single();
        Assert.Equal("2.04", (string)echo["code"]!);
        Assert.Equal("70696e67", Hex(echo));
        Assert.Equal("2.02", (string)(await CoapPeers.NodeClientAsync("DELETE", _base + "/store")).Single()["code"]!);

        // Block2 (RFC 7959): node coap fetches the rest of /large itself.
        var large = (await CoapPeers.NodeClientAsync("GET", _base + "/large")).Single();
        Assert.Equal(Convert.ToHexString(CoapDemoResources.LargeBody.Span).ToLowerInvariant(), Hex(large));

        using var stop = new CancellationTokenSource();
        Task ticker = CoapDemoResources.RunTimeTickerAsync(_server, TimeSpan.FromMilliseconds(100), stop.Token);
        var notes = await CoapPeers.NodeClientAsync("GET", _base + "/time", "--observe", "3");
        await stop.CancelAsync();
        await ticker;
        Assert.Equal(3, notes.Count);
        Assert.All(notes, n => Assert.Equal("2.05", (string)n["code"]!));
    }

    [SkippableFact]
    public async Task Our_client_against_node_server()
    {
        PeerRequirement.Require(CoapPeers.NodeCoapMissing);
        using CoapPeerServer peer = await CoapPeerServer.StartNodeAsync();
        Uri U(string path) => new(peer.Uri(path));

        Assert.Equal("world", (await _client.GetAsync(U("/hello"))).PayloadText);
        Assert.Equal(CoapCode.Created, (await _client.PutAsync(U("/store"), "abc"u8.ToArray())).Code);
        Assert.Equal("abc", (await _client.GetAsync(U("/store"))).PayloadText);
        Assert.Equal("xyz", (await _client.PostAsync(U("/echo"), "xyz"u8.ToArray())).PayloadText);
        Assert.Equal(CoapCode.Deleted, (await _client.DeleteAsync(U("/store"))).Code);
        Assert.Equal(CoapCode.NotFound, (await _client.GetAsync(U("/store"))).Code);

        Assert.Equal(CoapDemoResources.LargeBody.ToArray(), (await _client.GetAsync(U("/large"))).Payload.ToArray());
        Assert.Equal(CoapDemoResources.LargeBody.ToArray(), (await _client.SendAsync(new CoapRequest(CoapCode.Get, U("/large")) { BlockSize = 64 })).Payload.ToArray());
        byte[] body = new byte[3 * 1024];
        SeededRandomSource.NewRandom(3).NextBytes(body);
        Assert.True((await _client.SendAsync(new CoapRequest(CoapCode.Put, U("/store")) { Payload = body, BlockSize = 64 })).IsSuccess);
        Assert.Equal(body, (await _client.GetAsync(U("/store"))).Payload.ToArray());

        var notes = new List<CoapResponse>();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (CoapResponse r in _client.ObserveAsync(U("/obs"), limit.Token))
        {
            notes.Add(r);
            if (notes.Count == 3)
            {
                break;
            }
        }

        Assert.Equal(["n=0", "n=1", "n=2"], notes.Select(n => n.PayloadText));
    }
}
