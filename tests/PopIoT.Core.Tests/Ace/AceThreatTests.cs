#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Oscore;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>DESIGN.md §2 threats against the resource server, each refused for its stated reason.</summary>
public class AceThreatTests
{
    [Fact]
    public void Forged_token_under_the_wrong_key_is_refused_401()
    {
        var rig = new AceRig();
        var spec = new TokenSpec { Protection = "mac0" };
        var c = new AceTestClient(1, spec);
        var attackerKey = CoseKey.Symmetric(new byte[32], CoseAlgorithm.Hmac256_64.Id, "as-mac"u8.ToArray());
        c.Token = AceTestSupport.Mint(spec, macKey: attackerKey);
        Assert.Equal(CoapCode.Unauthorized, c.Post(rig));
        Assert.Equal(AceRsError.TokenVerificationFailed, AceRig.Reason(c.LastResponse));
        Assert.Equal(0, rig.Server.ActiveSlots);
    }

    [Fact]
    public void Modified_claim_is_refused_401()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Protection = "mac0", Scope = "read" });
        // Turn "read" into "reae" inside the MACed payload.
        int at = IndexOf(c.Token, "read"u8.ToArray());
        Assert.True(at > 0);
        c.Token[at + 3] ^= 0x01;
        Assert.Equal(CoapCode.Unauthorized, c.Post(rig));
        Assert.Equal(AceRsError.TokenVerificationFailed, AceRig.Reason(c.LastResponse));
    }

    [Fact]
    public void Token_for_another_audience_is_refused_403()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Audience = "otherSensor" });
        Assert.Equal(CoapCode.Forbidden, c.Post(rig));
        Assert.Equal(AceRsError.AudienceMismatch, AceRig.Reason(c.LastResponse));
    }

    [Fact]
    public void Expired_exp_is_refused_401_and_a_token_expiring_later_loses_its_context()
    {
        var rig = new AceRig(log: true);
        var old = new AceTestClient(1, new TokenSpec { Exp = AceTestSupport.Start - 1 });
        Assert.Equal(CoapCode.Unauthorized, old.Post(rig));
        Assert.Equal(AceRsError.TokenExpired, AceRig.Reason(old.LastResponse));

        var c = new AceTestClient(2, new TokenSpec { Exp = AceTestSupport.Start + 100, Id = [2] });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
        rig.Server.Tick(AceTestSupport.Start + 100);
        Assert.Equal(0, rig.Server.ActiveSlots);
        Assert.Contains("SlotExpired slot 0", rig.Log.Lines);
        Assert.Equal(CoapCode.Unauthorized, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(AceRsError.SecurityContextNotFound, rig.Server.LastDecision.Error);
    }

    [Fact]
    public void Expired_exi_on_a_clockless_rs_frees_the_slot_and_the_token_cannot_come_back()
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { HasClock = false };
        var rig = new AceRig(settings);
        var c = new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x05] });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        rig.Server.Tick(59);
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
        rig.Server.Tick(60);
        Assert.Equal(CoapCode.Unauthorized, c.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(AceRsError.SecurityContextNotFound, rig.Server.LastDecision.Error);

        // RFC 9200 §5.10.3: the RS cannot tell how old a re-posted exi token is; its sequence number is burnt.
        Assert.Equal(CoapCode.Unauthorized, c.Post(rig));
        Assert.Equal(AceRsError.TokenCtiReplayed, AceRig.Reason(c.LastResponse));
    }

    [Fact]
    public void Clockless_rs_refuses_a_token_with_only_exp()
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { HasClock = false };
        var rig = new AceRig(settings);
        var c = new AceTestClient(1, new TokenSpec());
        Assert.Equal(CoapCode.Unauthorized, c.Post(rig));
        Assert.Equal(AceRsError.TokenLifetimeMissing, AceRig.Reason(c.LastResponse));
    }

    [Fact]
    public void Put_with_a_get_only_scope_is_405()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Scope = "read" });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.MethodNotAllowed, c.Request(rig, CoapCode.Put, "/led", "on"));
        Assert.Equal(AceRsError.MethodNotInScope, rig.Server.LastDecision.Error);
        Assert.Equal(0, rig.Led.Calls);
    }

    [Fact]
    public void Admin_resource_without_admin_scope_is_403_and_with_it_204()
    {
        var rig = new AceRig();
        var user = new AceTestClient(1, new TokenSpec { Scope = "read write" });
        Assert.Equal(CoapCode.Created, user.Post(rig));
        Assert.Equal(CoapCode.Forbidden, user.Request(rig, CoapCode.Put, "/config", "x"));
        Assert.Equal(AceRsError.ScopeDenied, rig.Server.LastDecision.Error);

        var admin = new AceTestClient(2, new TokenSpec { Scope = "admin", Id = [2] });
        Assert.Equal(CoapCode.Created, admin.Post(rig));
        Assert.Equal(CoapCode.Changed, admin.Request(rig, CoapCode.Put, "/config", "x"));
        Assert.Equal(1, rig.Config.Calls);
    }

    [Fact]
    public void Replayed_protected_request_is_401()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec());
        Assert.Equal(CoapCode.Created, c.Post(rig));
        byte[] request = c.Protect(CoapCode.Get, "/temp");
        Assert.Equal(CoapCode.Content, c.Receive(rig.Exchange(1, request)));
        Assert.Equal(CoapCode.Unauthorized, c.Receive(rig.Exchange(1, request)));
        Assert.Equal(AceRsError.Replay, rig.Server.LastDecision.Error);
        Assert.Equal(1, rig.Temp.Calls);
    }

    [Fact]
    public void Request_replayed_after_eviction_is_401_context_not_found()
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 2 };
        var rig = new AceRig(settings, log: true);
        var victim = new AceTestClient(1, new TokenSpec { Id = [1] });
        Assert.Equal(CoapCode.Created, victim.Post(rig));
        byte[] captured = victim.Protect(CoapCode.Get, "/temp");

        for (int i = 2; i <= 3; i++)
        {
            Assert.Equal(CoapCode.Created, new AceTestClient(i, new TokenSpec { Id = [(byte)i] }).Post(rig));
        }

        Assert.Equal(1, rig.Server.Evictions);
        Assert.Contains(rig.Log.Lines, l => l.StartsWith("SlotEvicted peer 3 slot 0", StringComparison.Ordinal));
        Assert.Equal(CoapCode.Unauthorized, victim.Receive(rig.Exchange(9, captured)));
        Assert.Equal(AceRsError.SecurityContextNotFound, rig.Server.LastDecision.Error);
        Assert.Equal(0, rig.Temp.Calls);
    }

    [Fact]
    public void A_notification_bound_to_an_evicted_clients_keys_is_not_protected_under_the_next_clients_keys_in_that_slot()
    {
        // Each slot's context is re-derived in place for the next token. A host keeping an Observe binding (as
        // CoapServer does) for the evicted client must not protect a notification with the newcomer's keys.
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 1 };
        var rig = new AceRig(settings);
        var victim = new AceTestClient(1, new TokenSpec { Id = [1] });
        Assert.Equal(CoapCode.Created, victim.Post(rig));
        Assert.Equal(CoapCode.Content, victim.Request(rig, CoapCode.Get, "/temp"));
        var binding = new OscoreExchange();
        binding.CopyFrom(rig.Security.Exchange);
        SecurityContext slotContext = binding.Context;
        Assert.True(binding.IsCurrent);

        var processor = new OscoreProcessor();
        Assert.Equal(OscoreStatus.Ok, processor.ProtectResponse(Notification(), binding, true));

        // The victim stays idle past the eviction protection, so the newcomer's token may take its slot.
        rig.Server.Tick(AceTestSupport.Start + settings.EvictionProtectionSeconds);
        var newcomer = new AceTestClient(2, new TokenSpec { Id = [2] });
        Assert.Equal(CoapCode.Created, newcomer.Post(rig));
        Assert.Equal(1, rig.Server.Evictions);

        // Same object, new keys: the binding is stale and protection is refused.
        Assert.Equal(CoapCode.Content, newcomer.Request(rig, CoapCode.Get, "/temp"));
        Assert.Same(slotContext, rig.Security.Exchange.Context);
        Assert.False(binding.IsCurrent);
        Assert.Equal(OscoreStatus.SecurityContextNotFound, processor.ProtectResponse(Notification(), binding, true));
        Assert.True(rig.Security.Exchange.IsCurrent);

        static CoapMessage Notification()
        {
            var n = new CoapMessage { Type = CoapMessageType.NonConfirmable, Code = CoapCode.Content, MessageId = 9 };
            n.AddOption(CoapOptionNumber.Observe, [5], 0, 1);
            n.SetPayload([0x32, 0x32], 0, 2);
            return n;
        }
    }

    [Theory]
    [InlineData(24)] // ChaCha20/Poly1305: a COSE AEAD, but not one OSCORE contexts here support
    [InlineData(1)] // A128GCM: OSCORE needs a 13-byte-nonce AES-CCM here
    public void Key_material_that_cannot_make_a_context_is_refused_and_a_full_table_stays_as_it_was(int alg)
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 2 };
        var rig = new AceRig(settings);
        var a = new AceTestClient(1, new TokenSpec { Id = [1] });
        var b = new AceTestClient(2, new TokenSpec { Id = [2] });
        Assert.Equal(CoapCode.Created, a.Post(rig));
        Assert.Equal(CoapCode.Created, b.Post(rig));

        var bad = new AceTestClient(3, new TokenSpec { Id = [3], Alg = alg });
        Assert.NotEqual(CoapCode.Created, bad.Post(rig));
        Assert.NotEqual(AceRsError.None, rig.Server.LastDecision.Error);
        Assert.Equal(0, rig.Server.Evictions);
        Assert.Equal(2, rig.Server.ActiveSlots);
        Assert.Equal(CoapCode.Content, a.Request(rig, CoapCode.Get, "/temp"));
        Assert.Equal(CoapCode.Content, b.Request(rig, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void Request_protected_with_another_clients_key_does_not_decrypt()
    {
        var rig = new AceRig();
        var alice = new AceTestClient(1, new TokenSpec { Id = [1] });
        Assert.Equal(CoapCode.Created, alice.Post(rig));

        // Mallory knows Alice's IDs and nonces (they travel in clear) but not her Master Secret.
        var mallory = new AceTestClient(2, new TokenSpec { Id = [1], MasterSecret = new byte[16] });
        Assert.True(AuthzInfoResponse.TryParse(alice.LastResponse.PayloadBuffer, alice.LastResponse.PayloadOffset, alice.LastResponse.PayloadLength, out byte[] n2, out byte[] sid));
        var forged = AceOscoreSetup.CreateClientContext(AceTestSupport.Provider(5), new AceOscoreInput(new byte[16], null, null, 0, 32), alice.Nonce1, n2, alice.ClientId, sid);
        var p = new OscoreProcessor();
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 7 };
        m.AddUriPath("/temp");
        Assert.Equal(OscoreStatus.Ok, p.ProtectRequest(m, forged, false, new OscoreExchange()));
        byte[] r = rig.Exchange(2, AceTestSupport.Serialize(m));

        // RFC 8613 §8.2 step 6: a request that fails to decrypt gets 4.00 (unprotected); nothing is served.
        Assert.Equal(CoapCode.BadRequest, r[1]);
        Assert.Equal(AceRsError.DecryptionFailed, rig.Server.LastDecision.Error);
        Assert.Equal(0, rig.Temp.Calls);

        // And a context the RS never made (no matching kid) is 4.01.
        var stranger = AceOscoreSetup.CreateClientContext(AceTestSupport.Provider(6), new AceOscoreInput(new byte[16], null, null, 0, 32), alice.Nonce1, n2, alice.ClientId, [0x77]);
        m.Reset();
        m.Code = CoapCode.Get;
        m.AddUriPath("/temp");
        p.ProtectRequest(m, stranger, false, new OscoreExchange());
        r = rig.Exchange(2, AceTestSupport.Serialize(m));
        Assert.Equal(CoapCode.Unauthorized, r[1]);
        Assert.Equal(AceRsError.SecurityContextNotFound, rig.Server.LastDecision.Error);
        Assert.Equal(CoapCode.Content, alice.Request(rig, CoapCode.Get, "/temp"));
        GC.KeepAlive(mallory);
    }

    [Theory]
    [InlineData(0)]     // the body does not fit the Block1 buffer (MaxTokenSize + 64): refused by the reassembler
    [InlineData(1024)]  // the body fits, the token inside does not: refused after parsing
    public void Oversized_token_is_413(int blockwiseBuffer)
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { MaxTokenSize = 128, BlockwiseBufferSize = blockwiseBuffer };
        var rig = new AceRig(settings);
        var c = new AceTestClient(1, new TokenSpec { Scope = "read " + new string('x', 200) });
        Assert.Equal(CoapCode.RequestEntityTooLarge, c.Post(rig));
        Assert.Equal(AceRsError.TokenTooLarge, AceRig.Reason(c.LastResponse));
    }

    [Fact]
    public void Unknown_profile_is_400_incompatible_profiles()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Profile = AceProfile.CoapDtls });
        Assert.Equal(CoapCode.BadRequest, c.Post(rig));
        Assert.True(AceErrorResponse.TryParse(c.LastResponse.PayloadBuffer, c.LastResponse.PayloadOffset, c.LastResponse.PayloadLength, out int code, out string reason));
        Assert.Equal(AceErrorCode.IncompatibleAceProfiles, code);
        Assert.Equal("UnknownProfile", reason);
    }

    [Theory]
    [InlineData("a1", AceRsError.MalformedPayload)]            // map with a missing value
    [InlineData("ff", AceRsError.MalformedPayload)]            // a lone break
    [InlineData("8101", AceRsError.MalformedPayload)]          // an array, not a map
    [InlineData("a0", AceRsError.MissingAccessToken)]          // empty map
    [InlineData("a10105", AceRsError.MissingAccessToken)]      // access_token is not a bstr
    [InlineData("a2014101182841aa", AceRsError.InvalidClientRecipientId)] // nonce1 without the id
    [InlineData("a201410100", AceRsError.MalformedPayload)]    // the map is cut short
    [InlineData("a101410100", AceRsError.MalformedPayload)]    // trailing bytes
    public void Malformed_authz_info_payload_is_400_with_its_reason(string hex, AceRsError reason)
    {
        var rig = new AceRig();
        CoapMessage r = rig.PostAuthzInfo(1, Convert.FromHexString(hex));
        Assert.Equal(CoapCode.BadRequest, r.Code);
        Assert.Equal(reason, AceRig.Reason(r));
        Assert.Equal(CoapContentFormat.AceCbor, (int)AceHappyPathTests.Cf(r));
    }

    [Fact]
    public void Malformed_token_bytes_are_400_token_malformed()
    {
        var rig = new AceRig();
        CoapMessage r = rig.PostAuthzInfo(1, AuthzInfoRequest.Encode([0xd0, 0x83, 0x40], [1, 2, 3, 4, 5, 6, 7, 8], [1]));
        Assert.Equal(AceRsError.TokenMalformed, AceRig.Reason(r));
        Assert.Equal(CoapCode.BadRequest, r.Code);
    }

    [Fact]
    public void Wrong_content_format_is_415()
    {
        var rig = new AceRig();
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post };
        m.AddUriPath("/authz-info");
        m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.Json);
        m.SetPayload([0xa0], 0, 1);
        CoapMessage r = rig.Send(1, m);
        Assert.Equal(CoapCode.UnsupportedContentFormat, r.Code);
        Assert.Equal(AceRsError.UnsupportedContentFormat, AceRig.Reason(r));
    }

    [Fact]
    public void Master_secret_in_clear_in_a_mac0_token_is_refused()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Protection = "mac0-osc" });
        Assert.Equal(CoapCode.Unauthorized, c.Post(rig));
        Assert.Equal(AceRsError.KeyMaterialNotEncrypted, AceRig.Reason(c.LastResponse));
    }

    [Fact]
    public void Unsupported_input_material_algorithm_is_refused()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Alg = 1 });
        Assert.Equal(CoapCode.BadRequest, c.Post(rig));
        Assert.Equal(AceRsError.UnsupportedAlgorithm, AceRig.Reason(c.LastResponse));
    }

    [Fact]
    public void Scope_that_grants_nothing_here_is_invalid_scope()
    {
        var rig = new AceRig();
        var c = new AceTestClient(1, new TokenSpec { Scope = "fly" });
        Assert.Equal(CoapCode.BadRequest, c.Post(rig));
        Assert.Equal(AceRsError.InvalidScope, AceRig.Reason(c.LastResponse));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Unprotected_request_to_a_protected_resource_gets_401_with_creation_hints(bool hasClock)
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { HasClock = hasClock };
        var rig = new AceRig(settings);
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get };
        m.AddUriPath("/temp");
        CoapMessage r = rig.Send(1, m);
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        Assert.Equal(CoapContentFormat.AceCbor, (int)AceHappyPathTests.Cf(r));
        AsCreationHints h = AsCreationHints.TryParse(r.PayloadBuffer, r.PayloadOffset, r.PayloadLength);
        Assert.NotNull(h);
        Assert.Equal(AceTestSupport.AsUri, h.AsUri);
        Assert.Equal(AceTestSupport.Audience, h.Audience);
        if (hasClock)
        {
            Assert.Null(h.Cnonce);
        }
        else
        {
            Assert.Equal(8, h.Cnonce.Length);
        }

        Assert.Equal(AceRsError.NotProtected, rig.Server.LastDecision.Error);
        Assert.Equal(0, rig.Temp.Calls);
    }

    [Fact]
    public void Clockless_rs_accepts_the_cnonce_it_issued_and_refuses_others()
    {
        var settings = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { HasClock = false };
        var rig = new AceRig(settings);
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get };
        m.AddUriPath("/temp");
        CoapMessage r = rig.Send(1, m);
        byte[] cnonce = AsCreationHints.TryParse(r.PayloadBuffer, r.PayloadOffset, r.PayloadLength).Cnonce;

        var stranger = new AceTestClient(2, new TokenSpec { Exp = 0, Exi = 600, Cti = [1], Cnonce = [1, 2, 3, 4, 5, 6, 7, 8], Id = [2] });
        Assert.Equal(CoapCode.Unauthorized, stranger.Post(rig));
        Assert.Equal(AceRsError.CnonceUnknown, AceRig.Reason(stranger.LastResponse));

        var c = new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 600, Cti = [2], Cnonce = cnonce });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
    }

    internal static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        return -1;
    }
}
