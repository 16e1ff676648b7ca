using System;

using PopIoT.Core.Coap;

using Xunit;

namespace PopIoT.Core.Tests.Coap;

/// <summary>Duplicate detection (RFC 7252 §4.5) over EXCHANGE_LIFETIME (§4.8.2), and the full-cache rule.</summary>
public class DeduplicationTests
{
    private readonly byte[] _out = new byte[2048];

    private static byte[] Post(int mid) => Hex.Parse("4202" + mid.ToString("x4", null) + "beef" + "b5" + Hex.Ascii("count") + "ff01");

    private string Take(MessageLayer layer)
    {
        Assert.True(layer.TryTakeOutgoing(_out, 0, out int n, out _));
        return Hex.Of(_out, 0, n);
    }

    [Fact]
    public void Derived_times_follow_section_4_8_2()
    {
        var s = new CoapSettings();
        Assert.Equal(45000, s.MaxTransmitSpanMs);
        Assert.Equal(93000, s.MaxTransmitWaitMs);
        Assert.Equal(247000, s.ExchangeLifetimeMs);
        Assert.Equal(145000, s.NonLifetimeMs);
    }

    [Fact]
    public void Duplicate_con_post_gets_the_identical_cached_response_and_the_handler_runs_once()
    {
        var handler = new CountingHandler();
        var server = new MessageLayer(new CoapSettings(), new SeededRandomSource(1), handler, null);
        byte[] post = Post(0x0101);
        server.Receive(post, 0, post.Length, 1, 0);
        string first = Take(server);
        server.Receive(post, 0, post.Length, 1, 30000);
        string second = Take(server);
        Assert.Equal(first, second);
        Assert.Equal(1, handler.Calls);
        Assert.Equal(1, server.DuplicatesDetected);

        // The same Message ID from another peer is a different message.
        server.Receive(post, 0, post.Length, 2, 30000);
        Assert.NotEqual(first, Take(server));
        Assert.Equal(2, handler.Calls);

        // Still a duplicate just before EXCHANGE_LIFETIME, a new message after it.
        server.Receive(post, 0, post.Length, 1, 246999);
        Assert.Equal(first, Take(server));
        Assert.Equal(2, handler.Calls);
        server.Receive(post, 0, post.Length, 1, 247000);
        Assert.NotEqual(first, Take(server));
        Assert.Equal(3, handler.Calls);
    }

    [Fact]
    public void Lost_piggybacked_response_is_recovered_by_retransmission_figure_19()
    {
        var handler = new CountingHandler();
        var pair = new CoapPair(handler);
        int fromServer = 0;
        pair.Drop = (toServer, d) => !toServer && fromServer++ == 0;
        var post = new CoapMessage { Code = CoapCode.Post };
        post.AddUriPath("/count");
        pair.Client.SendRequest(CoapPair.ServerPeer, post, 0, out _);
        pair.Pump(0);
        pair.Client.Poll(pair.Client.NextDeadline);
        pair.Pump(3000);
        var r = Assert.Single(pair.Listener.Responses);
        Assert.Equal(new byte[] { 1 }, r.Payload);
        Assert.Equal(1, handler.Calls);
        Assert.Equal(pair.Log[1].Datagram, pair.Log[3].Datagram);
    }

    [Fact]
    public void With_eviction_turned_off_a_full_cache_refuses_with_5_03_and_max_age_until_an_entry_expires()
    {
        var handler = new CountingHandler();
        var settings = new CoapSettings { DeduplicationCapacity = 2, DeduplicationPerPeer = 2, EvictOldestWhenFull = false };
        var server = new MessageLayer(settings, new SeededRandomSource(1), handler, null);
        for (int mid = 1; mid <= 2; mid++)
        {
            byte[] p = Post(mid);
            server.Receive(p, 0, p.Length, 1, 1000);
            Take(server);
        }

        Assert.Equal(2, server.DeduplicationEntries(1000));
        byte[] third = Post(3);
        server.Receive(third, 0, third.Length, 1, 2000);
        // ACK 5.03, same MID and token, Max-Age (14) = 246 s until the first entry expires at 248000.
        Assert.Equal("62a30003beef" + "d1" + "01" + "f6", Take(server));
        Assert.Equal(2, handler.Calls);
        Assert.Equal(1, server.CacheFullRefusals);

        server.Receive(third, 0, third.Length, 1, 248000);
        Assert.StartsWith("62440003", Take(server), StringComparison.Ordinal);
        Assert.Equal(3, handler.Calls);
    }

    [Fact]
    public void Full_cache_keeps_serving_by_evicting_the_oldest_entry()
    {
        var handler = new CountingHandler();
        var server = new MessageLayer(new CoapSettings { DeduplicationCapacity = 2, DeduplicationPerPeer = 2 }, new SeededRandomSource(1), handler, null);
        for (int mid = 1; mid <= 3; mid++)
        {
            byte[] p = Post(mid);
            server.Receive(p, 0, p.Length, 1, 1000 + mid);
            Assert.StartsWith("6244", Take(server), StringComparison.Ordinal);
        }

        Assert.Equal(3, handler.Calls);
        Assert.Equal(0, server.CacheFullRefusals);
        Assert.Equal(1, server.DeduplicationEvictions);
        // MID 1 was evicted: its late retransmission runs again (the documented price); MID 3 is still a duplicate.
        byte[] late = Post(1);
        server.Receive(late, 0, late.Length, 1, 2000);
        Take(server);
        Assert.Equal(4, handler.Calls);
        byte[] dup = Post(3);
        server.Receive(dup, 0, dup.Length, 1, 2000);
        Take(server);
        Assert.Equal(4, handler.Calls);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(1000)]
    public void Junk_cons_from_many_peers_do_not_lock_out_the_next_request(int junk)
    {
        // RFC 7252 §4.5: the cache is an optimisation; refusing new requests when it is full would let anyone who can
        // send datagrams lock every client out for EXCHANGE_LIFETIME.
        var handler = new CountingHandler();
        var server = new MessageLayer(new CoapSettings(), new SeededRandomSource(1), handler, null);
        for (int i = 0; i < junk; i++)
        {
            byte[] p = Post(i & 0xFFFF);
            server.Receive(p, 0, p.Length, 100 + i, 1000 + i);
            Take(server);
        }

        byte[] valid = Post(0x4242);
        server.Receive(valid, 0, valid.Length, 1, 1000 + junk);
        Assert.StartsWith("62444242", Take(server), StringComparison.Ordinal);
        Assert.Equal(junk + 1, handler.Calls);
        Assert.Equal(0, server.CacheFullRefusals);
    }

    [Fact]
    public void One_client_sending_100_cons_within_exchange_lifetime_is_never_refused()
    {
        var handler = new CountingHandler();
        var server = new MessageLayer(new CoapSettings(), new SeededRandomSource(1), handler, null);
        for (int mid = 1; mid <= 100; mid++)
        {
            byte[] p = Post(mid);
            // 100 requests in 100 s, well inside EXCHANGE_LIFETIME (247 s).
            server.Receive(p, 0, p.Length, 1, mid * 1000L);
            Assert.StartsWith("6244" + mid.ToString("x4", null), Take(server), StringComparison.Ordinal);
            Assert.Equal(mid, handler.Calls);

            // The retransmission of the request just answered is still a duplicate: same bytes, no second run.
            server.Receive(p, 0, p.Length, 1, (mid * 1000L) + 500);
            Assert.Equal(mid, handler.Calls);
            Assert.StartsWith("6244" + mid.ToString("x4", null), Take(server), StringComparison.Ordinal);
        }

        Assert.Equal(0, server.CacheFullRefusals);
        Assert.Equal(100, server.DuplicatesDetected);
    }

    [Fact]
    public void A_peer_cannot_take_more_than_its_share_of_the_duplicate_cache()
    {
        var handler = new CountingHandler();
        var server = new MessageLayer(new CoapSettings(), new SeededRandomSource(1), handler, null);
        byte[] honest = Post(0x0707);
        server.Receive(honest, 0, honest.Length, 2, 1000);
        string answer = Take(server);

        // One peer floods the cache with far more requests than it has entries.
        for (int mid = 1; mid <= 40; mid++)
        {
            byte[] p = Post(mid);
            server.Receive(p, 0, p.Length, 1, 1000 + mid);
            Take(server);
        }

        // The flooding peer holds at most its share (a quarter of the 16 default entries) ...
        Assert.Equal(1 + 4, server.DeduplicationEntries(2000));

        // ... so the other peer's retransmission is still answered from the cache, and its request does not run twice.
        server.Receive(honest, 0, honest.Length, 2, 2000);
        Assert.Equal(answer, Take(server));
        Assert.Equal(41, handler.Calls);

        // The flooder's most recent request is still a duplicate too; its oldest ones were evicted.
        byte[] last = Post(40);
        server.Receive(last, 0, last.Length, 1, 2000);
        Take(server);
        Assert.Equal(41, handler.Calls);
    }

    [Fact]
    public void Duplicate_separate_response_is_acknowledged_again_but_delivered_once()
    {
        var handler = new FixedHandler(CoapCode.Content, "", CoapHandlerResult.Separate);
        var pair = new CoapPair(handler);
        var get = new CoapMessage { Code = CoapCode.Get };
        get.AddUriPath("/slow");
        pair.Client.SendRequest(CoapPair.ServerPeer, get, 0, out _);
        pair.Pump(0);
        var response = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Content };
        response.CopyTokenFrom(get);
        pair.Server.Send(CoapPair.ClientPeer, response, 10, out int ex);
        int fromClient = 0;
        pair.Drop = (toServer, d) => toServer && fromClient++ == 0; // the client's ACK is lost
        pair.Pump(10);
        Assert.True(pair.Server.IsOpen(ex));
        pair.Server.Poll(pair.Server.NextDeadline);
        pair.Pump(3000);
        Assert.False(pair.Server.IsOpen(ex));
        Assert.Single(pair.Listener.Responses);
        Assert.Equal(1, pair.Client.DuplicatesDetected);
    }

    private sealed class CountingHandler : ICoapRequestHandler
    {
        private readonly byte[] _value = new byte[1];

        public int Calls { get; private set; }

        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
        {
            // Not idempotent: every call changes the answer.
            Calls++;
            _value[0] = (byte)Calls;
            response.Code = request.Code == CoapCode.Post ? CoapCode.Changed : CoapCode.Content;
            response.SetPayload(_value, 0, 1);
            return CoapHandlerResult.Respond;
        }
    }
}
