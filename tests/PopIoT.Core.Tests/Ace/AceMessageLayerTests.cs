#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Tests.Crypto;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>The engine behind Core's CoAP message layer, as the hosts run it: a retransmitted CON is not a replay.</summary>
public class AceMessageLayerTests
{
    [Fact]
    public void Retransmitted_protected_con_gets_the_cached_response_not_a_replay_error()
    {
        var rig = new AceRig();
        var layer = new MessageLayer(new CoapSettings(), new SeededRandomSource(11), rig.Server, null);
        var c = new AceTestClient(1, new TokenSpec());
        byte[] nonce1 = [1, 2, 3, 4, 5, 6, 7, 8];
        var post = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = 10 };
        post.SetToken([0x51], 0, 1);
        post.AddUriPath("/authz-info");
        byte[] payload = AuthzInfoRequest.Encode(c.Token, nonce1, c.ClientId);
        post.SetPayload(payload, 0, payload.Length);
        byte[] output = new byte[1024];
        long now = 1_000_000;

        byte[] Roundtrip(byte[] datagram)
        {
            now += 20_000;
            layer.Receive(datagram, 0, datagram.Length, 1, now);
            Assert.True(layer.TryTakeOutgoing(output, 0, out int n, out _));
            return output.AsSpan(0, n).ToArray();
        }

        var created = new CoapMessage();
        byte[] r = Roundtrip(AceTestSupport.Serialize(post));
        created.Parse(r, 0, r.Length);
        Assert.Equal(CoapCode.Created, created.Code);

        // The same POST retransmitted: deduplicated by the layer, answered from its cache; no second slot.
        Assert.Equal(r, Roundtrip(AceTestSupport.Serialize(post)));
        Assert.Equal(1, rig.Server.ActiveSlots);

        Assert.True(AuthzInfoResponse.TryParse(created.PayloadBuffer, created.PayloadOffset, created.PayloadLength, out byte[] n2, out byte[] sid));
        var ctx = AceOscoreSetup.CreateClientContext(AceTestSupport.Provider(1), new AceOscoreInput(c.Spec.MasterSecret, null, null, 0, 32), nonce1, n2, c.ClientId, sid);
        var p = new PopIoT.Core.Oscore.OscoreProcessor();
        var e = new PopIoT.Core.Oscore.OscoreExchange();
        var get = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 11 };
        get.SetToken([0x52], 0, 1);
        get.AddUriPath("/temp");
        p.ProtectRequest(get, ctx, false, e);
        byte[] g = AceTestSupport.Serialize(get);
        byte[] first = Roundtrip(g);
        byte[] again = Roundtrip(g);
        Assert.Equal(first, again);
        Assert.Equal(1, rig.Temp.Calls);
        var resp = new CoapMessage();
        resp.Parse(first, 0, first.Length);
        Assert.Equal(PopIoT.Core.Oscore.OscoreStatus.Ok, p.UnprotectResponse(resp, e));
        Assert.Equal(CoapCode.Content, resp.Code);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(1000)]
    public void Junk_cons_from_many_peers_do_not_lock_out_a_valid_protected_get(int junk)
    {
        // The defaults a board gets (CoapSettings()): unauthenticated datagrams must never crowd out authenticated ones.
        var rig = new AceRig();
        var layer = new MessageLayer(new CoapSettings(), new SeededRandomSource(11), rig.Server, null);
        var c = new AceTestClient(1, new TokenSpec());
        byte[] nonce1 = [1, 2, 3, 4, 5, 6, 7, 8];
        var post = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = 10 };
        post.SetToken([0x51], 0, 1);
        post.AddUriPath("/authz-info");
        byte[] payload = AuthzInfoRequest.Encode(c.Token, nonce1, c.ClientId);
        post.SetPayload(payload, 0, payload.Length);
        byte[] output = new byte[1024];
        long now = 1_000_000;

        byte[] Roundtrip(int peer, byte[] datagram)
        {
            now += 10;
            layer.Receive(datagram, 0, datagram.Length, peer, now);
            Assert.True(layer.TryTakeOutgoing(output, 0, out int n, out _));
            return output.AsSpan(0, n).ToArray();
        }

        var created = new CoapMessage();
        byte[] r = Roundtrip(1, AceTestSupport.Serialize(post));
        created.Parse(r, 0, r.Length);
        Assert.Equal(CoapCode.Created, created.Code);

        // Junk: CON requests from many (spoofable) addresses, each a new Message ID.
        var junkRequest = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get };
        junkRequest.AddUriPath("/nothing");
        for (int i = 0; i < junk; i++)
        {
            junkRequest.MessageId = i & 0xFFFF;
            Roundtrip(1000 + i, AceTestSupport.Serialize(junkRequest));
        }

        Assert.True(AuthzInfoResponse.TryParse(created.PayloadBuffer, created.PayloadOffset, created.PayloadLength, out byte[] n2, out byte[] sid));
        var ctx = AceOscoreSetup.CreateClientContext(AceTestSupport.Provider(1), new AceOscoreInput(c.Spec.MasterSecret, null, null, 0, 32), nonce1, n2, c.ClientId, sid);
        var p = new PopIoT.Core.Oscore.OscoreProcessor();
        var e = new PopIoT.Core.Oscore.OscoreExchange();
        var get = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 11 };
        get.SetToken([0x52], 0, 1);
        get.AddUriPath("/temp");
        p.ProtectRequest(get, ctx, false, e);
        var resp = new CoapMessage();
        byte[] g = Roundtrip(1, AceTestSupport.Serialize(get));
        resp.Parse(g, 0, g.Length);
        Assert.True(resp.HasOption(CoapOptionNumber.Oscore), "expected a protected response, got code " + CoapCode.ClassOf(resp.Code) + "." + CoapCode.DetailOf(resp.Code).ToString("00", null));
        Assert.Equal(PopIoT.Core.Oscore.OscoreStatus.Ok, p.UnprotectResponse(resp, e));
        Assert.Equal(CoapCode.Content, resp.Code);
        Assert.Equal(1, rig.Temp.Calls);
        Assert.Equal(0, layer.CacheFullRefusals);
    }
}
