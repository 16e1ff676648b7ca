#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>Re-posting, access-rights updates (RFC 9203 §4.1) and block-wise tokens (RFC 7959).</summary>
public class AceTokenLifecycleTests
{
    [Fact]
    public void Same_token_without_nonces_is_idempotent()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec());
        Assert.Equal(CoapCode.Created, c.Post(rig));
        for (int i = 0; i < 3; i++)
        {
            CoapMessage r = rig.PostAuthzInfo(1, AuthzInfoRequest.Encode(c.Token, null, null));
            Assert.Equal(CoapCode.Created, r.Code);
            Assert.Equal(0, r.PayloadLength);
            Assert.Equal(AceDecisionKind.TokenDuplicate, rig.Server.LastDecision.Kind);
        }

        Assert.Equal(1, rig.Server.ActiveSlots);
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void Same_token_with_new_nonces_keeps_its_slot_and_gets_fresh_keys()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec());
        Assert.Equal(CoapCode.Created, c.Post(rig));
        byte[] oldRequest = c.Protect(CoapCode.Get, "/temp");
        SecurityContext old = c.Context;
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(AceDecisionKind.TokenDuplicate, rig.Server.LastDecision.Kind);
        Assert.Equal(1, rig.Server.ActiveSlots);
        Assert.NotSame(old, c.Context);

        // The old keys are gone on the RS: a request made with them is not served.
        byte[] r = rig.Exchange(1, oldRequest);
        Assert.True(r[1] == CoapCode.Unauthorized || r[1] == CoapCode.BadRequest);
        Assert.Equal(0, rig.Temp.Calls);
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void New_token_for_the_same_pop_key_without_nonces_over_oscore_updates_rights_and_keeps_the_context()
    {
        var rig = new AceRig();
        var spec = new TokenSpec { Scope = "read", Cti = [1] };
        var c = new AceTestClient(1, spec);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.MethodNotAllowed, c.Request(rig, CoapCode.Put, "/led", "on"));

        spec.Scope = "read write";
        spec.Cti = [2];
        byte[] upgraded = AceTestSupport.Mint(spec);
        Assert.Equal(CoapCode.Created, c.Receive(rig.Exchange(1, ProtectPost(c, AuthzInfoRequest.Encode(upgraded, null, null)))));
        Assert.Equal(AceDecisionKind.RightsUpdated, rig.Server.LastDecision.Kind);
        Assert.Equal(1, rig.Server.ActiveSlots);
        Assert.Equal(CoapCode.Changed, c.Request(rig, CoapCode.Put, "/led", "on"));
    }

    [Fact]
    public void Rights_update_over_oscore_is_accepted_only_from_the_matching_context()
    {
        var rig = new AceRig();
        var aliceSpec = new TokenSpec { Scope = "read", Id = [1] };
        var alice = new AceTestClient(1, aliceSpec);
        var bob = new AceTestClient(2, new TokenSpec { Scope = "read", Id = [2] });
        Assert.Equal(CoapCode.Created, alice.Post(rig));
        Assert.Equal(CoapCode.Created, bob.Post(rig));

        aliceSpec.Scope = "admin read";
        byte[] update = AuthzInfoRequest.Encode(AceTestSupport.Mint(aliceSpec), null, null);

        // Bob posts Alice's update over his own context: refused.
        Assert.Equal(CoapCode.Unauthorized, bob.Receive(rig.Exchange(2, ProtectPost(bob, update))));
        Assert.Equal(AceRsError.UpdateFromWrongContext, rig.Server.LastDecision.Error);

        Assert.Equal(CoapCode.Created, alice.Receive(rig.Exchange(1, ProtectPost(alice, update))));
        Assert.Equal(AceDecisionKind.RightsUpdated, rig.Server.LastDecision.Kind);
        Assert.Equal(CoapCode.Changed, alice.Request(rig, CoapCode.Put, "/config", "x"));
    }

    [Fact]
    public void Update_token_with_cnf_kid_as_in_rfc_9203_updates_rights_but_cannot_set_up_a_context()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Scope = "read", Id = [0x01] });
        Assert.Equal(CoapCode.Created, c.Post(rig));

        byte[] update = AceTestSupport.Mint(new TokenSpec { Protection = "mac0-kid", Scope = "read write", Id = [0x01] });
        Assert.Equal(CoapCode.Created, c.Receive(rig.Exchange(1, ProtectPost(c, AuthzInfoRequest.Encode(update, null, null)))));
        Assert.Equal(AceDecisionKind.RightsUpdated, rig.Server.LastDecision.Kind);
        Assert.Equal(CoapCode.Changed, c.Request(rig, CoapCode.Put, "/led", "on"));

        CoapMessage r = rig.PostAuthzInfo(2, AuthzInfoRequest.Encode(update, [1, 2, 3, 4, 5, 6, 7, 8], [0x42]));
        Assert.Equal(AceRsError.UnsupportedConfirmation, AceRig.Reason(r));
    }

    [Fact]
    public void New_token_with_nonces_for_a_held_pop_key_replaces_its_slot_and_erases_the_old_context()
    {
        var rig = new AceRig();
        var spec = new TokenSpec { Cti = [1] };
        var c = new AceTestClient(1, spec);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        byte[] oldKeys = c.Protect(CoapCode.Get, "/temp");
        spec.Cti = [2];
        c.Token = AceTestSupport.Mint(spec);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(AceDecisionKind.TokenStored, rig.Server.LastDecision.Kind);
        Assert.Equal(1, rig.Server.ActiveSlots);
        byte[] r = rig.Exchange(1, oldKeys);
        Assert.True(r[1] == CoapCode.Unauthorized || r[1] == CoapCode.BadRequest);
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(1, rig.Temp.Calls);
    }

    [Fact]
    public void Update_for_an_unknown_pop_key_is_refused()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Id = [1] });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        byte[] other = AuthzInfoRequest.Encode(AceTestSupport.Mint(new TokenSpec { Id = [9] }), null, null);
        Assert.Equal(CoapCode.Unauthorized, c.Receive(rig.Exchange(1, ProtectPost(c, other))));
        Assert.Equal(AceRsError.NoTokenToUpdate, rig.Server.LastDecision.Error);

        CoapMessage r = rig.PostAuthzInfo(1, other);
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        Assert.Equal(AceRsError.UpdateNotProtected, AceRig.Reason(r));
    }

    [Fact]
    public void Large_token_arrives_block_wise()
    {
        var rig = new AceRig();
        var spec = new TokenSpec { Scope = "read write " + string.Join(' ', System.Linq.Enumerable.Repeat("padding", 30)) };
        var c = new AceTestClient(1, spec);
        byte[] nonce1 = [1, 2, 3, 4, 5, 6, 7, 8];
        byte[] body = AuthzInfoRequest.Encode(c.Token, nonce1, c.ClientId);
        Assert.True(body.Length > 256);
        const int Szx = 2; // 64-byte blocks
        CoapMessage r = null;
        for (int num = 0; num * 64 < body.Length; num++)
        {
            int n = Math.Min(64, body.Length - num * 64);
            bool more = (num + 1) * 64 < body.Length;
            var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post };
            m.SetToken([0xB0], 0, 1);
            m.AddUriPath("/authz-info");
            m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor);
            m.AddUintOption(CoapOptionNumber.Block1, BlockOption.Encode(num, more, Szx));
            m.SetPayload(body, num * 64, n);
            r = rig.Send(1, m);
            Assert.Equal(more ? CoapCode.Continue : CoapCode.Created, r.Code);
        }

        Assert.True(AuthzInfoResponse.TryParse(r.PayloadBuffer, r.PayloadOffset, r.PayloadLength, out byte[] n2, out byte[] sid));
        var ctx = AceOscoreSetup.CreateClientContext(AceTestSupport.Provider(3), new AceOscoreInput(spec.MasterSecret, null, null, 0, 32), nonce1, n2, c.ClientId, sid);
        var p = new OscoreProcessor();
        var e = new OscoreExchange();
        var g = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Put, MessageId = 99 };
        g.AddUriPath("/led");
        Assert.Equal(OscoreStatus.Ok, p.ProtectRequest(g, ctx, false, e));
        var resp = new CoapMessage();
        byte[] d = rig.Exchange(1, AceTestSupport.Serialize(g));
        resp.Parse(d, 0, d.Length);
        Assert.Equal(OscoreStatus.Ok, p.UnprotectResponse(resp, e));
        Assert.Equal(CoapCode.Changed, resp.Code);
    }

    private static byte[] ProtectPost(AceTestClient client, byte[] payload) => client.ProtectBytes(CoapCode.Post, "/authz-info", payload);
}
