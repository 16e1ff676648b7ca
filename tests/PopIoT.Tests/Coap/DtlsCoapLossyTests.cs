using System.Net;
using System.Text;
using PopIoT.Coap;
using PopIoT.Core;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Dtls;
using Xunit;

namespace PopIoT.Tests.Coap;

/// <summary>CoAP over DTLS (coaps://, RFC 7252 §9) on the seeded lossy network with its virtual clock (docs/dtls.md, "Hosts").</summary>
public class DtlsCoapLossyTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 5684);
    private static readonly byte[] Identity = Encoding.UTF8.GetBytes("client1");
    private static readonly byte[] Key = Convert.FromHexString("00112233445566778899aabbccddeeff");

    [Fact]
    public async Task Requests_from_many_clients_complete_over_a_network_that_drops_duplicates_and_reorders()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 15, DropRate = 0.2, DuplicateRate = 0.1, ReorderRate = 0.2, MinDelayMs = 1, MaxDelayMs = 30, ReorderDelayMs = 300 });
        using var psks = Table();
        using var server = StartServer(net, psks, 1);
        var clients = Enumerable.Range(0, 8).Select(i => Client(net, i, Identity, Key)).ToArray();
        try
        {
            var gets = clients.SelectMany(c => Enumerable.Range(0, 5).Select(_ => c.SendAsync(new CoapRequest(CoapCode.Post, new Uri("coaps://10.0.0.1/echo")) { Payload = "hello"u8.ToArray() }))).ToArray();
            net.RunUntil(() => gets.All(t => t.IsCompleted), 3_600_000);
            foreach (Task<CoapResponse> t in gets)
            {
                CoapResponse r = await t;
                Assert.Equal(CoapCode.Changed, r.Code);
                Assert.Equal("hello", r.PayloadText);
            }

            Assert.True(net.Statistics.Dropped > 0 && net.Statistics.Duplicated > 0 && net.Statistics.Reordered > 0);
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
    public async Task A_3_KB_block_wise_put_then_get_round_trips_over_a_lossy_network()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 3, DropRate = 0.15, DuplicateRate = 0.1, ReorderRate = 0.2, ReorderDelayMs = 200 });
        using var psks = Table();
        using var server = StartServer(net, psks, 1);
        using var client = Client(net, 0, Identity, Key);
        byte[] body = new byte[3072];
        SeededRandomSource.NewRandom(7).NextBytes(body);
        var put = client.SendAsync(new CoapRequest(CoapCode.Put, new Uri("coaps://10.0.0.1/store")) { Payload = body, BlockSize = 1024 });
        net.RunUntil(() => put.IsCompleted, 3_600_000);
        CoapResponse created = await put;
        Assert.Equal(CoapCode.Created, created.Code);
        var get = client.SendAsync(new CoapRequest(CoapCode.Get, new Uri("coaps://10.0.0.1/store")) { BlockSize = 512 });
        net.RunUntil(() => get.IsCompleted, 7_200_000);
        Assert.Equal(body, (await get).Payload.ToArray());
    }

    [Fact]
    public async Task Observe_delivers_notifications_over_dtls()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 4 });
        using var psks = Table();
        int tick = 0;
        using var server = StartServer(net, psks, 1, s => s.Map("/tick", CoapMethods.Get, (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, Encoding.ASCII.GetBytes("t" + Volatile.Read(ref tick)))), observable: true));
        using var client = Client(net, 0, Identity, Key);
        await using var observation = client.ObserveAsync(new Uri("coaps://10.0.0.1/tick")).GetAsyncEnumerator();
        var seen = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            if (i > 0)
            {
                tick++;
                Assert.Equal(1, server.NotifyObservers("/tick"));
            }

            // The enumerator resumes on the thread pool once the network delivered the notification on this thread.
            Task<bool> next = observation.MoveNextAsync().AsTask();
            net.RunUntil(() => next.IsCompleted, net.NowMs + 10_000);
            Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(10)));
            seen.Add(observation.Current.PayloadText);
        }

        Assert.Equal(["t0", "t1", "t2"], seen);
    }

    [Fact]
    public async Task An_unknown_identity_fails_the_request_at_once_with_the_alert_named()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 5 });
        using var psks = Table();
        using var server = StartServer(net, psks, 1);
        using var client = Client(net, 0, "stranger"u8.ToArray(), Key);
        var get = client.GetAsync(new Uri("coaps://10.0.0.1/time"));

        // Within the first second of virtual time, before any retransmission: the alert ends the request.
        net.RunTo(1000);
        var e = await Assert.ThrowsAsync<CoapException>(() => get.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("DTLS handshake with 10.0.0.1:5684 failed: alert 115 unknown_psk_identity", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_key_fails_the_request_when_the_handshake_times_out_and_says_why()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 6 });
        using var psks = Table();
        using var server = StartServer(net, psks, 1);
        using var client = Client(net, 0, Identity, Convert.FromHexString("ffeeddccbbaa99887766554433221100"));
        var get = client.GetAsync(new Uri("coaps://10.0.0.1/time"));

        // RFC 6347 §4.1.2.7: the server drops the Finished it cannot authenticate, so the handshake runs to its timeout.
        int timeout = DtlsCoapTransportOptions.ForHost().HandshakeTimeoutMs;
        net.RunTo(timeout - 1);
        Assert.False(get.IsCompleted);
        net.RunTo(timeout);
        var e = await Assert.ThrowsAsync<CoapException>(() => get.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("most likely a wrong PSK", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.RequestsHandled);
    }

    [Fact]
    public async Task No_server_fails_the_request_at_the_handshake_timeout()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 7 });
        using var client = Client(net, 0, Identity, Key);
        var get = client.GetAsync(new Uri("coaps://10.0.0.1/time"));
        net.RunUntil(() => get.IsCompleted, 600_000);
        var e = await Assert.ThrowsAsync<CoapException>(() => get);
        Assert.Contains("DTLS handshake with 10.0.0.1:5684 failed: no answer within 60 s", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_identity_with_a_zero_byte_inside_reaches_the_store_whole()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 8 });
        byte[] identity = DtlsPskTable.ParseIdentity("hex:61006263");
        var store = new RecordingStore(identity, Key);
        using var server = StartServer(net, store, 1);
        using var client = Client(net, 0, identity, Key);
        var get = client.GetAsync(new Uri("coaps://10.0.0.1/time"));
        net.RunUntil(() => get.IsCompleted, 600_000);
        Assert.True((await get).IsSuccess);
        Assert.Equal(new byte[] { 0x61, 0x00, 0x62, 0x63 }, Assert.Single(store.Seen));
    }

    [Fact]
    public async Task A_coap_uri_on_a_dtls_client_and_a_coaps_uri_without_credentials_are_refused()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 9 });
        using var secure = Client(net, 0, Identity, Key);
        var plainOnSecure = await Assert.ThrowsAsync<ArgumentException>(() => secure.GetAsync(new Uri("coap://10.0.0.1/time")));
        Assert.Contains("use coaps://", plainOnSecure.Message, StringComparison.Ordinal);
        using var plain = new CoapClient(net.CreateTransport(new IPEndPoint(IPAddress.Parse("10.0.0.3"), 1000)));
        var secureOnPlain = await Assert.ThrowsAsync<ArgumentException>(() => plain.GetAsync(new Uri("coaps://10.0.0.1/time")));
        Assert.Contains("coaps:// needs PskIdentity and Psk", secureOnPlain.Message, StringComparison.Ordinal);
    }

    internal static DtlsPskTable Table()
    {
        var table = new DtlsPskTable();
        Assert.True(table.TryAdd(Identity, Key));
        return table;
    }

    private static CoapServer StartServer(LossyNetwork net, IDtlsPskStore psks, int seed, Action<CoapServer>? map = null)
    {
        var server = new CoapServer(new CoapServerOptions { Random = new SeededRandomSource(seed) });
        CoapDemoResources.Map(server);
        map?.Invoke(server);
        server.Start(new DtlsCoapTransport(net.CreateTransport(ServerAddress), new DtlsCoapTransportOptions { PskStore = psks, Random = new SeededRandomSource(seed + 100) }));
        return server;
    }

    private static CoapClient Client(LossyNetwork net, int i, byte[] identity, byte[] key) =>
        new(
            net.CreateTransport(new IPEndPoint(IPAddress.Parse("10.0.1." + (i + 1)), 40000 + i)),
            new CoapClientOptions { PskIdentity = identity, Psk = key, Random = new SeededRandomSource(200 + i) });

    private sealed class RecordingStore(byte[] identity, byte[] key) : IDtlsPskStore
    {
        public List<byte[]> Seen { get; } = [];

        public int FindKey(int peer, ByteRange id, ByteRange keyOut)
        {
            byte[] got = new byte[id.Count];
            Array.Copy(id.Buffer, id.Offset, got, 0, id.Count);
            Seen.Add(got);
            if (!got.AsSpan().SequenceEqual(identity))
            {
                return 0;
            }

            key.CopyTo(keyOut.Buffer, keyOut.Offset);
            return key.Length;
        }
    }
}
