using System.Text;
using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;
using PopIoT.Device;
using PopIoT.Tests.Oscore;
using Xunit;

namespace PopIoT.Tests.Ace;

/// <summary>
/// The threats of DESIGN.md §2 end to end, each refused for its own reason: the reason the device logs, and the one the
/// client reads from the response (the ACE error map's description, or the OSCORE error), over UDP and the lossy network.
/// </summary>
public class AceThreatTests
{
    // Posting the token is refused; the client's exception and the device's log name the same reason.
    // A 4.13 from the block-wise layer carries no error map (RFC 7959 §2.9.3): then only the log names the reason.
    private static SecurityDecision Refused(AceWorld world, AccessTokenFile token, AceRsError reason, byte code, bool errorMap = true)
    {
        AceOscoreClient client = world.Client(token);
        var e = Assert.Throws<AceTokenRejectedException>(() => world.Run(client.GetAsync(world.At("/temp"))));
        Assert.Equal(code, e.Response.Code);
        if (errorMap)
        {
            Assert.Equal(AceRsErrors.Name(reason), e.Description);
            Assert.Equal(AceRsErrors.GetAceErrorCode(reason), e.AceError);
        }

        SecurityDecision d = world.Rejections().Single();
        Assert.Equal(AceDecisionKind.TokenRejected, d.Kind);
        Assert.Equal(reason, d.Reason);
        Assert.Contains("reason=" + AceRsErrors.Name(reason), d.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, world.Device.ActiveSlots);
        Assert.Equal(0, world.Device.RequestsHandled);
        return d;
    }

    private static CoapMessage Parse(byte[] datagram)
    {
        var m = new CoapMessage();
        Assert.Equal(CoapParseError.None, m.Parse(datagram, 0, datagram.Length));
        return m;
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_forged_token_made_with_another_key_is_refused_as_not_verifying(string network)
    {
        using var world = new AceWorld(network, protection: TokenProtection.Mac0);
        using CoseKey otherMac = CoseKey.Symmetric(Enumerable.Repeat((byte)0x77, 32).ToArray(), CoseAlgorithm.Hmac256_64.Id, null);
        using CoseKey otherAead = CoseKey.Symmetric(Enumerable.Repeat((byte)0x78, 16).ToArray(), 10, null);
        AccessTokenFile forged = AceWorld.Mint([otherMac, otherAead], "admin", TokenProtection.Mac0, now: world.Clock.GetUtcNow());
        Refused(world, forged, AceRsError.TokenVerificationFailed, CoapCode.Unauthorized);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_token_whose_scope_was_raised_from_get_to_get_put_is_refused_as_not_verifying(string network)
    {
        using var world = new AceWorld(network, protection: TokenProtection.Mac0);
        AccessTokenFile token = world.Mint("[[\"/led\",1]]");
        byte[] bytes = (byte[])token.AccessToken.Clone();
        // The Mac0 claims are in clear: ["/led", 1] is 82 64 2f 6c 65 64 01; make it ["/led", 5] (GET|PUT).
        int at = bytes.AsSpan().IndexOf(new byte[] { 0x64, 0x2f, 0x6c, 0x65, 0x64, 0x01 });
        Assert.True(at > 0);
        bytes[at + 5] = 0x05;
        var modified = new AccessTokenFile(bytes, token.MasterSecret, token.InputMaterialId) { Algorithm = token.Algorithm };
        Refused(world, modified, AceRsError.TokenVerificationFailed, CoapCode.Unauthorized);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_token_for_another_audience_is_refused_as_audience_mismatch(string network)
    {
        using var world = new AceWorld(network);
        Refused(world, world.Mint("read", audience: "coap://device-2"), AceRsError.AudienceMismatch, CoapCode.Forbidden);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_token_past_its_exp_is_refused_as_expired(string network)
    {
        using var world = new AceWorld(network);
        // Minted two hours ago for one hour.
        AccessTokenFile old = AceWorld.Mint([world.MacKey, world.AeadKey], "read", now: world.Clock.GetUtcNow().AddHours(-2));
        Refused(world, old, AceRsError.TokenExpired, CoapCode.Unauthorized);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void An_exi_token_on_a_device_without_a_clock_stops_working_exi_seconds_after_it_arrived(string network)
    {
        using var world = new AceWorld(network, hasClock: false);
        AceOscoreClient client = world.Client(world.Mint("read", exi: 60), options: new AceOscoreClientOptions { RepostOnUnauthorized = false });
        Assert.Equal(CoapCode.Content, world.Run(client.GetAsync(world.At("/temp"))).Code);

        world.Clock.Advance(TimeSpan.FromSeconds(61));
        CoapResponse late = world.Run(client.GetAsync(world.At("/temp")));
        Assert.Equal(CoapCode.Unauthorized, late.Code);
        Assert.Equal(0, world.Device.ActiveSlots);
        Assert.Equal(1, world.Device.RequestsHandled);

        // The device dropped the token when its time passed exi (erasing the context), so the request found no context.
        var decisions = world.Device.Decisions;
        int expired = decisions.ToList().FindIndex(x => x.Kind == AceDecisionKind.SlotExpired);
        Assert.True(expired > 0, string.Join(" | ", decisions));
        SecurityDecision d = world.Rejections().Single();
        Assert.Equal((AceDecisionKind.RequestDenied, AceRsError.SecurityContextNotFound), (d.Kind, d.Reason));
        Assert.True(decisions.ToList().IndexOf(d) > expired);

        // And the same token is never accepted again (RFC 9200 §5.10.3): its cti sequence number is burnt.
        var e = Assert.Throws<AceTokenRejectedException>(() => world.Run(client.PostTokenAsync()));
        Assert.Equal(AceRsErrors.Name(AceRsError.TokenCtiReplayed), e.Description);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void Put_led_with_a_get_only_scope_gets_4_05_method_not_in_scope(string network)
    {
        using var world = new AceWorld(network);
        AceOscoreClient client = world.Client(world.Mint("read"));
        Assert.Equal("off", world.Run(client.GetAsync(world.At("/led"))).PayloadText);
        CoapResponse put = world.Run(client.PutAsync(world.At("/led"), "on"u8.ToArray()));
        Assert.Equal(CoapCode.MethodNotAllowed, put.Code);
        Assert.False(world.Device.Led);
        SecurityDecision d = world.Rejections().Single();
        Assert.Equal((AceDecisionKind.RequestDenied, AceRsError.MethodNotInScope, "/led", CoapCode.Put), (d.Kind, d.Reason, d.Path, d.Method));
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void Put_config_without_the_admin_scope_gets_4_03_and_with_it_2_04(string network)
    {
        using var world = new AceWorld(network);
        AceOscoreClient reader = world.Client(world.Mint("read write"));
        CoapResponse denied = world.Run(reader.PutAsync(world.At("/config"), "interval=5"u8.ToArray()));
        Assert.Equal(CoapCode.Forbidden, denied.Code);
        Assert.Empty(world.Device.Config);
        SecurityDecision d = world.Rejections().Single();
        Assert.Equal((AceRsError.ScopeDenied, "/config"), (d.Reason, d.Path));

        AceOscoreClient admin = world.Client(world.Mint("admin"));
        Assert.Equal(CoapCode.Changed, world.Run(admin.PutAsync(world.At("/config"), "interval=5"u8.ToArray())).Code);
        Assert.Equal("interval=5", Encoding.ASCII.GetString(world.Device.Config));
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_replayed_protected_request_gets_4_01_replay(string network)
    {
        using var world = new AceWorld(network);
        var sent = new List<byte[]>();
        AceOscoreClient client = world.Client(world.Mint("write"), d => { lock (sent) { sent.Add(d); } });
        Assert.Equal(CoapCode.Changed, world.Run(client.PutAsync(world.At("/led"), "on"u8.ToArray())).Code);
        byte[] captured;
        lock (sent)
        {
            captured = sent.Last(d => Parse(d).HasOption(CoapOptionNumber.Oscore));
        }

        // The attacker sends the captured bytes again from its own address: OSCORE's replay window refuses them.
        CoapMessage reply = Parse(world.SendRaw(captured));
        Assert.Equal(CoapCode.Unauthorized, reply.Code);
        Assert.False(reply.HasOption(CoapOptionNumber.Oscore));
        SecurityDecision d = world.Rejections().Single();
        Assert.Equal((AceDecisionKind.RequestDenied, AceRsError.Replay), (d.Kind, d.Reason));
        Assert.Equal(1, world.Device.RequestsHandled);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_request_replayed_after_its_context_was_evicted_gets_4_01_context_not_found(string network)
    {
        using var world = new AceWorld(network, slots: 1);
        var sent = new List<byte[]>();
        AceOscoreClient first = world.Client(world.Mint("write"), d => { lock (sent) { sent.Add(d); } });
        Assert.Equal(CoapCode.Changed, world.Run(first.PutAsync(world.At("/led"), "on"u8.ToArray())).Code);
        byte[] captured;
        lock (sent)
        {
            captured = sent.Last(d => Parse(d).HasOption(CoapOptionNumber.Oscore));
        }

        // Once the first client has been idle past the eviction protection, a second client takes the only slot: the
        // first one's context is evicted and its keys erased.
        world.Clock.Advance(TimeSpan.FromSeconds(AceRsSettings.DefaultEvictionProtectionSeconds + 1));
        AceOscoreClient second = world.Client(world.Mint("read"));
        Assert.Equal(CoapCode.Content, world.Run(second.GetAsync(world.At("/temp"))).Code);
        Assert.Equal(1, world.Device.Evictions);
        Assert.Contains(world.Device.Decisions, x => x.Kind == AceDecisionKind.SlotEvicted);

        CoapMessage reply = Parse(world.SendRaw(captured));
        Assert.Equal(CoapCode.Unauthorized, reply.Code);
        SecurityDecision d = world.Rejections().Single();
        Assert.Equal((AceDecisionKind.RequestDenied, AceRsError.SecurityContextNotFound), (d.Kind, d.Reason));
        Assert.Equal(2, world.Device.RequestsHandled);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_request_protected_with_another_clients_key_under_a_real_kid_does_not_decrypt(string network)
    {
        using var world = new AceWorld(network);
        AceOscoreClient victim = world.Client(world.Mint("write"));
        Assert.Equal(CoapCode.Created, world.Run(victim.PostTokenAsync()).Code);

        // The attacker holds a token of its own key material, and names the victim's context (its kid) in the request.
        AccessTokenFile own = world.Mint("write");
        using SecurityContext forged = AceOscoreSetup.CreateClientContext(
            PlatformCryptoProvider.Instance, new AceOscoreInput(own.MasterSecret, null!, null!, 10, 32), new byte[8], new byte[8], [0x42], victim.ServerRecipientId!);
        CoapClient attacker = world.PlainClient(new CoapClientOptions { Oscore = forged, Timeout = TimeSpan.FromSeconds(world.Net != null ? 600 : 20) });
        CoapResponse r = world.Run(attacker.PutAsync(world.At("/led"), "on"u8.ToArray()));
        Assert.Equal(CoapCode.BadRequest, r.Code);
        Assert.False(world.Device.Led);
        SecurityDecision d = world.Rejections().Single();
        Assert.Equal((AceDecisionKind.RequestDenied, AceRsError.DecryptionFailed), (d.Kind, d.Reason));

        // The victim's context is untouched: its first request (the same Partial IV) still goes through.
        Assert.Equal(CoapCode.Changed, world.Run(victim.PutAsync(world.At("/led"), "on"u8.ToArray())).Code);
        Assert.True(world.Device.Led);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_token_above_the_devices_limit_is_refused_as_too_large(string network)
    {
        using var world = new AceWorld(network, maxTokenSize: 256);
        AccessTokenFile big = world.Mint("read " + string.Join(' ', Enumerable.Range(0, 40).Select(i => "scope-" + i)));
        Assert.True(big.AccessToken.Length > 256);
        Refused(world, big, AceRsError.TokenTooLarge, CoapCode.RequestEntityTooLarge, errorMap: false);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_token_for_an_unknown_profile_is_refused(string network)
    {
        using var world = new AceWorld(network);
        Refused(world, world.Mint("read", profile: 99), AceRsError.UnknownProfile, CoapCode.BadRequest);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void Malformed_cbor_posted_to_authz_info_gets_4_00_with_an_error_map(string network)
    {
        using var world = new AceWorld(network);
        CoapClient plain = world.PlainClient();
        // A map of two pairs that ends after the first key.
        CoapResponse r = world.Run(plain.PostAsync(world.At("/authz-info"), new byte[] { 0xa2, 0x01 }, CoapContentFormat.AceCbor));
        Assert.Equal(CoapCode.BadRequest, r.Code);
        byte[] body = r.Payload.ToArray();
        Assert.True(AceErrorResponse.TryParse(body, 0, body.Length, out int code, out string description));
        Assert.Equal(AceRsErrors.GetAceErrorCode(AceRsError.MalformedPayload), code);
        Assert.Equal("MalformedPayload", description);
        Assert.Equal(AceRsError.MalformedPayload, world.Rejections().Single().Reason);
    }
}
