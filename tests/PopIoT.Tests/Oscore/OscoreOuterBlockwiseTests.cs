using System.Collections.Concurrent;
using System.Net;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using Xunit;
using static PopIoT.Tests.Oscore.OscoreTestContexts;

namespace PopIoT.Tests.Oscore;

/// <summary>
/// Outer block-wise (RFC 8613 §4.1.3.4.2) through <see cref="CoapClient"/> and <see cref="CoapServer"/>: the protected
/// message itself is cut into RFC 7959 blocks after protection and joined before verification, on top of (not instead
/// of) the Inner block-wise of large bodies.
/// </summary>
public class OscoreOuterBlockwiseTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 5683);
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.1.1"), 40000);
    private static readonly byte[] Big = Enumerable.Range(0, 3072).Select(i => (byte)('A' + (i % 26))).ToArray();

    private sealed class Store
    {
        public int Puts;
        public int Gets;
        public byte[]? Stored;
    }

    private static CoapServer NewServer(SecurityContext context, Store store, CoapServerOptions? options = null)
    {
        options ??= new CoapServerOptions();
        options.Oscore = Table(context);
        var server = new CoapServer(options);
        server.Map("/big", CoapMethods.Get | CoapMethods.Put, (req, _) =>
        {
            if (req.Method == CoapCode.Put)
            {
                Interlocked.Increment(ref store.Puts);
                store.Stored = req.Payload.ToArray();
                return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
            }

            Interlocked.Increment(ref store.Gets);
            return ValueTask.FromResult(new CoapResponse(CoapCode.Content, Big, 0));
        });
        return server;
    }

    /// <summary>What a datagram shows on the wire: Outer options are in clear, Inner ones are inside the ciphertext.</summary>
    private readonly record struct Seen(int Length, byte Code, bool Oscore, bool OuterBlock1, bool OuterBlock2);

    private static Seen Inspect(byte[] datagram)
    {
        CoapMessage m = Parse(datagram);
        return new Seen(datagram.Length, m.Code, m.HasOption(CoapOptionNumber.Oscore), m.HasOption(CoapOptionNumber.Block1), m.HasOption(CoapOptionNumber.Block2));
    }

    /// <summary>Records every datagram a transport sends and receives.</summary>
    private sealed class Tap(ICoapTransport inner) : ICoapTransport, ICoapTransportSink
    {
        private ICoapTransportSink? _sink;

        public ConcurrentQueue<Seen> Sent { get; } = new();

        public ConcurrentQueue<Seen> Received { get; } = new();

        public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

        public long NowMs => inner.NowMs;

        public void Start(ICoapTransportSink sink)
        {
            _sink = sink;
            inner.Start(this);
        }

        public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
        {
            Sent.Enqueue(Inspect(datagram.ToArray()));
            inner.Send(destination, datagram);
        }

        public void ScheduleWake(long atMs) => inner.ScheduleWake(atMs);

        public void Dispose() => inner.Dispose();

        public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram)
        {
            Received.Enqueue(Inspect(datagram.ToArray()));
            _sink!.OnDatagram(source, datagram);
        }

        public void OnTimer() => _sink!.OnTimer();

        public void Clear()
        {
            Sent.Clear();
            Received.Clear();
        }
    }

    [Fact]
    public async Task A_3_KiB_put_and_get_round_trip_in_outer_blocks_over_udp_loopback_and_inner_blocks_still_work()
    {
        var store = new Store();
        using SecurityContext serverContext = Server();
        using var server = NewServer(serverContext, store);
        int port = server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
        var uri = new Uri("coap://127.0.0.1:" + port + "/big");
        using SecurityContext clientContext = Client();
        var tap = new Tap(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0)));
        await using var client = new CoapClient(tap, new CoapClientOptions { Oscore = clientContext, OscoreOuterBlockSize = 256, Timeout = TimeSpan.FromSeconds(30) });

        // Inner blocks of 1024 (each its own OSCORE request), each protected message then cut into Outer blocks of 256.
        CoapResponse put = await client.PutAsync(uri, Big);
        Assert.Equal(CoapCode.Changed, put.Code);
        Assert.Equal(Big, store.Stored);
        Assert.Equal(1, store.Puts);
        Assert.Contains(tap.Sent, s => s.Oscore && s.OuterBlock1);
        Assert.Contains(tap.Received, s => s.Code == CoapCode.Continue && !s.Oscore && s.OuterBlock1); // Outer 2.31, unprotected
        Assert.All(tap.Sent, s => Assert.True(s.Oscore && s.Length <= 256 + 64, "datagram of " + s.Length + " bytes"));

        tap.Clear();
        CoapResponse get = await client.GetAsync(uri);
        Assert.Equal(CoapCode.Content, get.Code);
        Assert.Equal(Big, get.Payload.ToArray());
        Assert.Equal(3, store.Gets); // once per Inner block: the Outer follow-ups are served from the kept protected response
        Assert.Contains(tap.Received, s => s.Oscore && s.OuterBlock2);
        Assert.All(tap.Received, s => Assert.True(s.Length <= 256 + 64, "datagram of " + s.Length + " bytes"));
        Assert.True(tap.Received.Count >= 12, tap.Received.Count + " responses");
        Assert.Equal(0, server.OscoreReplaysDetected);

        // Without Outer blocks configured the same transfers are Inner only: no Outer Block option on any datagram.
        using SecurityContext secondServer = Server();
        using var plainServer = NewServer(secondServer, store);
        int port2 = plainServer.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
        using SecurityContext second = Client();
        var tap2 = new Tap(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0)));
        await using var innerOnly = new CoapClient(tap2, new CoapClientOptions { Oscore = second, Timeout = TimeSpan.FromSeconds(30) });
        var uri2 = new Uri("coap://127.0.0.1:" + port2 + "/big");
        Assert.Equal(CoapCode.Changed, (await innerOnly.PutAsync(uri2, Big)).Code);
        Assert.Equal(Big, (await innerOnly.GetAsync(uri2)).Payload.ToArray());
        Assert.DoesNotContain(tap2.Sent, s => s.OuterBlock1 || s.OuterBlock2);
        Assert.DoesNotContain(tap2.Received, s => s.OuterBlock1 || s.OuterBlock2);
    }

    [Fact]
    public async Task On_a_lossy_network_with_a_512_byte_datagram_budget_both_ends_fragment_outer_by_themselves()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 8613, DropRate = 0.1, DuplicateRate = 0.1, ReorderRate = 0.1, MaxDelayMs = 30, ReorderDelayMs = 200 });
        var store = new Store();
        using SecurityContext serverContext = Server();
        var small = new CoapSettings { MaxMessageSize = 512, DeduplicationCapacity = 256, EvictOldestWhenFull = true, MaxExchanges = 64, OutboxCapacity = 128, NonRecordCapacity = 64 };
        using var server = NewServer(serverContext, store, new CoapServerOptions { Random = new SeededRandomSource(21), Settings = small });
        server.Start(net.CreateTransport(ServerAddress));
        var wire = new List<Seen>();
        net.DatagramSent += (from, to, data) => wire.Add(Inspect(data));
        using SecurityContext clientContext = Client();
        await using var client = new CoapClient(
            net.CreateTransport(ClientAddress),
            new CoapClientOptions { Oscore = clientContext, Random = new SeededRandomSource(22), Settings = new CoapSettings { MaxMessageSize = 512 } });
        var uri = new Uri("coap://10.0.0.1/big");

        Task<CoapResponse> put = client.PutAsync(uri, Big);
        net.RunUntil(() => put.IsCompleted, 600_000);
        Assert.Equal(CoapCode.Changed, (await put).Code);
        Task<CoapResponse> get = client.GetAsync(uri);
        net.RunUntil(() => get.IsCompleted, 1_200_000);
        CoapResponse r = await get;

        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Equal(Big, r.Payload.ToArray());
        Assert.Equal(Big, store.Stored);
        Assert.Equal(1, store.Puts);
        Assert.All(wire, s => Assert.True(s.Length <= 512, "datagram of " + s.Length + " bytes"));
        Assert.Contains(wire, s => s.Oscore && s.OuterBlock1 && CoapCode.IsRequest(s.Code));
        Assert.Contains(wire, s => s.Oscore && s.OuterBlock2 && !CoapCode.IsRequest(s.Code));
        Assert.True(net.Statistics.Dropped + net.Statistics.Duplicated > 0);
        Assert.Equal(0, server.OscoreReplaysDetected);
    }

    /// <summary>
    /// A proxy that fragments (RFC 8613 §4.1.3.4.2: "Proxies MAY fragment an OSCORE message"): a request whose OSCORE payload
    /// is above 256 bytes goes on to the server in Outer Block1 blocks (RFC 7959 §2.5) under the relay's own Message IDs
    /// and token; a response above 256 bytes goes back in Outer Block2 blocks that the relay serves itself when the client
    /// repeats the request with Block2 NUM N (RFC 7959 §2.4). One exchange at a time, on a network that loses nothing.
    /// </summary>
    private sealed class FragmentingRelay : ICoapTransportSink
    {
        private const int Szx = 4;
        private const int Size = 256;
        private static readonly byte[] RelayToken = [0xEE, 0x01];
        private readonly ICoapTransport _transport;
        private readonly IPEndPoint _server;
        private IPEndPoint? _client;
        private CoapMessage? _clientRequest;
        private CoapMessage? _forward;
        private CoapMessage? _kept;
        private int _sent;
        private int _inFlight;
        private int _mid = 0x4000;

        public FragmentingRelay(ICoapTransport transport, IPEndPoint server)
        {
            _transport = transport;
            _server = server;
            transport.Start(this);
        }

        public int BlocksToServer { get; private set; }

        public int BlocksToClient { get; private set; }

        public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram)
        {
            CoapMessage m = Parse(datagram.ToArray());
            if (source.Equals(_server))
            {
                OnServer(m);
            }
            else if (CoapCode.IsRequest(m.Code))
            {
                OnClient(source, m);
            }
        }

        public void OnTimer()
        {
        }

        private void OnClient(IPEndPoint source, CoapMessage m)
        {
            _client = source;
            _clientRequest = m;
            if (m.TryGetUint(CoapOptionNumber.Block2, out uint b2) && (b2 >> 4) > 0 && _kept != null)
            {
                Reply(Slice((int)(b2 >> 4)));
                return;
            }

            _kept = null;
            _forward = m;
            _sent = 0;
            SendToServer();
        }

        private void SendToServer()
        {
            var b = new CoapMessage();
            b.CopyFrom(_forward!);
            b.Type = CoapMessageType.Confirmable;
            b.MessageId = _mid++;
            b.SetToken(RelayToken, 0, RelayToken.Length);
            int total = _forward!.PayloadLength;
            _inFlight = Math.Min(Size, total - _sent);
            if (total > Size)
            {
                bool more = _sent + _inFlight < total;
                b.AddUintOption(CoapOptionNumber.Block1, (uint)(((_sent / Size) << 4) | (more ? 8 : 0) | Szx));
                if (_sent == 0)
                {
                    b.AddUintOption(CoapOptionNumber.Size1, (uint)total);
                }

                b.SetPayload(_forward.PayloadBuffer, _forward.PayloadOffset + _sent, _inFlight);
                BlocksToServer++;
            }

            _transport.Send(_server, OscoreTestContexts.Serialize(b));
        }

        private void OnServer(CoapMessage m)
        {
            if (m.Code == CoapCode.Continue)
            {
                _sent += _inFlight;
                SendToServer();
                return;
            }

            m.RemoveOption(CoapOptionNumber.Block1); // the echo of our blocks, not the client's business
            if (m.PayloadLength <= Size)
            {
                Reply(m);
                return;
            }

            _kept = m;
            Reply(Slice(0));
        }

        private CoapMessage Slice(int num)
        {
            var r = new CoapMessage();
            r.CopyFrom(_kept!);
            int total = _kept!.PayloadLength;
            int n = Math.Min(Size, total - (num * Size));
            bool more = (num * Size) + n < total;
            r.AddUintOption(CoapOptionNumber.Block2, (uint)((num << 4) | (more ? 8 : 0) | Szx));
            if (num == 0)
            {
                r.AddUintOption(CoapOptionNumber.Size2, (uint)total);
            }

            r.SetPayload(_kept.PayloadBuffer, _kept.PayloadOffset + (num * Size), n);
            BlocksToClient++;
            return r;
        }

        private void Reply(CoapMessage r)
        {
            // Piggybacked on the ACK of the client's CON (RFC 7252 §5.2.1).
            r.Type = CoapMessageType.Acknowledgement;
            r.MessageId = _clientRequest!.MessageId;
            r.CopyTokenFrom(_clientRequest);
            _transport.Send(_client!, OscoreTestContexts.Serialize(r));
        }
    }

    [Fact]
    public async Task A_proxy_that_fragments_in_the_middle_is_transparent_to_both_ends()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 1, MinDelayMs = 1, MaxDelayMs = 5 });
        var store = new Store();
        using SecurityContext serverContext = Server();
        using var server = NewServer(serverContext, store, new CoapServerOptions { Random = new SeededRandomSource(31) });
        server.Start(net.CreateTransport(ServerAddress));
        var relayAddress = new IPEndPoint(IPAddress.Parse("10.0.0.5"), 5683);
        var relay = new FragmentingRelay(net.CreateTransport(relayAddress), ServerAddress);
        using SecurityContext clientContext = Client();
        await using var client = new CoapClient(net.CreateTransport(ClientAddress), new CoapClientOptions { Oscore = clientContext, Random = new SeededRandomSource(32) });
        var uri = new Uri("coap://10.0.0.5/big");

        // The client knows nothing of the proxy's blocks: it sends whole protected messages (Inner blocks of 1024).
        Task<CoapResponse> put = client.PutAsync(uri, Big);
        net.RunUntil(() => put.IsCompleted, 600_000);
        Assert.Equal(CoapCode.Changed, (await put).Code);
        Assert.Equal(Big, store.Stored);
        Assert.Equal(1, store.Puts);
        Assert.True(relay.BlocksToServer >= 12, relay.BlocksToServer + " Outer Block1 blocks from the proxy");

        // The proxy cuts each ~1 KiB protected response into 256-byte Outer Block2 blocks the client fetches from it.
        Task<CoapResponse> get = client.GetAsync(uri);
        net.RunUntil(() => get.IsCompleted, 600_000);
        CoapResponse r = await get;
        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Equal(Big, r.Payload.ToArray());
        Assert.Equal(3, store.Gets);
        Assert.True(relay.BlocksToClient >= 12, relay.BlocksToClient + " Outer Block2 blocks from the proxy");
        Assert.Equal(0, server.OscoreReplaysDetected);
    }

    [Fact]
    public async Task A_protected_message_above_the_servers_max_unfragmented_size_gets_4_13_with_size1()
    {
        var store = new Store();
        using SecurityContext serverContext = Server();
        using var server = NewServer(serverContext, store, new CoapServerOptions { OscoreMaxUnfragmentedSize = 512 });
        int port = server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
        using SecurityContext clientContext = Client();
        await using var client = new CoapClient(new CoapClientOptions { Oscore = clientContext, OscoreOuterBlockSize = 128, Timeout = TimeSpan.FromSeconds(30) });

        // The first Inner block (1024 bytes) is protected into ~1050 bytes; its Outer Size1 is above 512.
        CoapResponse r = await client.PutAsync(new Uri("coap://127.0.0.1:" + port + "/big"), Big);
        Assert.Equal(CoapCode.RequestEntityTooLarge, r.Code);
        Assert.Equal(512u, r.GetOption(CoapOptionNumber.Size1)?.AsUInt());
        Assert.Equal(0, store.Puts);
        Assert.Equal(0, server.OscoreReplaysDetected);
    }

    [Fact]
    public async Task A_response_above_the_clients_max_unfragmented_size_fails_the_request()
    {
        var store = new Store();
        using SecurityContext serverContext = Server();
        using var server = NewServer(serverContext, store);
        int port = server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
        using SecurityContext clientContext = Client();
        await using var client = new CoapClient(new CoapClientOptions
        {
            Oscore = clientContext,
            OscoreOuterBlockSize = 64,
            OscoreMaxUnfragmentedSize = 512,
            Timeout = TimeSpan.FromSeconds(30),
        });

        CoapException e = await Assert.ThrowsAsync<CoapException>(() => client.GetAsync(new Uri("coap://127.0.0.1:" + port + "/big")));
        Assert.Contains("Outer block-wise", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, store.Gets);
    }
}
