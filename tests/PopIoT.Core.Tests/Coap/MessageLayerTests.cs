using System;

using PopIoT.Core.Coap;

using Xunit;

namespace PopIoT.Core.Tests.Coap;

/// <summary>The message layer (RFC 7252 §4, §5.2): the Appendix A flows, retransmission, Reset, NSTART and rejection.</summary>
public class MessageLayerTests
{
    private static readonly string Temperature = Hex.Ascii("temperature");
    private static readonly string Payload = Hex.Ascii("22.3 C");
    private readonly byte[] _out = new byte[2048];

    private static CoapSettings NoToken() => new() { TokenLength = 0 };

    private static CoapMessage Get(string path, CoapMessageType type = CoapMessageType.Confirmable)
    {
        var m = new CoapMessage { Type = type, Code = CoapCode.Get };
        m.AddUriPath(path);
        return m;
    }

    private string Take(MessageLayer layer)
    {
        Assert.True(layer.TryTakeOutgoing(_out, 0, out int n, out _), "expected a datagram");
        return Hex.Of(_out, 0, n);
    }

    private static void Feed(MessageLayer layer, string hex, int peer, long now)
    {
        byte[] d = Hex.Parse(hex);
        layer.Receive(d, 0, d.Length, peer, now);
    }

    [Fact]
    public void Figure_16_flow_is_byte_exact_through_both_layers()
    {
        var listener = new RecordingListener();
        var client = new MessageLayer(NoToken(), new ScriptedRandomSource(0x7d, 0x34), null, listener);
        var server = new MessageLayer(NoToken(), new ScriptedRandomSource(), new FixedHandler(CoapCode.Content, "22.3 C"), null);

        Assert.Equal(CoapSendStatus.Sent, client.SendRequest(0, Get("/temperature"), 0, out int ex));
        string request = Take(client);
        Assert.Equal("40017d34bb" + Temperature, request);

        Feed(server, request, 1, 10);
        string response = Take(server);
        Assert.Equal("60457d34ff" + Payload, response);

        Feed(client, response, 0, 20);
        var r = Assert.Single(listener.Responses);
        Assert.Equal(ex, r.Exchange);
        Assert.Equal("22.3 C", System.Text.Encoding.ASCII.GetString(r.Payload));
        Assert.Equal(MessageLayer.NoDeadline, client.NextDeadline);
        Assert.False(client.IsOpen(ex));
    }

    [Fact]
    public void Figure_20_separate_response_is_byte_exact()
    {
        var listener = new RecordingListener();
        var client = new MessageLayer(NoToken(), new ScriptedRandomSource(0x7d, 0x38), null, listener);
        var handler = new FixedHandler(CoapCode.Content, "", CoapHandlerResult.Separate);
        var server = new MessageLayer(NoToken(), new ScriptedRandomSource(0xad, 0x7b), handler, null);

        CoapMessage get = Get("/temperature");
        get.SetToken([0x53], 0, 1);
        client.SendRequest(0, get, 0, out _);
        Feed(server, Take(client), 1, 0);
        string emptyAck = Take(server);
        Assert.Equal("60007d38", emptyAck);
        Feed(client, emptyAck, 0, 5);
        // Retransmission stops; the client now waits up to the response timeout.
        Assert.Equal(5 + 247000, client.NextDeadline);

        var response = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Content };
        response.SetToken([0x53], 0, 1);
        byte[] text = "22.3 C"u8.ToArray();
        response.SetPayload(text, 0, text.Length);
        Assert.Equal(CoapSendStatus.Sent, server.Send(1, response, 100, out int serverEx));
        string con = Take(server);
        Assert.Equal("4145ad7b53ff" + Payload, con);
        Assert.True(server.NextDeadline <= 100 + 3000);

        Feed(client, con, 0, 110);
        Assert.Equal("6000ad7b", Take(client));
        Assert.Single(listener.Responses);
        Assert.Equal(MessageLayer.NoDeadline, client.NextDeadline);

        Feed(server, "6000ad7b", 1, 120);
        Assert.False(server.IsOpen(serverEx));
        Assert.Equal(MessageLayer.NoDeadline, server.NextDeadline);
    }

    [Fact]
    public void Figure_21_unexpected_separate_response_is_reset_and_unexpected_ack_ignored()
    {
        var client = new MessageLayer(NoToken(), new ScriptedRandomSource(), null, new RecordingListener());
        Feed(client, "60007d39", 0, 0);
        Assert.Equal(0, client.OutgoingCount);
        Feed(client, "4145ad7c64ff" + Payload, 0, 1);
        Assert.Equal("7000ad7c", Take(client));
    }

    [Fact]
    public void Figure_22_non_request_gets_a_non_response_with_the_token()
    {
        var server = new MessageLayer(NoToken(), new ScriptedRandomSource(0xad, 0x7d), new FixedHandler(CoapCode.Content, "22.3 C"), null);
        Feed(server, "51017d4075bb" + Temperature, 1, 0);
        Assert.Equal("5145ad7d75ff" + Payload, Take(server));
        // RFC 7252 §4.5: a duplicate NON is ignored.
        Feed(server, "51017d4075bb" + Temperature, 1, 10);
        Assert.Equal(0, server.OutgoingCount);
        Assert.Equal(1, server.DuplicatesDetected);
    }

    [Fact]
    public void Confirmable_request_is_retransmitted_with_doubling_timeouts_then_given_up()
    {
        // MID 0x1234, then 4 jitter bytes: r = 500 gives an initial timeout of 2000 + 500 % 1001 = 2500 ms.
        var listener = new RecordingListener();
        var client = new MessageLayer(new CoapSettings(), new ScriptedRandomSource(0x12, 0x34, 1, 2, 3, 4, 0, 0, 0x01, 0xF4), null, listener);
        Assert.Equal(CoapSendStatus.Sent, client.SendRequest(0, Get("/x"), 1000, out int ex));
        string first = Take(client);
        long[] expected = [3500, 8500, 18500, 38500, 78500];
        Assert.Equal(expected[0], client.NextDeadline);
        for (int i = 0; i < 4; i++)
        {
            client.Poll(expected[i] - 1);
            Assert.Equal(0, client.OutgoingCount);
            client.Poll(expected[i]);
            Assert.Equal(first, Take(client));
            Assert.Equal(expected[i + 1], client.NextDeadline);
        }

        client.Poll(expected[4] - 1);
        Assert.Empty(listener.Failures);
        client.Poll(expected[4]);
        Assert.Equal(0, client.OutgoingCount);
        var f = Assert.Single(listener.Failures);
        Assert.Equal(ex, f.Exchange);
        Assert.Equal(CoapExchangeFailure.Timeout, f.Reason);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, f.Token);
        Assert.Equal(MessageLayer.NoDeadline, client.NextDeadline);
    }

    [Fact]
    public void Initial_timeout_is_always_between_ack_timeout_and_ack_timeout_times_random_factor()
    {
        long min = long.MaxValue;
        long max = long.MinValue;
        for (int seed = 0; seed < 2000; seed++)
        {
            var client = new MessageLayer(new CoapSettings(), new SeededRandomSource(seed), null, null);
            client.SendRequest(0, Get("/x"), 0, out _);
            long t = client.NextDeadline;
            min = Math.Min(min, t);
            max = Math.Max(max, t);
            // The whole span: 31 * T, at most MAX_TRANSMIT_WAIT (93 s).
            for (int i = 0; i < 4; i++)
            {
                client.Poll(client.NextDeadline);
            }

            Assert.Equal(31 * t, client.NextDeadline);
        }

        Assert.InRange(min, 2000, 2100);
        Assert.InRange(max, 2900, 3000);
    }

    [Fact]
    public void Ack_after_a_lost_request_stops_retransmission_figure_18()
    {
        var pair = new CoapPair(new FixedHandler(CoapCode.Content, "22.3 C"));
        int sent = 0;
        pair.Drop = (toServer, d) => toServer && sent++ == 0;
        pair.Client.SendRequest(CoapPair.ServerPeer, Get("/temperature"), 0, out _);
        pair.Pump(0);
        Assert.Empty(pair.Listener.Responses);
        long t = pair.Client.NextDeadline;
        pair.Client.Poll(t);
        pair.Pump(t);
        Assert.Single(pair.Listener.Responses);
        Assert.Equal(MessageLayer.NoDeadline, pair.Client.NextDeadline);
        Assert.Equal(3, pair.Log.Count);
    }

    [Fact]
    public void Reset_matches_and_cancels_the_exchange()
    {
        var listener = new RecordingListener();
        var client = new MessageLayer(NoToken(), new ScriptedRandomSource(0x00, 0x07), null, listener);
        client.SendRequest(0, Get("/x"), 0, out int ex);
        Take(client);
        Feed(client, "70000008", 0, 10); // a Reset for another MID: ignored
        Assert.Empty(listener.Failures);
        Feed(client, "70000007", 1, 10); // same MID, other peer: ignored
        Assert.Empty(listener.Failures);
        Feed(client, "70000007", 0, 10);
        var f = Assert.Single(listener.Failures);
        Assert.Equal((ex, CoapExchangeFailure.Reset), (f.Exchange, f.Reason));
        Assert.Equal(MessageLayer.NoDeadline, client.NextDeadline);
        Assert.False(client.Cancel(ex, 20));
    }

    [Fact]
    public void Empty_con_ping_gets_a_reset()
    {
        var server = new MessageLayer(new CoapSettings(), new ScriptedRandomSource(), new FixedHandler(CoapCode.Content, ""), null);
        Feed(server, "4000abcd", 1, 0);
        Assert.Equal("7000abcd", Take(server));
        Feed(server, "5000abce", 1, 0);
        Assert.Equal(0, server.OutgoingCount);
    }

    [Fact]
    public void Nstart_queues_the_second_request_until_the_first_completes()
    {
        var pair = new CoapPair(new FixedHandler(CoapCode.Content, "v"));
        Assert.Equal(CoapSendStatus.Sent, pair.Client.SendRequest(CoapPair.ServerPeer, Get("/a"), 0, out int a));
        Assert.Equal(CoapSendStatus.Queued, pair.Client.SendRequest(CoapPair.ServerPeer, Get("/b"), 0, out int b));
        Assert.Equal(CoapSendStatus.Sent, pair.Client.SendRequest(5, Get("/c"), 0, out _));
        Assert.Equal(2, pair.Client.OutgoingCount);
        Assert.True(pair.Client.IsOpen(b));
        pair.Drop = (toServer, d) => false;
        pair.Client.TryTakeOutgoing(_out, 0, out int n, out int peer);
        Assert.Equal(CoapPair.ServerPeer, peer);
        pair.Server.Receive(_out, 0, n, CoapPair.ClientPeer, 0);
        pair.Client.TryTakeOutgoing(_out, 0, out _, out peer); // the one to peer 5, lost
        Assert.Equal(5, peer);
        pair.Pump(1);
        Assert.Equal([a, b], pair.Listener.Responses.ConvertAll(r => r.Exchange));
    }

    [Fact]
    public void Exchange_slots_are_bounded()
    {
        var client = new MessageLayer(new CoapSettings { MaxExchanges = 2 }, new SeededRandomSource(3), null, null);
        Assert.Equal(CoapSendStatus.Sent, client.SendRequest(0, Get("/a"), 0, out _));
        Assert.Equal(CoapSendStatus.Queued, client.SendRequest(0, Get("/a"), 0, out _));
        Assert.Equal(CoapSendStatus.NoExchangeSlot, client.SendRequest(0, Get("/a"), 0, out int none));
        Assert.Equal(-1, none);
        var response = new CoapMessage { Type = CoapMessageType.Acknowledgement, Code = CoapCode.Content };
        Assert.Equal(CoapSendStatus.Invalid, client.SendRequest(0, response, 0, out _));
        Assert.Equal(CoapSendStatus.Invalid, client.Send(0, Get("/a"), 0, out _));

        // A random source that repeats itself cannot make a unique token: refused, not an endless loop.
        var stuck = new MessageLayer(new CoapSettings(), new ScriptedRandomSource(), null, null);
        Assert.Equal(CoapSendStatus.Sent, stuck.SendRequest(0, Get("/a"), 0, out _));
        Assert.Equal(CoapSendStatus.NoUniqueToken, stuck.SendRequest(0, Get("/a"), 0, out _));
        Assert.Equal(CoapSendStatus.Sent, stuck.SendRequest(1, Get("/a"), 0, out _));
    }

    [Fact]
    public void Unknown_critical_option_gets_4_02_and_unknown_elective_is_ignored()
    {
        var handler = new FixedHandler(CoapCode.Content, "ok");
        var server = new MessageLayer(NoToken(), new ScriptedRandomSource(), handler, null);
        // Option 2049 (critical, unknown), length 1.
        Feed(server, "40010001" + "e1" + "0674" + "01", 1, 0);
        Assert.Equal("60820001", Take(server));
        Assert.Equal(0, handler.Calls);
        // Option 2048 (elective, unknown): ignored, handler runs.
        Feed(server, "40010002" + "e1" + "0673" + "01", 1, 0);
        Assert.Equal("60450002ff" + Hex.Ascii("ok"), Take(server));
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public void Without_a_handler_the_oscore_option_is_unrecognized_and_gets_4_02_not_4_04()
    {
        // RFC 8613 §2: the OSCORE option is critical, and a layer with no handler has nothing that processes it.
        var server = new MessageLayer(NoToken(), new ScriptedRandomSource(), null, null);
        Feed(server, "40020001" + "92" + "0901" + "ff00", 1, 0);
        Assert.Equal("60820001", Take(server));
        // Without it, the same request still gets 4.04 (no resources at all).
        Feed(server, "40020002" + "ff00", 1, 0);
        Assert.Equal("60840002", Take(server));
    }

    [Fact]
    public void Responses_with_unknown_critical_options_are_rejected()
    {
        var listener = new RecordingListener();
        var client = new MessageLayer(NoToken(), new ScriptedRandomSource(0x00, 0x10), null, listener);
        CoapMessage get = Get("/x");
        get.SetToken([0x99], 0, 1);
        client.SendRequest(0, get, 0, out int ex);
        Take(client);
        // Piggybacked 2.05 with critical option 2049: rejected, the exchange fails at once.
        Feed(client, "61450010" + "99" + "e1067401", 0, 5);
        Assert.Equal(0, client.OutgoingCount);
        Assert.Empty(listener.Responses);
        Assert.Equal((ex, CoapExchangeFailure.Rejected), (listener.Failures[0].Exchange, listener.Failures[0].Reason));
        Assert.Equal(MessageLayer.NoDeadline, client.NextDeadline);

        // A separate CON response with one: Reset.
        get.SetToken([0x98], 0, 1);
        client.SendRequest(0, get, 10, out _);
        Take(client);
        Feed(client, "60000011", 0, 11);
        Feed(client, "41450077" + "98" + "e1067401", 0, 12);
        Assert.Equal("70000077", Take(client));
        Assert.Equal(CoapExchangeFailure.Rejected, listener.Failures[1].Reason);
    }

    [Fact]
    public void A_device_sized_configuration_serves_and_bounds_its_replies()
    {
        // About 2.3 KiB of datagram buffers: 2 exchanges, 4 cache entries, 2 outbox slots of 128 bytes.
        var settings = new CoapSettings { MaxMessageSize = 128, MaxExchanges = 2, DeduplicationCapacity = 4, OutboxCapacity = 2, NonRecordCapacity = 2, OptionCapacity = 8 };
        var big = new FixedHandler(CoapCode.Content, new string('x', 200));
        var server = new MessageLayer(settings, new SeededRandomSource(1), big, null);
        Feed(server, "40010001", 1, 0);
        // The 200-byte payload does not fit 128 bytes: 5.00 instead of a truncated datagram.
        Assert.Equal("60a00001", Take(server));
        var small = new MessageLayer(settings, new SeededRandomSource(1), new FixedHandler(CoapCode.Content, "ok"), null);
        Feed(small, "40010002", 1, 0);
        Feed(small, "40010003", 1, 0);
        Feed(small, "40010004", 1, 0); // the outbox holds 2: the third reply is dropped and counted
        Assert.Equal(1, small.DroppedOutgoing);
        Assert.StartsWith("60450002", Take(small), StringComparison.Ordinal);
        Assert.StartsWith("60450003", Take(small), StringComparison.Ordinal);
        Feed(small, "40010004", 1, 1); // its retransmission is answered from the duplicate cache
        Assert.Equal("60450004ff" + Hex.Ascii("ok"), Take(small));
    }

    [Fact]
    public void Handler_exception_becomes_5_00()
    {
        var server = new MessageLayer(NoToken(), new ScriptedRandomSource(), new ThrowingHandler(), null);
        Feed(server, "40010001", 1, 0);
        Assert.Equal("60a00001", Take(server));
        Feed(server, "40010002", 1, 0);
        Assert.Equal("60a00002", Take(server)); // a handler leaving the code unset
    }

    [Fact]
    public void Bad_confirmable_gets_reset_and_bad_non_or_ack_is_ignored()
    {
        var server = new MessageLayer(NoToken(), new ScriptedRandomSource(), new FixedHandler(CoapCode.Content, ""), null);
        Feed(server, "49010042", 1, 0); // CON, TKL 9
        Assert.Equal("70000042", Take(server));
        Feed(server, "59010042", 1, 0); // NON, TKL 9
        Feed(server, "69010042", 1, 0); // ACK, TKL 9
        Feed(server, "79010042", 1, 0); // RST, TKL 9
        Feed(server, "09010042", 1, 0); // version 0
        Feed(server, "4001", 1, 0); // too short
        Assert.Equal(0, server.OutgoingCount);
        Feed(server, "40210043", 1, 0); // CON with reserved class 1
        Assert.Equal("70000043", Take(server));
        Assert.Equal(7, server.RejectedDatagrams);
    }

    private sealed class ThrowingHandler : ICoapRequestHandler
    {
        private int _calls;

        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
        {
            if (_calls++ == 0)
            {
                response.SetPayload([1, 2, 3], 0, 3);
                throw new InvalidOperationException("boom");
            }

            return CoapHandlerResult.Respond;
        }
    }
}
