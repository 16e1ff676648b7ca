using System.Net;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using Xunit;

namespace PopIoT.Tests.Coap;

/// <summary>CoapClient and CoapServer over DTLS on real UDP sockets on 127.0.0.1 (RFC 7252 §9, docs/dtls.md, "Hosts").</summary>
public sealed class DtlsCoapLoopbackTests : IDisposable
{
    private static readonly byte[] Identity = "client1"u8.ToArray();
    private static readonly byte[] Key = Convert.FromHexString("00112233445566778899aabbccddeeff");
    private readonly DtlsPskTable _psks = DtlsCoapLossyTests.Table();
    private readonly CoapServer _server = new();
    private readonly string _base;

    public DtlsCoapLoopbackTests()
    {
        CoapDemoResources.Map(_server);
        var udp = new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0));
        _base = "coaps://127.0.0.1:" + _server.Start(new DtlsCoapTransport(udp, new DtlsCoapTransportOptions { PskStore = _psks })).Port;
    }

    public void Dispose()
    {
        _server.Dispose();
        _psks.Dispose();
    }

    [Fact]
    public async Task Concurrent_clients_each_with_its_own_session_put_and_get_3_KB_block_wise()
    {
        var clients = Enumerable.Range(0, 4).Select(_ => new CoapClient(new CoapClientOptions { PskIdentity = Identity, Psk = Key, Timeout = TimeSpan.FromSeconds(20) })).ToArray();
        try
        {
            byte[] body = new byte[3072];
            SeededRandomSource.NewRandom(3).NextBytes(body);
            CoapResponse put = await clients[0].SendAsync(new CoapRequest(CoapCode.Put, new Uri(_base + "/store")) { Payload = body, BlockSize = 1024 });
            Assert.True(put.IsSuccess, put.CodeText);
            CoapResponse[] gets = await Task.WhenAll(clients.SelectMany(c => Enumerable.Range(0, 5).Select(_ => c.SendAsync(new CoapRequest(CoapCode.Get, new Uri(_base + "/store")) { BlockSize = 256 }))));
            Assert.All(gets, g => Assert.Equal(body, g.Payload.ToArray()));
            CoapResponse large = await clients[1].GetAsync(new Uri(_base + "/large"));
            Assert.Equal(CoapDemoResources.LargeBody.ToArray(), large.Payload.ToArray());
        }
        finally
        {
            foreach (CoapClient c in clients)
            {
                c.Dispose();
            }
        }
    }

    [Fact]
    public async Task Observe_over_udp_gets_notifications()
    {
        using var client = new CoapClient(new CoapClientOptions { PskIdentity = Identity, Psk = Key, Timeout = TimeSpan.FromSeconds(20) });
        using var stop = new CancellationTokenSource();
        Task ticker = CoapDemoResources.RunTimeTickerAsync(_server, TimeSpan.FromMilliseconds(100), stop.Token);
        var seen = new List<CoapResponse>();
        await foreach (CoapResponse r in client.ObserveAsync(new Uri(_base + "/time")))
        {
            seen.Add(r);
            if (seen.Count == 3)
            {
                break;
            }
        }

        await stop.CancelAsync();
        await ticker;
        Assert.All(seen, r => Assert.NotNull(r.Observe));
        Assert.True(seen[2].Observe > seen[1].Observe);
    }
}
