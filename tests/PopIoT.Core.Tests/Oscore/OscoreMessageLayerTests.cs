#nullable disable
using System;
using System.Text;

using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Coap;
using PopIoT.Core.Tests.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Oscore.OscoreTestSupport;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>
/// The host layering: MessageLayer (dedup, RFC 7252 §4.5) → OscoreServer (RFC 8613 §8.2/8.3) → application. A
/// retransmitted CON is answered from the dedup cache and never reaches OSCORE as a replay.
/// </summary>
public class OscoreMessageLayerTests
{
    private readonly byte[] _out = new byte[2048];

    private static byte[] ProtectedCon(SecurityContext client, OscoreProcessor p, OscoreExchange e, int mid)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = mid };
        m.SetToken([1, 2, 3, 4], 0, 4);
        m.AddUriPath("/sensors/temp");
        Assert.Equal(OscoreStatus.Ok, p.ProtectRequest(m, client, false, e));
        return Serialize(m);
    }

    private byte[] Take(MessageLayer layer)
    {
        Assert.True(layer.TryTakeOutgoing(_out, 0, out int n, out _));
        return _out.AsSpan(0, n).ToArray();
    }

    [Fact]
    public void Retransmitted_con_is_answered_from_the_dedup_cache_and_a_real_replay_gets_4_01()
    {
        var table = new OscoreContextTable(4);
        table.Add(C1Server());
        var app = new FixedHandler(CoapCode.Content, "22.3 C");
        var oscore = new OscoreServer(table, new OscoreProcessor(), app, null);
        var server = new MessageLayer(new CoapSettings(), new SeededRandomSource(9), oscore, null);

        var client = C1Client();
        var cp = new OscoreProcessor();
        var e = new OscoreExchange();
        byte[] request = ProtectedCon(client, cp, e, 0x0100);

        server.Receive(request, 0, request.Length, 1, 0);
        byte[] first = Take(server);
        // Retransmission of the same CON (same Message ID, same peer): the cached ACK goes out again.
        server.Receive(request, 0, request.Length, 1, 2000);
        byte[] second = Take(server);
        Assert.Equal(first, second);
        Assert.Equal(1, app.Calls);
        Assert.Equal(1, server.DuplicatesDetected);
        Assert.Equal(0, oscore.ReplaysDetected);

        var resp = ParseNew(first);
        Assert.Equal(OscoreStatus.Ok, cp.UnprotectResponse(resp, e));
        Assert.Equal(CoapCode.Content, resp.Code);
        Assert.Equal("22.3 C", Encoding.ASCII.GetString(resp.PayloadBuffer, resp.PayloadOffset, resp.PayloadLength));

        // The same OSCORE request under a new Message ID is a replay (RFC 8613 §7.4): 4.01, unprotected, with the text.
        byte[] replay = (byte[])request.Clone();
        replay[3] ^= 0x55;
        server.Receive(replay, 0, replay.Length, 1, 3000);
        var r = ParseNew(Take(server));
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        Assert.Equal("Replay detected", Encoding.ASCII.GetString(r.PayloadBuffer, r.PayloadOffset, r.PayloadLength));
        Assert.Equal(1, oscore.ReplaysDetected);
        Assert.Equal(1, app.Calls);
    }

    [Fact]
    public void Unprotected_request_goes_to_the_unprotected_handler_or_gets_4_01()
    {
        var table = new OscoreContextTable(1);
        var authz = new FixedHandler(CoapCode.Created, "");
        var layer = new MessageLayer(new CoapSettings(), new SeededRandomSource(9), new OscoreServer(table, new OscoreProcessor(), new FixedHandler(CoapCode.Content, "x"), authz), null);
        byte[] post = Hex.Parse("42020001beef" + "ba" + Hex.Ascii("authz-info") + "ff01");
        layer.Receive(post, 0, post.Length, 1, 0);
        Assert.Equal(CoapCode.Created, Take(layer)[1]);

        var strict = new MessageLayer(new CoapSettings(), new SeededRandomSource(9), new OscoreServer(table, new OscoreProcessor(), new FixedHandler(CoapCode.Content, "x"), null), null);
        strict.Receive(post, 0, post.Length, 1, 0);
        Assert.Equal(CoapCode.Unauthorized, Take(strict)[1]);
    }

    [Fact]
    public void An_unrecognized_critical_inner_option_gets_a_protected_4_02_and_the_handler_does_not_run()
    {
        var table = new OscoreContextTable(4);
        table.Add(C1Server());
        var app = new FixedHandler(CoapCode.Changed, "");
        var oscore = new OscoreServer(table, new OscoreProcessor(), app, null);
        var server = new MessageLayer(new CoapSettings(), new SeededRandomSource(9), oscore, null);
        var client = C1Client();
        var cp = new OscoreProcessor();
        var e = new OscoreExchange();

        // RFC 8613 §4.1: an option the sender does not know as class U is class E, so 9999 travels encrypted, where the
        // message layer's own check (RFC 7252 §5.4.1) cannot see it.
        var put = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Put, MessageId = 0x0200 };
        put.SetToken([5, 6], 0, 2);
        put.AddUriPath("/config");
        put.AddOption(9999, [0x01], 0, 1);
        put.SetPayload([0x42], 0, 1);
        Assert.Equal(OscoreStatus.Ok, cp.ProtectRequest(put, client, false, e));
        byte[] request = Serialize(put);
        server.Receive(request, 0, request.Length, 1, 0);

        // RFC 8613 §8.2 step 8 then RFC 7252 §5.4.1: the decrypted request gets 4.02 Bad Option, protected (the request
        // verified, so the client can trust the answer), and the application never sees it.
        var resp = ParseNew(Take(server));
        Assert.True(resp.HasOption(CoapOptionNumber.Oscore));
        Assert.Equal(OscoreStatus.Ok, cp.UnprotectResponse(resp, e));
        Assert.Equal(CoapCode.BadOption, resp.Code);
        Assert.Equal(0, app.Calls);

        // The same kind of option with an even (elective) number is ignored, as RFC 7252 §5.4.1 asks.
        var elective = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Put, MessageId = 0x0201 };
        elective.SetToken([5, 7], 0, 2);
        elective.AddUriPath("/config");
        elective.AddOption(9998, [0x01], 0, 1);
        Assert.Equal(OscoreStatus.Ok, cp.ProtectRequest(elective, client, false, e));
        byte[] second = Serialize(elective);
        server.Receive(second, 0, second.Length, 1, 10);
        resp = ParseNew(Take(server));
        Assert.Equal(OscoreStatus.Ok, cp.UnprotectResponse(resp, e));
        Assert.Equal(CoapCode.Changed, resp.Code);
        Assert.Equal(1, app.Calls);
    }
}
