using System.Net;
using System.Text;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using Xunit;
using static PopIoT.Tests.Oscore.OscoreTestContexts;

namespace PopIoT.Tests.Oscore;

/// <summary>OSCORE (RFC 8613) in <see cref="CoapClient"/> and <see cref="CoapServer"/>: UDP loopback, lossy network, reboot.</summary>
public class OscoreCoapHostTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 5683);
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.1.1"), 40000);
    private static readonly IPEndPoint AttackerAddress = new(IPAddress.Parse("10.6.6.6"), 40000);

    private static CoapServer NewServer(SecurityContext context, Func<int> onRequest, CoapServerOptions? options = null)
    {
        options ??= new CoapServerOptions();
        options.Oscore = Table(context);
        var server = new CoapServer(options);
        server.Map("/hello", CoapMethods.Get | CoapMethods.Post | CoapMethods.Put | CoapMethods.Delete, (req, _) =>
        {
            int n = onRequest();
            string text = req.Method == CoapCode.Get ? "hello " + n : req.PayloadText;
            byte code = req.Method switch { CoapCode.Get => CoapCode.Content, CoapCode.Delete => CoapCode.Deleted, _ => CoapCode.Changed };
            return ValueTask.FromResult(new CoapResponse(code, Encoding.UTF8.GetBytes(text), 0));
        });
        return server;
    }

    [Fact]
    public async Task Get_put_post_delete_over_udp_loopback_are_protected_and_answered()
    {
        int runs = 0;
        using SecurityContext serverContext = Server();
        using var server = NewServer(serverContext, () => Interlocked.Increment(ref runs));
        int port = server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
        var uri = new Uri("coap://127.0.0.1:" + port + "/hello");
        using SecurityContext clientContext = Client();
        await using var client = new CoapClient(new CoapClientOptions { Oscore = clientContext, Timeout = TimeSpan.FromSeconds(20) });

        CoapResponse get = await client.GetAsync(uri);
        Assert.Equal(CoapCode.Content, get.Code);
        Assert.Equal("hello 1", get.PayloadText);
        Assert.Equal(0, get.ContentFormat);
        Assert.Equal("abc", (await client.PutAsync(uri, "abc"u8.ToArray())).PayloadText);
        Assert.Equal("xyz", (await client.PostAsync(uri, "xyz"u8.ToArray())).PayloadText);
        Assert.Equal(CoapCode.Deleted, (await client.DeleteAsync(uri)).Code);
        Assert.Equal(4, runs);
        Assert.Equal(OscoreStatus.Ok, server.LastOscoreStatus);
        Assert.Equal(4, clientContext.SenderSequenceNumber);

        // Without OSCORE the server refuses (no unprotected handler): 4.01, and the handler does not run.
        await using var plain = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromSeconds(20) });
        Assert.Equal(CoapCode.Unauthorized, (await plain.GetAsync(uri)).Code);
        Assert.Equal(4, runs);
    }

    [Fact]
    public async Task Block_wise_bodies_and_separate_responses_work_inside_oscore()
    {
        byte[] big = Enumerable.Range(0, 4000).Select(i => (byte)('a' + (i % 26))).ToArray();
        byte[]? stored = null;
        using SecurityContext serverContext = Server();
        using var server = new CoapServer(new CoapServerOptions { Oscore = Table(serverContext) });
        server.Map("/big", CoapMethods.Get | CoapMethods.Put, (req, _) =>
        {
            if (req.Method == CoapCode.Put)
            {
                stored = req.Payload.ToArray();
                return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
            }

            return ValueTask.FromResult(new CoapResponse(CoapCode.Content, big, 0));
        });
        server.Map("/slow", CoapMethods.Get, async (req, ct) =>
        {
            await Task.Delay(50, ct);
            return new CoapResponse(CoapCode.Content, "late"u8.ToArray(), 0);
        });
        int port = server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
        using SecurityContext clientContext = Client();
        await using var client = new CoapClient(new CoapClientOptions { Oscore = clientContext, Timeout = TimeSpan.FromSeconds(20) });

        // Inner block-wise (RFC 8613 §4.1.3.4.1): each 1024-byte block is its own protected exchange.
        CoapResponse get = await client.GetAsync(new Uri("coap://127.0.0.1:" + port + "/big"));
        Assert.Equal(CoapCode.Content, get.Code);
        Assert.Equal(big, get.Payload.ToArray());
        Assert.Equal(CoapCode.Changed, (await client.PutAsync(new Uri("coap://127.0.0.1:" + port + "/big"), big)).Code);
        Assert.Equal(big, stored);

        // A separate response (RFC 7252 §5.2.2) is protected against the request it answers.
        CoapResponse slow = await client.GetAsync(new Uri("coap://127.0.0.1:" + port + "/slow"));
        Assert.Equal(CoapCode.Content, slow.Code);
        Assert.Equal("late", slow.PayloadText);
        Assert.Equal(0, server.OscoreReplaysDetected);
    }

    [Fact]
    public async Task A_wrong_master_secret_gets_4_00_decryption_failed_and_the_handler_does_not_run()
    {
        int runs = 0;
        using SecurityContext serverContext = Server();
        using var server = NewServer(serverContext, () => Interlocked.Increment(ref runs));
        int port = server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
        using SecurityContext wrong = Client(new byte[16]);
        await using var client = new CoapClient(new CoapClientOptions { Oscore = wrong, Timeout = TimeSpan.FromSeconds(20) });
        CoapResponse r = await client.GetAsync(new Uri("coap://127.0.0.1:" + port + "/hello"));
        Assert.Equal(CoapCode.BadRequest, r.Code);
        Assert.Equal("Decryption failed", r.PayloadText);
        Assert.Equal(0, runs);
    }

    [Fact]
    public async Task Lossy_reordered_requests_inside_the_window_succeed_and_each_handler_runs_once()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 8613, ReorderRate = 0.5, ReorderDelayMs = 300, MinDelayMs = 1, MaxDelayMs = 30 });
        var order = new List<int>();
        using SecurityContext serverContext = Server();
        using var server = new CoapServer(new CoapServerOptions { Random = new SeededRandomSource(1), Oscore = Table(serverContext) });
        server.Map("/hello", CoapMethods.Post, (req, _) =>
        {
            order.Add(int.Parse(req.PayloadText.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture));
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed, req.Payload.ToArray()));
        });
        server.Start(net.CreateTransport(ServerAddress));
        using SecurityContext clientContext = Client();
        await using var client = new CoapClient(
            net.CreateTransport(ClientAddress),
            new CoapClientOptions { Oscore = clientContext, Random = new SeededRandomSource(2), Settings = new CoapSettings { NStart = 32, MaxExchanges = 48 } });

        // Request i is protected with Partial IV i; the handler sees them in arrival order.
        var tasks = Enumerable.Range(0, 30).Select(i => client.PostAsync(new Uri("coap://10.0.0.1/hello"), Encoding.ASCII.GetBytes("m" + i))).ToList();
        net.RunTo(120_000);
        foreach ((Task<CoapResponse> t, int i) in tasks.Select((t, i) => (t, i)))
        {
            CoapResponse r = await t;
            Assert.Equal(CoapCode.Changed, r.Code);
            Assert.Equal("m" + i, r.PayloadText);
        }

        Assert.Equal(30, order.Count);
        Assert.Equal(Enumerable.Range(0, 30), order.Order());
        Assert.NotEqual(Enumerable.Range(0, 30), order);
        Assert.Equal(0, server.OscoreReplaysDetected);
        Assert.True(net.Statistics.Reordered > 5, "the network reordered " + net.Statistics.Reordered);
    }

    [Fact]
    public async Task Lossy_retransmissions_and_duplicates_are_answered_from_the_dedup_cache_and_the_handler_runs_once_each()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 7252, DropRate = 0.3, DuplicateRate = 0.3, ReorderRate = 0.2, MaxDelayMs = 40, ReorderDelayMs = 300 });
        var perPayload = new Dictionary<string, int>();
        int runs = 0;
        using SecurityContext serverContext = Server();
        var options = new CoapServerOptions { Random = new SeededRandomSource(3), Oscore = Table(serverContext) };
        using var server = new CoapServer(options);
        server.Map("/count", CoapMethods.Post, (req, _) =>
        {
            runs++;
            perPayload[req.PayloadText] = perPayload.GetValueOrDefault(req.PayloadText) + 1;
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed, req.Payload.ToArray()));
        });
        server.Start(net.CreateTransport(ServerAddress));
        int toServer = 0;
        net.DatagramSent += (from, to, data) => toServer += to.Equals(ServerAddress) ? 1 : 0;
        using SecurityContext clientContext = Client();
        await using var client = new CoapClient(
            net.CreateTransport(ClientAddress),
            new CoapClientOptions { Oscore = clientContext, Random = new SeededRandomSource(4), Settings = new CoapSettings { NStart = 8, MaxExchanges = 40 } });
        var tasks = Enumerable.Range(0, 20).Select(i => client.PostAsync(new Uri("coap://10.0.0.1/count"), Encoding.ASCII.GetBytes("p" + i))).ToList();
        net.RunTo(24L * 3600 * 1000);

        int ok = 0;
        foreach (Task<CoapResponse> t in tasks)
        {
            try
            {
                Assert.Equal(CoapCode.Changed, (await t).Code);
                ok++;
            }
            catch (CoapTimeoutException)
            {
                // Possible on a network this bad: every RFC 7252 retransmission lost.
            }
        }

        Assert.True(ok >= 18, ok + " of 20 completed");
        Assert.True(toServer > 20, "retransmissions happened: " + toServer + " datagrams to the server");
        Assert.True(net.Statistics.Duplicated > 0);
        Assert.All(perPayload.Values, n => Assert.Equal(1, n));
        Assert.True(runs <= 20);
        Assert.Equal(0, server.OscoreReplaysDetected);
    }

    [Fact]
    public async Task A_retransmitted_con_after_a_lost_response_is_answered_from_the_dedup_cache_not_as_a_replay()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 4 });
        int runs = 0;
        using SecurityContext serverContext = Server();
        using var server = NewServer(serverContext, () => ++runs, new CoapServerOptions { Random = new SeededRandomSource(10) });
        server.Start(net.CreateTransport(ServerAddress));
        var requests = new List<byte[]>();
        var responses = new List<byte[]>();
        net.DatagramSent += (from, to, data) => (to.Equals(ServerAddress) ? requests : responses).Add(data);
        using SecurityContext clientContext = Client();
        var lossy = new DropFirstReceived(net.CreateTransport(ClientAddress));
        await using var client = new CoapClient(lossy, new CoapClientOptions { Oscore = clientContext, Random = new SeededRandomSource(11) });
        Task<CoapResponse> t = client.PostAsync(new Uri("coap://10.0.0.1/hello"), "once"u8.ToArray());
        net.RunTo(60_000);
        Assert.Equal("once", (await t).PayloadText);

        // The same protected CON twice (RFC 7252 §4.2 retransmission), two identical protected responses, one run.
        Assert.Equal(2, requests.Count);
        Assert.Equal(requests[0], requests[1]);
        Assert.Equal(2, responses.Count);
        Assert.Equal(responses[0], responses[1]);
        Assert.Equal(1, runs);
        Assert.Equal(0, server.OscoreReplaysDetected);
        Assert.Equal(1, clientContext.SenderSequenceNumber);
    }

    /// <summary>A client transport that loses the first datagram it receives (the first response).</summary>
    private sealed class DropFirstReceived(ICoapTransport inner) : ICoapTransport, PopIoT.Coap.ICoapTransportSink
    {
        private PopIoT.Coap.ICoapTransportSink? _sink;
        private bool _dropped;

        public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

        public long NowMs => inner.NowMs;

        public void Start(PopIoT.Coap.ICoapTransportSink sink)
        {
            _sink = sink;
            inner.Start(this);
        }

        public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram) => inner.Send(destination, datagram);

        public void ScheduleWake(long atMs) => inner.ScheduleWake(atMs);

        public void Dispose() => inner.Dispose();

        public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram)
        {
            if (_dropped)
            {
                _sink!.OnDatagram(source, datagram);
            }

            _dropped = true;
        }

        public void OnTimer() => _sink!.OnTimer();
    }

    [Fact]
    public async Task A_request_replayed_from_a_capture_with_a_new_message_id_gets_4_01_replay_detected_and_never_runs()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 1 });
        int runs = 0;
        using SecurityContext serverContext = Server();
        using var server = NewServer(serverContext, () => ++runs, new CoapServerOptions { Random = new SeededRandomSource(5) });
        server.Start(net.CreateTransport(ServerAddress));
        var captured = new List<byte[]>();
        net.DatagramSent += (from, to, data) =>
        {
            if (to.Equals(ServerAddress))
            {
                captured.Add(data);
            }
        };
        using SecurityContext clientContext = Client();
        await using var client = new CoapClient(net.CreateTransport(ClientAddress), new CoapClientOptions { Oscore = clientContext, Random = new SeededRandomSource(6) });
        Task<CoapResponse> t = client.PostAsync(new Uri("coap://10.0.0.1/hello"), "transfer 100"u8.ToArray());
        net.RunTo(10_000);
        Assert.Equal("transfer 100", (await t).PayloadText);
        Assert.Equal(1, runs);

        byte[] request = Assert.Single(captured);
        CoapMessage parsed = Parse(request);
        Assert.True(parsed.HasOption(CoapOptionNumber.Oscore));
        Assert.Equal(CoapCode.Post, parsed.Code);
        Assert.DoesNotContain("transfer"u8.ToArray(), new[] { request }, new SubsequenceComparer());

        var attacker = new Recorder();
        using ICoapTransport at = net.CreateTransport(AttackerAddress);
        at.Start(attacker);
        at.Send(ServerAddress, WithMessageId(request, (parsed.MessageId + 1) & 0xFFFF));
        net.RunTo(net.NowMs + 10_000);

        CoapMessage reply = Parse(Assert.Single(attacker.Received));
        Assert.Equal(CoapCode.Unauthorized, reply.Code);
        Assert.False(reply.HasOption(CoapOptionNumber.Oscore));
        Assert.Equal("Replay detected", Encoding.ASCII.GetString(reply.PayloadBuffer, reply.PayloadOffset, reply.PayloadLength));
        Assert.Equal(1, runs);
        Assert.Equal(1, server.OscoreReplaysDetected);
    }

    [Fact]
    public async Task After_a_reboot_the_server_challenges_with_echo_the_client_repeats_transparently_and_old_requests_never_run()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 2 });
        var captured = new List<byte[]>();
        net.DatagramSent += (from, to, data) =>
        {
            if (to.Equals(ServerAddress))
            {
                captured.Add(data);
            }
        };
        using SecurityContext clientContext = Client();
        await using var client = new CoapClient(net.CreateTransport(ClientAddress), new CoapClientOptions { Oscore = clientContext, Random = new SeededRandomSource(7) });
        var uri = new Uri("coap://10.0.0.1/hello");

        int runsBefore = 0;
        using (SecurityContext first = Server())
        using (CoapServer before = NewServer(first, () => ++runsBefore, new CoapServerOptions { Random = new SeededRandomSource(8) }))
        {
            before.Start(net.CreateTransport(ServerAddress));
            Task<CoapResponse> t1 = client.PostAsync(uri, "before"u8.ToArray());
            net.RunTo(net.NowMs + 10_000);
            Assert.Equal("before", (await t1).PayloadText);
        }

        byte[] old = Assert.Single(captured);
        int oldMid = Parse(old).MessageId;

        // Rebooted: same keys, the replay window lost (RFC 8613 Appendix B.1.2).
        int runs = 0;
        using SecurityContext rebooted = Server(windowUnknown: true);
        using CoapServer server = NewServer(rebooted, () => ++runs, new CoapServerOptions { Random = new SeededRandomSource(9) });
        server.Start(net.CreateTransport(ServerAddress));
        var attacker = new Recorder();
        using ICoapTransport at = net.CreateTransport(AttackerAddress);
        at.Start(attacker);

        // The old request replayed right after the reboot: it decrypts, but only earns an Echo challenge.
        at.Send(ServerAddress, WithMessageId(old, (oldMid + 100) & 0xFFFF));
        net.RunTo(net.NowMs + 10_000);
        CoapMessage challenge = Parse(Assert.Single(attacker.Received));
        Assert.Equal(CoapCode.Changed, challenge.Code); // Outer code of a protected 4.01 (RFC 8613 §4.2)
        Assert.True(challenge.HasOption(CoapOptionNumber.Oscore));
        Assert.Equal(0, runs);

        // The client's next request is challenged too, and repeated with the Echo without the application seeing it.
        captured.Clear();
        Task<CoapResponse> t2 = client.PostAsync(uri, "after"u8.ToArray());
        net.RunTo(net.NowMs + 10_000);
        CoapResponse r2 = await t2;
        Assert.Equal(CoapCode.Changed, r2.Code);
        Assert.Equal("after", r2.PayloadText);
        Assert.Equal(1, runs);
        Assert.Equal(2, server.OscoreEchoChallenges);
        Assert.Equal(2, captured.Count);
        Assert.False(rebooted.FreshnessRequired);

        // The old request again, now that the window is known: a replay, refused, never run.
        at.Send(ServerAddress, WithMessageId(old, (oldMid + 200) & 0xFFFF));
        net.RunTo(net.NowMs + 10_000);
        CoapMessage refused = Parse(attacker.Received[^1]);
        Assert.Equal(CoapCode.Unauthorized, refused.Code);
        Assert.Equal("Replay detected", Encoding.ASCII.GetString(refused.PayloadBuffer, refused.PayloadOffset, refused.PayloadLength));
        Assert.Equal(1, runs);

        // And the client goes on normally.
        Task<CoapResponse> t3 = client.GetAsync(uri);
        net.RunTo(net.NowMs + 10_000);
        Assert.Equal("hello 2", (await t3).PayloadText);
    }

    [Fact]
    public async Task Observe_under_oscore_gets_protected_notifications_each_with_its_own_partial_iv()
    {
        int temp = 20;
        using SecurityContext serverContext = Server();
        using var server = new CoapServer(new CoapServerOptions { Oscore = Table(serverContext), ConfirmableNotificationEvery = 1 });
        server.Map("/temp", CoapMethods.Get, (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, Encoding.ASCII.GetBytes("t=" + Volatile.Read(ref temp)), 0)), observable: true);
        int port = server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
        using SecurityContext clientContext = Client();
        await using var client = new CoapClient(new CoapClientOptions { Oscore = clientContext, Timeout = TimeSpan.FromSeconds(20) });

        var seen = new List<string>();
        uint lastObserve = 0;
        await foreach (CoapResponse r in client.ObserveAsync(new Uri("coap://127.0.0.1:" + port + "/temp")))
        {
            Assert.Equal(CoapCode.Content, r.Code);
            // The server's Observe numbers as sent in the Outer option (the Inner one of a notification is empty).
            Assert.True(r.Observe > lastObserve, "Observe " + r.Observe + " after " + lastObserve);
            lastObserve = r.Observe!.Value;
            seen.Add(r.PayloadText);
            if (seen.Count == 3)
            {
                break;
            }

            Interlocked.Increment(ref temp);
            Assert.Equal(1, server.NotifyObservers("/temp"));
        }

        Assert.Equal(["t=20", "t=21", "t=22"], seen);

        // The first response and the two notifications each took a Sender Sequence Number of the server: a response
        // with Observe carries its own Partial IV (RFC 8613 §4.1.3.5.2), and the client checked they increase (§7.4.1).
        Assert.Equal(3, serverContext.SenderSequenceNumber);
        Assert.Equal(OscoreStatus.Ok, server.LastOscoreStatus);
    }

    private sealed class SubsequenceComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x != null && y != null && y.AsSpan().IndexOf(x) >= 0;

        public int GetHashCode(byte[] obj) => 0;
    }
}
