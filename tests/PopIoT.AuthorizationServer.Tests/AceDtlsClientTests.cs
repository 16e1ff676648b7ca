using PopIoT.Ace;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;
using AceParameters = PopIoT.Core.Ace.AceParameters;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// <see cref="AceDtlsClient"/>: a token from the AS, the handshake with its PSK in both psk_identity forms of RFC 9202
/// §3.3, requests over the one session, and an update of access rights posted over it (§4), against an RS made of Core
/// pieces (<see cref="TestDtlsResourceServer"/>) over UDP loopback.
/// </summary>
public sealed class AceDtlsClientTests : IDisposable
{
    private static readonly AcePeer Gwd = new(false, "gwd");
    private static readonly CoapClientOptions Quick = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly AceTestBed _bed = new();

    public AceDtlsClientTests()
    {
        _bed.Registry.AddClient("gwd", profiles: [AceProfile.CoapDtls]);
    }

    public void Dispose() => _bed.Dispose();

    [Fact]
    public void The_kid_identity_is_the_rfc_9202_example_byte_for_byte()
    {
        // RFC 9202 §3.3, Figure 8.
        Assert.Equal(Convert.FromHexString("A108A101A20104024 83D027833FC6267CE".Replace(" ", string.Empty)), AceDtlsClient.KidIdentity(Convert.FromHexString("3D027833FC6267CE")));
    }

    [Theory]
    [InlineData(TokenProtection.Encrypt0, false, DtlsPskIdentityForm.Kid)]
    [InlineData(TokenProtection.Encrypt0, false, DtlsPskIdentityForm.Token)]
    [InlineData(TokenProtection.Mac0, false, DtlsPskIdentityForm.Kid)]
    [InlineData(TokenProtection.Mac0, true, DtlsPskIdentityForm.Kid)]
    [InlineData(TokenProtection.Encrypt0, true, DtlsPskIdentityForm.Token)]
    public async Task Each_token_form_and_identity_form_completes_the_handshake_and_reuses_the_session(TokenProtection protection, bool derive, DtlsPskIdentityForm form)
    {
        using TestDtlsResourceServer rs = Register("lamp", protection, derive);
        AccessTokenFile token = await TokenFromAs("lamp");
        using var client = new AceDtlsClient(token, rs.Secure, new AceDtlsClientOptions { IdentityForm = form, Coap = Quick });
        for (int i = 0; i < 3; i++)
        {
            CoapResponse r = await client.SendAsync(new CoapRequest(CoapCode.Get, new Uri(rs.Secure, "/temp")));
            Assert.Equal(CoapCode.Content, r.Code);
            Assert.Equal("21.5", r.PayloadText);
        }

        Assert.Equal(1, rs.IdentitiesAccepted);
        Assert.Equal(form == DtlsPskIdentityForm.Kid ? 1 : 0, rs.TokensPosted);
    }

    [Fact]
    public async Task A_token_longer_than_the_client_engines_default_identity_room_is_the_psk_identity_whole()
    {
        ResourceServerRecord record = _bed.Registry.AddResourceServer("hall", TokenProtection.Encrypt0, dtls: new ResourceServerDtls([AceProfile.CoapDtls], false));
        string paths = string.Join(",", Enumerable.Range(0, 12).Select(i => "[\"/zone/" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture) + "\",1]"));
        _bed.Registry.Grant("gwd", "hall", AccessScope.Parse("[[\"/temp\",1]," + paths + "]"));
        using var rs = new TestDtlsResourceServer(record, "coap://as.example");
        AccessTokenFile token = await TokenFromAs("hall");
        Assert.True(token.AccessToken.Length > 128, "the token must exceed the default 128-byte identity room: " + token.AccessToken.Length);

        using var client = new AceDtlsClient(token, rs.Secure, new AceDtlsClientOptions { IdentityForm = DtlsPskIdentityForm.Token, Coap = Quick });
        CoapResponse r = await client.SendAsync(new CoapRequest(CoapCode.Get, new Uri(rs.Secure, "/temp")));
        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Equal(1, rs.IdentitiesAccepted);
    }

    [Fact]
    public async Task A_token_with_another_psk_fails_the_handshake_with_the_identity_of_a_captured_token()
    {
        using TestDtlsResourceServer rs = Register("lamp", TokenProtection.Encrypt0, false);
        AccessTokenFile captured = await TokenFromAs("lamp");
        AccessTokenFile mine = await TokenFromAs("lamp");

        // A relay that captured someone's token uses it as identity with a key of its own: the handshake fails.
        var forged = new AccessTokenFile(captured.AccessToken, [], []) { Profile = AceProfile.CoapDtls, PskKid = captured.PskKid, Psk = mine.Psk };
        using var thief = new AceDtlsClient(forged, rs.Secure, new AceDtlsClientOptions { IdentityForm = DtlsPskIdentityForm.Token, Coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(5) } });
        await Assert.ThrowsAnyAsync<Exception>(() => thief.SendAsync(new CoapRequest(CoapCode.Get, new Uri(rs.Secure, "/temp"))));
        Assert.Equal(1, rs.IdentitiesAccepted); // the server took the identity, the Finished did not verify
    }

    [Fact]
    public async Task An_update_from_the_as_is_posted_over_the_session_without_a_new_handshake()
    {
        using TestDtlsResourceServer rs = Register("lamp", TokenProtection.Encrypt0, false);
        AccessTokenFile token = await TokenFromAs("lamp");
        using var client = new AceDtlsClient(token, rs.Secure, new AceDtlsClientOptions { Coap = Quick });
        Assert.Equal(CoapCode.Content, (await client.SendAsync(new CoapRequest(CoapCode.Get, new Uri(rs.Secure, "/temp")))).Code);
        AccessTokenFile update = await TokenFromAs("lamp", token.PskKid);
        Assert.Null(update.Psk);
        await client.UpdateTokenAsync(update.AccessToken);
        Assert.Equal(1, rs.Updates);
        Assert.Equal(1, rs.IdentitiesAccepted);
        Assert.Equal(CoapCode.Content, (await client.SendAsync(new CoapRequest(CoapCode.Get, new Uri(rs.Secure, "/temp")))).Code);

        // An update is never taken over plain CoAP: it carries no key, so it must come over the session with that key.
        using var plain = new CoapClient(Quick);
        CoapResponse r = await plain.SendAsync(new CoapRequest(CoapCode.Post, new Uri(rs.Plain, "/authz-info")) { Payload = AuthzInfoRequest.Encode(update.AccessToken, null!, null!), ContentFormat = CoapContentFormat.AceCbor });
        Assert.Equal(CoapCode.Unauthorized, r.Code);
    }

    private TestDtlsResourceServer Register(string audience, TokenProtection protection, bool derive)
    {
        ResourceServerRecord record = _bed.Registry.AddResourceServer(audience, protection, dtls: new ResourceServerDtls([AceProfile.CoapDtls], derive));
        _bed.Registry.Grant("gwd", audience, AccessScope.Parse(AifGrant));
        return new TestDtlsResourceServer(record, "coap://as.example");
    }

    private async Task<AccessTokenFile> TokenFromAs(string audience, byte[]? updateKid = null)
    {
        byte[] body = updateKid == null
            ? TokenRequest(audience)
            : TokenRequest(audience, null, (AceParameters.ReqCnf, Encode(w => { w.WriteStartMap(1); w.WriteInt32(3); w.WriteByteString(updateKid); })));
        AceResponse r = await _bed.Server.Token.HandleAsync(Gwd, body);
        Assert.True(r.Error == null, r.Description);
        Assert.True(AceTokenResponse.TryParse(r.Payload, audience, out AceTokenResponse? parsed, out string error), error);
        Assert.Equal(AceProfile.CoapDtls, parsed!.Token.Profile);
        return parsed.Token;
    }
}
