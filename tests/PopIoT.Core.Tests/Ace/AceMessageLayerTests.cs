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
        var w = new LayerWorld(20_000);
        byte[] post = w.TokenPost();
        byte[] r = w.Roundtrip(1, post);
        CoapMessage created = Parse(r);
        Assert.Equal(CoapCode.Created, created.Code);

        // The same POST retransmitted: deduplicated by the layer, answered from its cache; no second slot.
        Assert.Equal(r, w.Roundtrip(1, post));
        Assert.Equal(1, w.Rig.Server.ActiveSlots);

        byte[] g = w.ProtectedGet(created);
        byte[] first = w.Roundtrip(1, g);
        byte[] again = w.Roundtrip(1, g);
        Assert.Equal(first, again);
        Assert.Equal(1, w.Rig.Temp.Calls);
        CoapMessage resp = Parse(first);
        Assert.Equal(PopIoT.Core.Oscore.OscoreStatus.Ok, w.Processor.UnprotectResponse(resp, w.Exchange));
        Assert.Equal(CoapCode.Content, resp.Code);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(1000)]
    public void Junk_cons_from_many_peers_do_not_lock_out_a_valid_protected_get(int junk)
    {
        // The defaults a board gets (CoapSettings()): unauthenticated datagrams must never crowd out authenticated ones.
        var w = new LayerWorld(10);
        CoapMessage created = Parse(w.Roundtrip(1, w.TokenPost()));
        Assert.Equal(CoapCode.Created, created.Code);

        // Junk: CON requests from many (spoofable) addresses, each a new Message ID.
        var junkRequest = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get };
        junkRequest.AddUriPath("/nothing");
        for (int i = 0; i < junk; i++)
        {
            junkRequest.MessageId = i & 0xFFFF;
            w.Roundtrip(1000 + i, AceTestSupport.Serialize(junkRequest));
        }

        CoapMessage resp = Parse(w.Roundtrip(1, w.ProtectedGet(created)));
        Assert.True(resp.HasOption(CoapOptionNumber.Oscore), "expected a protected response, got code " + CoapCode.ClassOf(resp.Code) + "." + CoapCode.DetailOf(resp.Code).ToString("00", null));
        Assert.Equal(PopIoT.Core.Oscore.OscoreStatus.Ok, w.Processor.UnprotectResponse(resp, w.Exchange));
        Assert.Equal(CoapCode.Content, resp.Code);
        Assert.Equal(1, w.Rig.Temp.Calls);
        Assert.Equal(0, w.Layer.CacheFullRefusals);
    }

    private static CoapMessage Parse(byte[] datagram)
    {
        var m = new CoapMessage();
        m.Parse(datagram, 0, datagram.Length);
        return m;
    }

    // The engine behind a MessageLayer with its defaults, one client that posts a token with nonce1 and then sends an
    // OSCORE-protected GET /temp, and a clock that moves `step` milliseconds per datagram.
    private sealed class LayerWorld
    {
        private static readonly byte[] Nonce1 = [1, 2, 3, 4, 5, 6, 7, 8];
        private readonly byte[] _output = new byte[1024];
        private readonly long _step;
        private long _now = 1_000_000;

        public LayerWorld(long step)
        {
            _step = step;
            Layer = new MessageLayer(new CoapSettings(), new SeededRandomSource(11), Rig.Server, null);
        }

        public AceRig Rig { get; } = new AceRig();

        public MessageLayer Layer { get; }

        public AceTestClient Client { get; } = new AceTestClient(1, new TokenSpec());

        public PopIoT.Core.Oscore.OscoreProcessor Processor { get; } = new PopIoT.Core.Oscore.OscoreProcessor();

        public PopIoT.Core.Oscore.OscoreExchange Exchange { get; } = new PopIoT.Core.Oscore.OscoreExchange();

        public byte[] Roundtrip(int peer, byte[] datagram)
        {
            _now += _step;
            Layer.Receive(datagram, 0, datagram.Length, peer, _now);
            Assert.True(Layer.TryTakeOutgoing(_output, 0, out int n, out _));
            return _output.AsSpan(0, n).ToArray();
        }

        public byte[] TokenPost()
        {
            var post = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = 10 };
            post.SetToken([0x51], 0, 1);
            post.AddUriPath("/authz-info");
            byte[] payload = AuthzInfoRequest.Encode(Client.Token, Nonce1, Client.ClientId);
            post.SetPayload(payload, 0, payload.Length);
            return AceTestSupport.Serialize(post);
        }

        // RFC 9203 §4.3: the client's context from the 2.01, then a GET /temp protected with it.
        public byte[] ProtectedGet(CoapMessage created)
        {
            Assert.True(AuthzInfoResponse.TryParse(created.PayloadBuffer, created.PayloadOffset, created.PayloadLength, out byte[] n2, out byte[] sid));
            var ctx = AceOscoreSetup.CreateClientContext(AceTestSupport.Provider(1), new AceOscoreInput(Client.Spec.MasterSecret, null, null, 0, 32), Nonce1, n2, Client.ClientId, sid);
            var get = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 11 };
            get.SetToken([0x52], 0, 1);
            get.AddUriPath("/temp");
            Processor.ProtectRequest(get, ctx, false, Exchange);
            return AceTestSupport.Serialize(get);
        }
    }
}
