#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// Token intake as a function (docs/ace-rs.md): bytes, peer and the request's security in, an outcome out, with no CoAP
/// message (the call a DTLS handshake makes with a token from a psk_identity, RFC 9202 §3.2.1).
/// </summary>
public class TokenIntakeTests
{
    [Fact]
    public void A_token_with_nonces_is_stored_and_answered_with_nonce2_and_a_recipient_id_without_a_CoAP_message()
    {
        var rig = new AceRig();
        var outcome = new TokenIntakeOutcome(rig.Settings);
        byte[] body = AuthzInfoRequest.Encode(AceTestSupport.Mint(new TokenSpec()), new byte[8], [0x41]);

        rig.Server.Intake.Process(ByteRange.Of(body), 1, null, AceTestSupport.Start, outcome);

        Assert.Equal(CoapCode.Created, outcome.Code);
        Assert.Equal(AceDecisionKind.TokenStored, outcome.Kind);
        Assert.Equal(AceRsError.None, outcome.Error);
        Assert.True(rig.Server.IsSlotInUse(outcome.Slot));
        ByteRange p = outcome.Payload;
        Assert.True(AuthzInfoResponse.TryParse(p.Buffer, p.Offset, p.Count, out byte[] nonce2, out byte[] serverId));
        Assert.Equal(rig.Settings.NonceLength, nonce2.Length);
        Assert.Single(serverId);

        // RFC 9200 §5.10.1: the same token again is known by its claims; no second slot.
        byte[] again = AuthzInfoRequest.Encode(AceTestSupport.Mint(new TokenSpec()), null, null);
        rig.Server.Intake.Process(ByteRange.Of(again), 1, null, AceTestSupport.Start, outcome);
        Assert.Equal(AceDecisionKind.TokenDuplicate, outcome.Kind);
        Assert.Equal(0, outcome.Payload.Count);
        Assert.Equal(1, rig.Server.ActiveSlots);
    }

    [Fact]
    public void A_rights_update_over_oscore_that_also_carries_nonces_is_an_update_with_the_nonces_ignored()
    {
        var rig = new AceRig();
        var outcome = new TokenIntakeOutcome(rig.Settings);
        rig.Server.Intake.Process(ByteRange.Of(AuthzInfoRequest.Encode(AceTestSupport.Mint(new TokenSpec { Id = [1] }), new byte[8], [0x41])), 1, null, AceTestSupport.Start, outcome);
        int slot = outcome.Slot;
        Assert.Equal(AceDecisionKind.TokenStored, outcome.Kind);

        // RFC 9203 §4.1: "If the RS receives the token in an OSCORE-protected message, it means that the client is
        // requesting an update of access rights. The RS MUST ignore any nonce and identifiers in the request".
        byte[] update = AuthzInfoRequest.Encode(AceTestSupport.Mint(new TokenSpec { Id = [1], Scope = "write", Cti = [7] }), new byte[8], [0x42]);
        var own = new RequestSecurity();
        own.SetOscore(slot, 0);
        rig.Server.Intake.Process(ByteRange.Of(update), 1, own, AceTestSupport.Start, outcome);
        Assert.Equal(AceDecisionKind.RightsUpdated, outcome.Kind);
        Assert.Equal(CoapCode.Created, outcome.Code);
        Assert.Equal(0, outcome.Payload.Count);
        Assert.Equal(slot, outcome.Slot);
        Assert.Equal(1, rig.Server.ActiveSlots);

        // Even malformed nonces are ignored then: they are not read.
        byte[] second = AuthzInfoRequest.Encode(AceTestSupport.Mint(new TokenSpec { Id = [1], Scope = "read", Cti = [8] }), new byte[1], [0x42]);
        rig.Server.Intake.Process(ByteRange.Of(second), 1, own, AceTestSupport.Start, outcome);
        Assert.Equal(AceDecisionKind.RightsUpdated, outcome.Kind);
    }

    [Fact]
    public void A_rights_update_is_refused_in_the_clear_and_from_another_slots_context()
    {
        var rig = new AceRig();
        var outcome = new TokenIntakeOutcome(rig.Settings);
        rig.Server.Intake.Process(ByteRange.Of(AuthzInfoRequest.Encode(AceTestSupport.Mint(new TokenSpec { Id = [1] }), new byte[8], [0x41])), 1, null, AceTestSupport.Start, outcome);
        int slot = outcome.Slot;
        byte[] update = AuthzInfoRequest.Encode(AceTestSupport.Mint(new TokenSpec { Id = [1], Scope = "write", Cti = [7], Protection = "mac0-kid" }), null, null);

        // RFC 9203 §4.1: an update must come over the context of the token it updates.
        rig.Server.Intake.Process(ByteRange.Of(update), 1, null, AceTestSupport.Start, outcome);
        Assert.Equal(AceRsError.UpdateNotProtected, outcome.Error);
        Assert.Equal(CoapCode.Unauthorized, outcome.Code);
        Assert.True(outcome.Payload.Count > 0);

        var other = new RequestSecurity();
        other.SetOscore(slot + 1, 0);
        rig.Server.Intake.Process(ByteRange.Of(update), 1, other, AceTestSupport.Start, outcome);
        Assert.Equal(AceRsError.UpdateFromWrongContext, outcome.Error);

        var own = new RequestSecurity();
        own.SetOscore(slot, 0);
        rig.Server.Intake.Process(ByteRange.Of(update), 1, own, AceTestSupport.Start, outcome);
        Assert.Equal(AceDecisionKind.RightsUpdated, outcome.Kind);
        Assert.Equal(slot, outcome.Slot);
    }

    [Fact]
    public void A_binding_the_engine_did_not_attach_does_not_make_a_plain_update_protected()
    {
        var rig = new AceRig(log: true);
        var alice = new AceTestClient(1, new TokenSpec { Id = [1] });
        Assert.Equal(CoapCode.Created, alice.Post(rig));
        byte[] update = AuthzInfoRequest.Encode(AceTestSupport.Mint(new TokenSpec { Id = [1], Scope = "write", Cti = [7], Protection = "mac0-kid" }), null, null);
        var request = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = 7 };
        request.AddUriPath("/authz-info");
        request.SetPayload(update, 0, update.Length);

        // A stale or forged binding naming alice's slot, on a request that came in the clear.
        var forged = new RequestSecurity();
        forged.SetOscore(0, CoapMethods.Post);
        request.Security = forged;
        var response = new CoapMessage();
        rig.Server.HandleRequest(1, request, response);

        Assert.Equal(CoapCode.Unauthorized, response.Code);
        Assert.Equal(AceRsError.UpdateNotProtected, rig.Server.LastDecision.Error);
    }

    [Fact]
    public void Bad_bytes_get_a_specific_error_and_no_slot()
    {
        var rig = new AceRig();
        var outcome = new TokenIntakeOutcome(rig.Settings);
        rig.Server.Intake.Process(ByteRange.Of([0xA1, 0x01]), 3, null, AceTestSupport.Start, outcome);
        Assert.Equal(CoapCode.BadRequest, outcome.Code);
        Assert.NotEqual(AceRsError.None, outcome.Error);
        Assert.Equal(-1, outcome.Slot);
        Assert.Equal(0, rig.Server.ActiveSlots);
    }
}
