#nullable disable
using System;
using System.Linq;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Dtls;
using PopIoT.Core.Tests.Device;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// The coap_dtls profile on the device runtime (RFC 9202 §3.3–§3.4, PSK mode): both psk_identity forms, the PSK from
/// the token's cnf or derived from it, requests authorised by the session's token (4.01 with hints, 4.03, 4.05), the
/// session closed when its token goes, and the rights updated over the session.
/// </summary>
[Collection(AceSerialCollection.Name)]
public class AceDtlsProfileTests
{
    private static CoapMessage Post(DeviceRuntimeRig rig, int client, byte[] token) =>
        rig.Request(client, CoapCode.Post, "/authz-info", AuthzInfoRequest.Encode(token, null, null), m => m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor));

    [Fact]
    public void The_rfc_9202_identity_example_parses_to_its_kid()
    {
        var id = new AceDtlsIdentity();
        Assert.Equal(17, AceDtlsSupport.Rfc9202Identity.Length);
        Assert.True(AceDtlsIdentity.IsKidForm(ByteRange.Of(AceDtlsSupport.Rfc9202Identity)));
        Assert.True(id.ParseKid(ByteRange.Of(AceDtlsSupport.Rfc9202Identity), 16));
        Assert.Equal(Convert.FromHexString("3d027833fc6267ce"), AceDtlsSupport.Rfc9202Identity.AsSpan(id.KidOffset, id.KidLength).ToArray());

        // The same structure written by System.Formats.Cbor is byte for byte the RFC's.
        Assert.Equal(AceDtlsSupport.Rfc9202Identity, AceDtlsSupport.KidIdentity(Convert.FromHexString("3d027833fc6267ce")));
    }

    [Theory]
    [InlineData("A108A101A2010402483D027833FC6267CE00")] // trailing byte
    [InlineData("A208A101A2010402483D027833FC6267CE0101")] // a second member beside cnf
    [InlineData("A109A101A2010402483D027833FC6267CE")] // not cnf
    [InlineData("A108A102A2010402483D027833FC6267CE")] // not COSE_Key
    [InlineData("A108A101A2010202483D027833FC6267CE")] // kty EC2, not symmetric
    [InlineData("A108A101A10104")] // no kid
    [InlineData("A108A101A201040240")] // empty kid
    [InlineData("A108A101A2010402513D027833FC6267CE3D027833FC6267CE00")] // a 17-byte kid
    [InlineData("A108A101A2010402483D027833FC62")] // cut short
    [InlineData("A108A101A301040248010202483D027833FC6267CE")] // kid twice
    public void Malformed_kid_forms_are_refused(string hex)
    {
        var id = new AceDtlsIdentity();
        Assert.False(id.ParseKid(ByteRange.Of(Convert.FromHexString(hex)), 16));
        Assert.Equal(0, id.KidLength);
    }

    [Theory]
    [InlineData("encrypt0-key")]
    [InlineData("mac0-enckey")]
    public void A_token_posted_then_named_by_its_kid_opens_a_session_that_gets_temp(string form)
    {
        var rig = AceDtlsSupport.Rig();
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec { Form = form };
        byte[] token = AceDtlsSupport.Mint(spec);

        // RFC 9202 §3.3.1: the token goes to /authz-info in the clear first: 2.01 with no payload.
        CoapMessage posted = Post(rig, 2, token);
        Assert.Equal(CoapCode.Created, posted.Code);
        Assert.Equal(0, posted.PayloadLength);

        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Rfc9202Identity, spec.Psk));
        Assert.Equal(DtlsCipherSuite.PskAes128Ccm8, rig.Runtime.Dtls.CipherSuite(rig.Runtime.Dtls.EstablishedPeerAt(0)));
        CoapMessage temp = client.Send(CoapCode.Get, "/temp");
        Assert.Equal(CoapCode.Content, temp.Code);
        Assert.Equal("21.5", System.Text.Encoding.UTF8.GetString(temp.PayloadBuffer, temp.PayloadOffset, temp.PayloadLength));
        Assert.Contains(rig.Log.Lines, l => l.Message.Contains("bound to token slot", StringComparison.Ordinal));
    }

    [Fact]
    public void The_token_itself_as_the_identity_opens_a_session_and_its_scope_decides_each_request()
    {
        var rig = AceDtlsSupport.Rig();
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec();
        var client = new DtlsRuntimeClient(rig, 3);

        // RFC 9202 §3.3.2: the access token as psk_identity, verified by the same intake as /authz-info.
        Assert.True(client.Connect(AceDtlsSupport.Mint(spec), spec.Psk));
        Assert.Equal(1, rig.Runtime.Engine.ActiveSlots);
        Assert.Equal(CoapCode.Content, client.Send(CoapCode.Get, "/temp").Code);

        // RFC 9200 §5.10.2, RFC 9202 §3.4: read covers /led but not PUT (4.05), not /config at all (4.03).
        Assert.Equal(CoapCode.MethodNotAllowed, client.Send(CoapCode.Put, "/led", "on"u8.ToArray()).Code);
        Assert.False(rig.Peripherals.LedOn);
        Assert.Equal(CoapCode.Forbidden, client.Send(CoapCode.Put, "/config", [1]).Code);
        Assert.Equal(CoapCode.Content, client.Send(CoapCode.Get, "/hello").Code);
        Assert.Equal(CoapCode.NotFound, client.Send(CoapCode.Get, "/nothing").Code);
        Assert.Equal(AceRsError.ResourceNotFound, rig.Runtime.Engine.LastDecision.Error);
    }

    [Fact]
    public void A_kid_only_token_gets_the_psk_the_rfc_9202_derivation_gives_recomputed_independently()
    {
        var rig = AceDtlsSupport.Rig();
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec { Form = "mac0-kid", Kid = [0x11, 0x22] };
        byte[] token = AceDtlsSupport.Mint(spec);
        byte[] psk = AceDtlsSupport.DerivePsk(token);

        // The token as the identity: the RS derives the same PSK from the bytes it received.
        var first = new DtlsRuntimeClient(rig, 3);
        Assert.True(first.Connect(token, psk));
        Assert.Equal(CoapCode.Content, first.Send(CoapCode.Get, "/temp").Code);

        // The kid form after it: the derived key was kept with the token.
        var second = new DtlsRuntimeClient(rig, 4);
        Assert.True(second.Connect(AceDtlsSupport.KidIdentity(spec.Kid), psk));
        Assert.Equal(CoapCode.Content, second.Send(CoapCode.Get, "/temp").Code);

        // One session per token: the reconnect took the binding; the first session is closed at the next tick.
        int sent = rig.Socket.SentCount;
        rig.Clock.Advance(1000);
        rig.Runtime.RunOnce();
        first.Collect(sent);
        Assert.Equal(DtlsAlert.CloseNotify, first.ClosedAlert);
        Assert.True(second.Connected);
    }

    [Fact]
    public void A_kid_only_token_without_a_derivation_key_is_refused_at_authz_info()
    {
        var rig = AceDtlsSupport.Rig();
        var fresh = new PopIoT.Core.Tests.Device.DeviceRuntimeRig(rig.Settings);
        Assert.True(fresh.Runtime.Start());
        Assert.False(fresh.Runtime.Engine.HasDtlsKeyDerivationKey);
        CoapMessage r = Post(fresh, 2, AceDtlsSupport.Mint(new DtlsTokenSpec { Form = "mac0-kid" }));
        Assert.Equal(CoapCode.BadRequest, r.Code);
        Assert.Equal(AceRsError.UnsupportedConfirmation, AceRig.Reason(r));
    }

    [Fact]
    public void The_derivation_key_must_have_derive_key_as_its_only_purpose()
    {
        var rig = AceDtlsSupport.Rig();
        var both = PopIoT.Core.Cose.CoseKey.Symmetric(AceDtlsSupport.DerivationKeyBytes, 0, null);
        both.SetKeyOperations([PopIoT.Core.Cose.CoseKeyOperation.DeriveKey, PopIoT.Core.Cose.CoseKeyOperation.MacVerify]);
        Assert.Throws<ArgumentException>(() => rig.Runtime.Engine.SetDtlsKeyDerivationKey(both));
        var none = PopIoT.Core.Cose.CoseKey.Symmetric(AceDtlsSupport.DerivationKeyBytes, 0, null);
        Assert.Throws<ArgumentException>(() => rig.Runtime.Engine.SetDtlsKeyDerivationKey(none));
    }

    [Fact]
    public void Each_refused_identity_ends_the_handshake_with_illegal_parameter_and_says_why()
    {
        var rig = AceDtlsSupport.Rig(oscore: true);
        Assert.True(rig.Runtime.Start());
        var good = new DtlsTokenSpec();
        (byte[] Identity, AceRsError Why)[] cases =
        [
            (AceDtlsSupport.KidIdentity([0x77]), AceRsError.PskIdentityInvalid), // a kid naming no stored token
            (Convert.FromHexString("A108A101A10104"), AceRsError.PskIdentityInvalid), // a kid form without kid
            ("not cbor at all"u8.ToArray(), AceRsError.TokenTypeNotAccepted), // neither a kid form nor a COSE message
            (Tamper(AceDtlsSupport.Mint(good)), AceRsError.TokenVerificationFailed),
            (AceDtlsSupport.Mint(new DtlsTokenSpec { Audience = "otherSensor" }), AceRsError.AudienceMismatch),
            (AceDtlsSupport.Mint(new DtlsTokenSpec { Exp = AceTestSupport.Start - 10 }), AceRsError.TokenExpired),
            (AceDtlsSupport.Mint(new DtlsTokenSpec { Form = "mac0-key" }), AceRsError.KeyMaterialNotEncrypted),
            (AceDtlsSupport.Mint(new DtlsTokenSpec { Profile = 0 }), AceRsError.UnknownProfile), // both profiles served: a token must name one
            (AceTestSupport.Mint(new TokenSpec()), AceRsError.ProfileMismatch), // an OSCORE token gives no DTLS key
        ];
        int address = 10;
        foreach ((byte[] identity, AceRsError why) in cases)
        {
            var client = new DtlsRuntimeClient(rig, address++);
            Assert.False(client.Connect(identity, good.Psk));
            Assert.Equal(DtlsAlert.IllegalParameter, client.ClosedAlert);
            Assert.Equal(AceDecisionKind.PskIdentityRefused, rig.Runtime.Engine.LastDecision.Kind);
            Assert.True(why == rig.Runtime.Engine.LastDecision.Error, "identity " + address + ": expected " + why + ", got " + rig.Runtime.Engine.LastDecision.Error);
        }

        Assert.Equal(0, rig.Runtime.Engine.ActiveSlots);
        Assert.Equal(0, rig.Runtime.Dtls.SessionCount);
    }

    [Fact]
    public void A_session_without_a_token_gets_hints_and_is_closed_when_its_token_expires()
    {
        var rig = AceDtlsSupport.Rig();
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec { Exp = AceTestSupport.Start + 60 };
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Mint(spec), spec.Psk));
        Assert.Equal(CoapCode.Content, client.Send(CoapCode.Get, "/temp").Code);

        // RFC 9202 §3.4: the token is checked for every request; once it expired, 4.01 with AS Request Creation Hints.
        rig.Clock.Advance(61_000);
        CoapMessage late = client.Send(CoapCode.Get, "/temp");
        Assert.Equal(CoapCode.Unauthorized, late.Code);
        Assert.Equal(AceTestSupport.Audience, AsCreationHints.TryParse(late.PayloadBuffer, late.PayloadOffset, late.PayloadLength).Audience);
        Assert.Equal(0, rig.Runtime.Engine.ActiveSlots);

        // ... and the session does not outlive it: close_notify at the next tick, keys erased.
        int sent = rig.Socket.SentCount;
        rig.Clock.Advance(1000);
        rig.Runtime.RunOnce();
        client.Collect(sent);
        Assert.Equal(DtlsAlert.CloseNotify, client.ClosedAlert);
        Assert.Equal(0, rig.Runtime.Dtls.SessionCount);
    }

    [Fact]
    public void A_new_token_for_the_session_key_posted_over_the_session_updates_its_rights()
    {
        var rig = AceDtlsSupport.Rig();
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec();
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Mint(spec), spec.Psk));
        Assert.Equal(CoapCode.MethodNotAllowed, client.Send(CoapCode.Put, "/led", "on"u8.ToArray()).Code);

        // RFC 9202 §3.4: the same key (kid and key bytes), new rights, over the session.
        byte[] write = AceDtlsSupport.Mint(new DtlsTokenSpec { Scope = "read write" });
        CoapMessage updated = client.PostToken(write);
        Assert.Equal(CoapCode.Created, updated.Code);
        Assert.Equal(AceDecisionKind.RightsUpdated, rig.Runtime.Engine.LastDecision.Kind);
        Assert.Equal(CoapCode.Changed, client.Send(CoapCode.Put, "/led", "on"u8.ToArray()).Code);
        Assert.True(rig.Peripherals.LedOn);

        // The update token's kid only (the AS names the session's key): also the same key.
        CoapMessage kidOnly = client.PostToken(AceDtlsSupport.Mint(new DtlsTokenSpec { Form = "mac0-kid", Scope = "read" }));
        Assert.Equal(CoapCode.Created, kidOnly.Code);
        Assert.Equal(CoapCode.MethodNotAllowed, client.Send(CoapCode.Put, "/led", "off"u8.ToArray()).Code);
        Assert.Equal(1, rig.Runtime.Engine.ActiveSlots);
    }

    [Fact]
    public void An_observation_over_a_session_is_notified_over_it_and_ends_with_its_token()
    {
        var rig = AceDtlsSupport.Rig();
        Assert.True(rig.Runtime.Start());
        var spec = new DtlsTokenSpec { Exp = AceTestSupport.Start + 30 };
        var client = new DtlsRuntimeClient(rig, 3);
        Assert.True(client.Connect(AceDtlsSupport.Mint(spec), spec.Psk));
        CoapMessage registered = client.Send(CoapCode.Get, "/temp", null, m => m.AddUintOption(CoapOptionNumber.Observe, 0));
        Assert.Equal(CoapCode.Content, registered.Code);
        Assert.True(registered.HasOption(CoapOptionNumber.Observe));
        Assert.Equal(1, rig.Runtime.ObserverCount);

        int sent = rig.Socket.SentCount;
        rig.Peripherals.CentiCelsius = 2300;
        Assert.Equal(1, rig.Runtime.NotifyObservers("/temp"));
        client.Collect(sent);
        CoapMessage note = Assert.Single(client.TakeReceived());
        Assert.Equal("23.0", System.Text.Encoding.UTF8.GetString(note.PayloadBuffer, note.PayloadOffset, note.PayloadLength));

        // RFC 9200 §5.10.3: when the token expires the observation ends with a final 4.01, over the session, before it closes.
        sent = rig.Socket.SentCount;
        rig.Clock.Advance(31_000);
        rig.Runtime.RunOnce();
        client.Collect(sent);
        CoapMessage last = client.TakeReceived().First();
        Assert.Equal(CoapCode.Unauthorized, last.Code);
        Assert.False(last.HasOption(CoapOptionNumber.Observe));
        Assert.Equal(DtlsAlert.CloseNotify, client.ClosedAlert);
        Assert.Equal(0, rig.Runtime.ObserverCount);
    }

    [Fact]
    public void Oscore_and_dtls_are_served_side_by_side_each_by_its_own_tokens()
    {
        var rig = AceDtlsSupport.Rig(oscore: true);
        Assert.True(rig.Runtime.Start());
        var oscore = new RuntimeClient(rig, 2, new TokenSpec());
        Assert.Equal(CoapCode.Created, oscore.Post().Code);
        Assert.Equal(CoapCode.Content, oscore.Send(CoapCode.Get, "/temp").Code);

        var spec = new DtlsTokenSpec();
        var dtls = new DtlsRuntimeClient(rig, 3);
        Assert.True(dtls.Connect(AceDtlsSupport.Mint(spec), spec.Psk));
        Assert.Equal(CoapCode.Content, dtls.Send(CoapCode.Get, "/temp").Code);

        // An OSCORE token posted over the DTLS session gives it no rights (and no context).
        CoapMessage crossed = dtls.PostToken(AceTestSupport.Mint(new TokenSpec { Scope = "admin", Id = [0x09] }));
        Assert.Equal(CoapCode.BadRequest, crossed.Code);
        Assert.Equal(AceRsError.ProfileMismatch, AceRig.Reason(crossed));
        Assert.Equal(CoapCode.Forbidden, dtls.Send(CoapCode.Put, "/config", [1]).Code);
        Assert.Equal(2, rig.Runtime.Engine.ActiveSlots);
    }

    private static byte[] Tamper(byte[] token)
    {
        byte[] t = (byte[])token.Clone();
        t[t.Length - 3] ^= 0x01;
        return t;
    }
}
