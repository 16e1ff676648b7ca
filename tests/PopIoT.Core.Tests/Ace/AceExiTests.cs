#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// The exi rules of a clockless resource server (RFC 9200 §5.10.1.1, §5.10.3) and the protection of access-rights
/// updates (RFC 9203 §4.1): a token's lifetime starts when the RS first verifies it and never restarts; the highest
/// sequence number of an expired, replaced or evicted token burns every number at or below it.
/// </summary>
public class AceExiTests
{
    [Fact]
    public void A_byte_variant_of_a_token_does_not_restart_its_exi_lifetime()
    {
        var rig = Clockless();
        var c = new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x05] });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        byte[] original = c.Token;

        // At 50 s the same token with an extra label in its unprotected header is posted again, with and without nonces.
        rig.Server.Tick(50);
        c.Token = AceExiTokens.WithUnprotectedLabel(original, 1);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        CoapMessage r = rig.PostAuthzInfo(1, AuthzInfoRequest.Encode(AceExiTokens.WithUnprotectedLabel(original, 2), null, null));
        Assert.Equal(CoapCode.Created, r.Code);
        Assert.Equal(CoapCode.Created, c.Receive(rig.Exchange(1, c.ProtectBytes(CoapCode.Post, "/authz-info", AuthzInfoRequest.Encode(AceExiTokens.WithUnprotectedLabel(original, 3), null, null)))));
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(1, rig.Server.ActiveSlots);

        // RFC 9200 §5.10.1.1: the counter started when the RS first verified the token, at 0 s.
        rig.Server.Tick(60);
        Assert.Equal(CoapCode.Unauthorized, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(0, rig.Server.ActiveSlots);
    }

    [Fact]
    public void Two_genuine_tokens_for_one_pop_key_posted_alternately_do_not_extend_access()
    {
        var rig = Clockless();
        var spec = new TokenSpec { Exp = 0, Exi = 60, Cti = [0x01], Scope = "read" };
        var c = new AceTestClient(1, spec);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        byte[] first = c.Token;
        spec.Cti = [0x02];
        spec.Scope = "read write";
        byte[] second = AceTestSupport.Mint(spec);

        // The rights update (sequence 2) arrives over OSCORE at 30 s: its own exi counts from then, to 90 s.
        rig.Server.Tick(30);
        Assert.Equal(CoapCode.Created, PostProtected(rig, c, second));
        Assert.Equal(AceDecisionKind.RightsUpdated, rig.Server.LastDecision.Kind);

        // The token it replaced is burnt; the update re-posted changes nothing.
        rig.Server.Tick(60);
        Assert.Equal(CoapCode.Unauthorized, PostProtected(rig, c, first));
        Assert.Equal(AceRsError.TokenCtiReplayed, rig.Server.LastDecision.Error);
        rig.Server.Tick(80);
        Assert.Equal(CoapCode.Created, PostProtected(rig, c, second));
        Assert.Equal(AceDecisionKind.TokenDuplicate, rig.Server.LastDecision.Kind);
        Assert.Equal(CoapCode.Changed, c.Request(rig, CoapCode.Put, "/led", "on"));

        rig.Server.Tick(90);
        Assert.Equal(CoapCode.Unauthorized, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(0, rig.Server.ActiveSlots);
    }

    [Fact]
    public void A_lower_exi_sequence_number_is_expired_once_a_higher_one_expired()
    {
        var rig = Clockless();
        var high = new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x05], Id = [1] });
        var low = new AceTestClient(2, new TokenSpec { Exp = 0, Exi = 600, Cti = [0x03], Id = [2] });
        Assert.Equal(CoapCode.Created, high.Post(rig));
        rig.Server.Tick(10);
        Assert.Equal(CoapCode.Created, low.Post(rig));
        Assert.Equal(CoapCode.Content, low.Request(rig, CoapCode.Get, "/temp"));

        // RFC 9200 §5.10.3: once number 5 expired, every token numbered 5 or below counts as expired.
        rig.Server.Tick(60);
        Assert.Equal(CoapCode.Unauthorized, low.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(5, rig.Server.HighestExpiredExiSequence);
        Assert.Equal(0, rig.Server.ActiveSlots);
        var four = new AceTestClient(3, new TokenSpec { Exp = 0, Exi = 600, Cti = [0x04], Id = [3] });
        Assert.Equal(CoapCode.Unauthorized, four.Post(rig));
        Assert.Equal(AceRsError.TokenCtiReplayed, AceRig.Reason(four.LastResponse));
    }

    [Fact]
    public void A_replaced_exi_token_cannot_come_back_with_a_fresh_lifetime()
    {
        var rig = Clockless();
        var spec = new TokenSpec { Exp = 0, Exi = 60, Cti = [0x01] };
        var c = new AceTestClient(1, spec);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        byte[] first = c.Token;
        spec.Cti = [0x02];
        c.Token = AceTestSupport.Mint(spec);
        rig.Server.Tick(20);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(AceDecisionKind.TokenStored, rig.Server.LastDecision.Kind);

        rig.Server.Tick(70);
        c.Token = first;
        Assert.Equal(CoapCode.Unauthorized, c.Post(rig));
        Assert.Equal(AceRsError.TokenCtiReplayed, AceRig.Reason(c.LastResponse));
    }

    [Fact]
    public void An_evicted_exi_token_cannot_come_back_with_a_fresh_lifetime()
    {
        var rig = Clockless(slots: 1);
        var a = new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x01], Id = [1] });
        var b = new AceTestClient(2, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x02], Id = [2] });
        Assert.Equal(CoapCode.Created, a.Post(rig));
        rig.Server.Tick(50);
        Assert.Equal(CoapCode.Created, b.Post(rig));
        Assert.Equal(1, rig.Server.Evictions);

        rig.Server.Tick(55);
        Assert.Equal(CoapCode.Unauthorized, a.Post(rig));
        Assert.Equal(AceRsError.TokenCtiReplayed, AceRig.Reason(a.LastResponse));
        Assert.Equal(CoapCode.Content, b.Request(rig, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void An_access_rights_update_without_oscore_is_refused()
    {
        var rig = new AceRig();
        var spec = new TokenSpec { Scope = "read", Cti = [1] };
        var c = new AceTestClient(1, spec);
        Assert.Equal(CoapCode.Created, c.Post(rig));
        spec.Scope = "read write";
        spec.Cti = [2];
        byte[] update = AceTestSupport.Mint(spec);

        // RFC 9203 §4.1: an update comes protected with the context of the first exchange; from anyone else it is refused.
        CoapMessage r = rig.PostAuthzInfo(9, AuthzInfoRequest.Encode(update, null, null));
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        Assert.Equal(AceRsError.UpdateNotProtected, AceRig.Reason(r));
        Assert.Equal(CoapCode.MethodNotAllowed, c.Request(rig, CoapCode.Put, "/led", "on"));

        Assert.Equal(CoapCode.Created, PostProtected(rig, c, update));
        Assert.Equal(AceDecisionKind.RightsUpdated, rig.Server.LastDecision.Kind);
        Assert.Equal(CoapCode.Changed, c.Request(rig, CoapCode.Put, "/led", "on"));
    }

    [Fact]
    public void An_audience_mismatch_gets_4_03()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Audience = "otherSensor" });
        Assert.Equal(CoapCode.Forbidden, c.Post(rig));
        Assert.Equal(AceRsError.AudienceMismatch, AceRig.Reason(c.LastResponse));
    }

    [Fact]
    public void A_scope_covering_the_resource_but_not_the_method_gets_4_05_and_a_resource_outside_it_4_03()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Scope = "read" });
        Assert.Equal(CoapCode.Created, c.Post(rig));

        // RFC 9200 §5.10.2: the token covers /led but not PUT on it.
        Assert.Equal(CoapCode.MethodNotAllowed, c.Request(rig, CoapCode.Put, "/led", "on"));
        Assert.Equal(AceRsError.MethodNotInScope, rig.Server.LastDecision.Error);
        Assert.Equal(CoapCode.Forbidden, c.Request(rig, CoapCode.Put, "/config", "x"));
        Assert.Equal(AceRsError.ScopeDenied, rig.Server.LastDecision.Error);
        Assert.Equal(0, rig.Led.Calls);
        Assert.Equal(0, rig.Config.Calls);
    }

    internal static AceRig Clockless(int slots = 8)
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { HasClock = false, Slots = slots };
        return new AceRig(settings);
    }

    internal static byte PostProtected(AceRig rig, AceTestClient c, byte[] token) =>
        c.Receive(rig.Exchange(c.Peer, c.ProtectBytes(CoapCode.Post, "/authz-info", AuthzInfoRequest.Encode(token, null, null))));
}
