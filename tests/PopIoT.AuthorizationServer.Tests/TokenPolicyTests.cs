using PopIoT.Core.Ace;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Cose;
using AceParameters = PopIoT.Core.Ace.AceParameters;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Crypto;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>Issuance rules and the RFC 9200 §5.8.3 errors, through the token endpoint in process.</summary>
public abstract class TokenPolicyTests(StoreKind kind) : IDisposable
{
    private static readonly AcePeer Gw1 = new(false, "gw1");
    private readonly Lazy<AceTestBed> _lazyBed = new(() => new AceTestBed(kind));

    private AceTestBed Bed => _lazyBed.Value;

    public void Dispose()
    {
        if (_lazyBed.IsValueCreated)
        {
            _lazyBed.Value.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    private Task<AceResponse> Ask(byte[] body, AcePeer? peer = null) => Bed.Server.Token.HandleAsync(peer ?? Gw1, body);

    private static void AssertError(AceResponse r, int code, string descriptionPart)
    {
        Assert.Equal(code, r.Error);
        Assert.Contains(descriptionPart, r.Description, StringComparison.Ordinal);
        var map = Map(r.Payload);
        Assert.Equal((int)code, Int(map[AceParameters.Error]));
        Assert.Equal(r.Description, Text(map[AceParameters.ErrorDescription]));
    }

    [SkippableFact]
    public async Task Scope_beyond_the_grant_is_narrowed_per_path_by_and_of_method_bits_and_said_in_the_response()
    {
        // Asked: GET|PUT on /temp, GET on /door; granted: GET on /temp, GET|PUT on /led.
        AceResponse r = await Ask(TokenRequest("temp1", AccessScope.Parse("""[["/temp",5],["/door",1]]""").Encode()));
        Assert.Null(r.Error);
        var map = Map(r.Payload);
        Assert.Equal(AccessScope.Parse("""[["/temp",1]]"""), AccessScope.Decode(map[AceParameters.Scope]));
        Assert.Equal(AccessScope.Parse("""[["/temp",1]]""").Encode(), Bed.Store.ListTokens().Single().Scope);
    }

    [SkippableFact]
    public async Task Text_scope_is_narrowed_to_the_granted_tokens()
    {
        AceResponse r = await Ask(TokenRequest("enc1", AccessScope.Parse("read admin").Encode()));
        Assert.Null(r.Error);
        Assert.Equal("read", Text(Map(r.Payload)[AceParameters.Scope]));
    }

    [SkippableFact]
    public async Task Without_a_scope_the_client_gets_its_whole_grant_and_is_told_which()
    {
        AceResponse r = await Ask(TokenRequest("enc1"));
        Assert.Null(r.Error);
        Assert.Equal("read write", Text(Map(r.Payload)[AceParameters.Scope]));
    }

    [SkippableFact]
    public async Task Scope_with_nothing_granted_is_invalid_scope()
    {
        AssertError(await Ask(TokenRequest("temp1", AccessScope.Parse("""[["/door",1]]""").Encode())), AceErrorCode.InvalidScope, "nothing of the requested scope");
        AssertError(await Ask(TokenRequest("temp1", AccessScope.Parse("""[["/led",8]]""").Encode())), AceErrorCode.InvalidScope, "nothing of the requested scope");
        AssertError(await Ask(TokenRequest("enc1", AccessScope.Parse("admin").Encode())), AceErrorCode.InvalidScope, "nothing of the requested scope");
        AssertError(await Ask(TokenRequest("temp1", Encode(w => w.WriteInt32(7)))), AceErrorCode.InvalidScope, "scope must be a text string or an AIF array");
        Assert.Empty(Bed.Store.ListTokens());
    }

    [SkippableFact]
    public async Task An_audience_never_granted_or_unknown_is_unauthorized_client_with_the_same_words()
    {
        AssertError(await Ask(TokenRequest("temp1"), new AcePeer(false, "gw2")), AceErrorCode.UnauthorizedClient, "client 'gw2' is not allowed tokens for audience 'temp1'");
        AssertError(await Ask(TokenRequest("nowhere")), AceErrorCode.UnauthorizedClient, "client 'gw1' is not allowed tokens for audience 'nowhere'");
    }

    [SkippableFact]
    public async Task A_token_larger_than_the_rs_accepts_is_refused_with_the_sizes()
    {
        AceResponse r = await Ask(TokenRequest("tiny"));
        AssertError(r, AceErrorCode.InvalidRequest, "resource server 'tiny' accepts at most 64");
        Assert.Matches("the token would be [0-9]+ bytes", r.Description);
        Assert.Empty(Bed.Store.ListTokens());
    }

    [SkippableFact]
    public async Task A_profile_the_rs_does_not_share_is_incompatible_ace_profiles()
    {
        AssertError(
            await Ask(TokenRequest("temp1", null, (AceParameters.AceProfile, Encode(w => w.WriteInt32(AceProfile.CoapDtls))))),
            AceErrorCode.IncompatibleAceProfiles, "ace_profile coap_dtls is not shared");
    }

    [SkippableFact]
    public async Task A_sign1_rs_gets_an_ES256_Sign1_token_that_its_public_key_verifies()
    {
        ResourceServerRecord sig = Bed.Registry.AddResourceServer("sig1", TokenProtection.Sign1);
        Bed.Registry.Grant("gw1", "sig1", AccessScope.Parse("read"));
        AceResponse r = await Ask(TokenRequest("sig1"));
        Assert.Null(r.Error);
        var map = Map(r.Payload);
        byte[] token = Bytes(map[AceParameters.AccessToken]);
        var osc = Map(Map(map[AceParameters.Cnf])[4]);

        // The RS's key file has the public half only; it verifies the signature and opens the sealed Master Secret.
        Assert.Equal(CoseError.None, CoseKeySet.Decode(AuthorizationServerRegistry.KeysForResourceServer(sig), out IReadOnlyList<CoseKey> keys));
        CoseKey verify = keys.Single(k => k.Algorithm == -7);
        Assert.False(verify.HasPrivateKey);
        using var validator = new CwtValidator(PlatformCryptoProvider.Instance, new TestClock(), "sig1");
        validator.SetSign1Key(verify);
        validator.SetCnfDecryptionKey(keys.Single(k => k.Algorithm == 10));
        using CwtValidationResult v = validator.Validate(token);
        Assert.True(v.IsValid, v.ToString());
        Assert.Equal(PopIoT.Core.Cose.CoseTag.Sign1, v.MessageType);
        byte[] k = new byte[v.Confirmation.SymmetricKeyLength];
        v.Confirmation.CopySymmetricKey(k, 0);
        Assert.Equal(Bytes(osc[2]), k);
        foreach (CoseKey key in keys)
        {
            key.Dispose();
        }
    }

    [SkippableFact]
    public async Task A_mac0_rs_gets_a_Mac0_token_whose_cnf_seals_the_Master_Secret_for_it()
    {
        AceResponse r = await Ask(TokenRequest("mac1"));
        Assert.Null(r.Error);
        var map = Map(r.Payload);
        byte[] token = Bytes(map[AceParameters.AccessToken]);
        var osc = Map(Map(map[AceParameters.Cnf])[4]);

        // The HMAC key verifies the token, the AES-CCM key opens the Encrypted_COSE_Key (RFC 8747 §3.3); the key in it is
        // the Master Secret the client got, and its kid the input material id (RFC 9203 §3.2: never in clear).
        Assert.Equal(CoseError.None, CoseKeySet.Decode(AuthorizationServerRegistry.KeysForResourceServer(Bed.Mac1), out IReadOnlyList<CoseKey> keys));
        Assert.Equal(2, keys.Count);
        using var validator = new CwtValidator(PlatformCryptoProvider.Instance, new TestClock(), "mac1");
        validator.SetMac0Key(keys.Single(k => k.Algorithm == 4));
        validator.SetCnfDecryptionKey(keys.Single(k => k.Algorithm == 10));
        using CwtValidationResult v = validator.Validate(token);
        Assert.True(v.IsValid, v.ToString());
        Assert.Equal(PopIoT.Core.Cose.CoseTag.Mac0, v.MessageType);
        Assert.Equal(CnfMethod.EncryptedCoseKey, v.Confirmation.Method);
        byte[] k = new byte[v.Confirmation.SymmetricKeyLength];
        v.Confirmation.CopySymmetricKey(k, 0);
        Assert.Equal(Bytes(osc[2]), k);
        Assert.Equal(Bytes(osc[0]), v.Confirmation.Buffer.AsSpan(v.Confirmation.KidOffset, v.Confirmation.KidLength).ToArray());
        Assert.DoesNotContain(Convert.ToHexString(k), Convert.ToHexString(token), StringComparison.Ordinal);
        foreach (CoseKey key in keys)
        {
            key.Dispose();
        }
    }

    [SkippableFact]
    public async Task Other_refusals_name_their_reason()
    {
        AssertError(await Ask(TokenRequest("temp1", null, (AceParameters.GrantType, Encode(w => w.WriteInt32(0))))), AceErrorCode.UnsupportedGrantType, "client_credentials (2) only");
        AssertError(await Ask(TokenRequest("temp1", null, (AceParameters.ReqCnf, Encode(w => { w.WriteStartMap(1); w.WriteInt32(1); w.WriteStartMap(0); })))), AceErrorCode.UnsupportedPopKey, "req_cnf method 1 is not supported");
        AssertError(await Ask(TokenRequest("temp1", null, (AceParameters.ReqCnf, Encode(w => { w.WriteStartMap(1); w.WriteInt32(3); w.WriteByteString([1]); })))), AceErrorCode.InvalidRequest, "req_cnf kid does not name OSCORE Input Material issued to client 'gw1'");
        AssertError(await Ask(TokenRequest("temp1", null, (AceParameters.ClientId, Encode(w => w.WriteTextString("gw2"))))), AceErrorCode.InvalidClient, "client_id does not match");
        AssertError(await Ask(TokenRequest(null)), AceErrorCode.InvalidRequest, "audience (5) is missing");
        AssertError(await Ask([0xa1, 0x05]), AceErrorCode.InvalidRequest, "not well-formed CBOR");
        AssertError(await Ask([]), AceErrorCode.InvalidRequest, "no payload");
        AssertError(await Ask([0x80]), AceErrorCode.InvalidRequest, "must be a CBOR map");
        AssertError(await Ask([0xa2, 0x05, 0x61, 0x61, 0x05, 0x61, 0x62]), AceErrorCode.InvalidRequest, "parameter 5 appears twice");
        AceResponse anonymous = await Bed.Server.Token.HandleAsync(null, TokenRequest("temp1"));
        AssertError(anonymous, AceErrorCode.InvalidClient, "must be protected with OSCORE");
        Assert.Equal(Core.Coap.CoapCode.Unauthorized, anonymous.Code);
        AssertError(await Bed.Server.Token.HandleAsync(new AcePeer(true, "temp1"), TokenRequest("temp1")), AceErrorCode.InvalidClient, "is not a registered client");
        Assert.Equal(Core.Coap.CoapCode.BadRequest, (await Ask(TokenRequest(null))).Code);
    }

    [SkippableFact]
    public async Task A_clockless_rs_gets_exi_and_cti_and_no_exp_and_cnonce_is_copied()
    {
        AceResponse r = await Ask(TokenRequest("enc1", null, (AceParameters.Cnonce, Encode(w => w.WriteByteString([9, 8, 7])))));
        Assert.Null(r.Error);
        byte[] token = Bytes(Map(r.Payload)[AceParameters.AccessToken]);
        using CoseKey key = Key(Bed.Enc1);
        using var validator = new CwtValidator(PlatformCryptoProvider.Instance, CwtNoClock.Instance, "enc1");
        validator.SetEncrypt0Key(key);
        using CwtValidationResult v = validator.Validate(token);
        Assert.True(v.IsValid, v.ToString());
        Assert.Equal(3600, v.Claims.Exi);
        Assert.False(v.Claims.Has(CwtClaimKey.Exp));
        Assert.True(v.Claims.Has(CwtClaimKey.Cti));
        Assert.Equal(new byte[] { 9, 8, 7 }, v.Claims.GetCnonce());
        var stored = Bed.Store.ListTokens().Single();
        Assert.Null(stored.Exp);
        Assert.Equal(3600, stored.Exi);
    }

    [SkippableFact]
    public async Task Every_token_has_a_fresh_key_and_cti()
    {
        var keys = new HashSet<string>();
        var ctis = new HashSet<string>();
        for (int i = 0; i < 20; i++)
        {
            var map = Map((await Ask(TokenRequest("temp1"))).Payload);
            keys.Add(Convert.ToHexString(Bytes(Map(Map(map[AceParameters.Cnf])[4])[2])));
        }

        foreach (var t in Bed.Store.ListTokens())
        {
            ctis.Add(Convert.ToHexString(t.Cti));
        }

        Assert.Equal(20, keys.Count);
        Assert.Equal(20, ctis.Count);
    }

    [SkippableFact]
    public async Task Introspection_of_another_rs_token_or_an_expired_one_is_inactive()
    {
        AceResponse issued = await Ask(TokenRequest("temp1"));
        byte[] token = Bytes(Map(issued.Payload)[AceParameters.AccessToken]);
        AceResponse mine = Bed.Server.Introspection.Handle(new AcePeer(true, "temp1"), IntrospectionRequest(token));
        Assert.Equal([0xf5], Map(mine.Payload)[AceParameters.Active]);
        AceResponse other = Bed.Server.Introspection.Handle(new AcePeer(true, "enc1"), IntrospectionRequest(token));
        Assert.Equal(new byte[] { 0xa1, 0x0a, 0xf4 }, other.Payload);

        var late = new Endpoints.IntrospectionEndpoint(Bed.Store, new ShiftedTime(TimeSpan.FromSeconds(3601)));
        Assert.Equal(new byte[] { 0xa1, 0x0a, 0xf4 }, late.Handle(new AcePeer(true, "temp1"), IntrospectionRequest(token)).Payload);
        AceResponse bad = Bed.Server.Introspection.Handle(new AcePeer(true, "temp1"), [0xa1, 0x0b, 0x01]);
        Assert.Equal(AceErrorCode.InvalidRequest, bad.Error);
        Assert.Equal("token (11) must be a byte string", bad.Description);
    }

    [SkippableFact]
    public async Task An_update_of_access_rights_binds_the_new_token_to_the_same_input_material_by_kid()
    {
        AceResponse first = await Ask(TokenRequest("temp1", AccessScope.Parse("""[["/temp",1]]""").Encode()));
        byte[] id = Bytes(Map(Map(Map(first.Payload)[AceParameters.Cnf])[4])[0]);
        byte[] reqCnf = Encode(w => { w.WriteStartMap(1); w.WriteInt32(3); w.WriteByteString(id); });

        // RFC 9203 §3.1, §3.2: same id, new scope; the response has no cnf and the token's cnf is { kid: id }.
        AceResponse update = await Ask(TokenRequest("temp1", AccessScope.Parse("""[["/temp",1],["/led",4]]""").Encode(), (AceParameters.ReqCnf, reqCnf)));
        Assert.Null(update.Error);
        var map = Map(update.Payload);
        Assert.False(map.ContainsKey(AceParameters.Cnf));
        using CoseKey key = Key(Bed.Temp1);
        using var validator = new CwtValidator(PlatformCryptoProvider.Instance, new TestClock(), "temp1");
        validator.SetEncrypt0Key(key);
        using CwtValidationResult v = validator.Validate(Bytes(map[AceParameters.AccessToken]));
        Assert.True(v.IsValid, v.ToString());
        Assert.Equal(CnfMethod.Kid, v.Confirmation.Method);
        Assert.Equal(id, v.Confirmation.Buffer.AsSpan(v.Confirmation.KidOffset, v.Confirmation.KidLength).ToArray());

        // Another client may not use that id, nor may anyone after the original token is revoked.
        Bed.Registry.Grant("gw2", "temp1", AccessScope.Parse("""[["/temp",1]]"""));
        AssertError(await Ask(TokenRequest("temp1", null, (AceParameters.ReqCnf, reqCnf)), new AcePeer(false, "gw2")), AceErrorCode.InvalidRequest, "req_cnf kid does not name");
        Assert.True(Bed.Store.RevokeToken(Bed.Store.ListTokens()[0].Cti));
        Assert.True(Bed.Store.RevokeToken(Bed.Store.ListTokens()[1].Cti));
        AssertError(await Ask(TokenRequest("temp1", null, (AceParameters.ReqCnf, reqCnf))), AceErrorCode.InvalidRequest, "req_cnf kid does not name");
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}

/// <summary>The suite on SQLite.</summary>
public sealed class TokenPolicyTestsOnSqlite() : TokenPolicyTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class TokenPolicyTestsOnPostgres() : TokenPolicyTests(StoreKind.Postgres);
