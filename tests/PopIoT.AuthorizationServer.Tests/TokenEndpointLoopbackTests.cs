using PopIoT.Core.Ace;
using PopIoT.Ace;
using AceParameters = PopIoT.Core.Ace.AceParameters;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>The AS over UDP loopback with our CoapClient and OSCORE (RFC 9200 §5.8, §5.9; RFC 9203 §3, §5).</summary>
public abstract class TokenEndpointLoopbackTests(StoreKind kind) : IDisposable
{
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

    [SkippableFact]
    public async Task Registered_client_gets_a_token_that_verifies_under_the_rs_key_and_introspects_active_until_revoked()
    {
        Uri asUri = Bed.Start();
        using SecurityContext gw1 = PeerContext(Bed.Gw1.Credential);
        await using CoapClient client = Client(gw1);
        byte[] scope = AccessScope.Parse("""[["/temp",1]]""").Encode();
        CoapResponse r = await Post(client, asUri, "/token", TokenRequest("temp1", scope, (AceParameters.AceProfile, [0xf6])));

        Assert.Equal(CoapCode.Created, r.Code);
        Assert.Equal(CoapContentFormat.AceCbor, r.ContentFormat);
        var map = Map(r.Payload);
        byte[] token = Bytes(map[AceParameters.AccessToken]);
        Assert.Equal(AceProfile.CoapOscore, Int(map[AceParameters.AceProfile]));
        Assert.Equal(3600, Int(map[AceParameters.ExpiresIn]));
        Assert.False(map.ContainsKey(AceParameters.Scope)); // granted as asked: not narrowed, so not repeated

        // The RS's view (RFC 9200 §5.10.1.1): Encrypt0 under the AS–RS key (RFC 9203 §3.2), aud, scope, exp, cnf osc, ace_profile.
        using CoseKey rsKey = Key(Bed.Temp1);
        using var validator = new CwtValidator(PlatformCryptoProvider.Instance, new TestClock(), "temp1");
        validator.SetEncrypt0Key(rsKey);
        using CwtValidationResult v = validator.Validate(token);
        Assert.True(v.IsValid, v.ToString());
        Assert.Equal(CoseTag.Encrypt0, v.MessageType);
        Assert.Equal(10, v.Algorithm); // AES-CCM-16-64-128
        Assert.Equal("temp1", v.Claims.GetAudience(0));
        Assert.Equal(AceProfile.CoapOscore, v.Claims.AceProfile);
        Assert.True(v.Claims.Expiration > DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3500);
        Assert.Equal(8, v.Claims.GetCti().Length);
        Assert.Equal(scope, v.Claims.Buffer.AsSpan(v.Claims.ScopeOffset, v.Claims.ScopeLength).ToArray());
        Assert.Equal(CnfMethod.OscoreInputMaterial, v.Confirmation.Method);
        Assert.Equal(16, v.Confirmation.Oscore.MasterSecretLength);
        Assert.Equal(8, v.Confirmation.Oscore.IdLength);

        // The client got the same OSCORE_Input_Material (RFC 9203 §3.2).
        var cnf = Map(map[AceParameters.Cnf]);
        var osc = Map(cnf[4]);
        Assert.Equal(v.Confirmation.Oscore.Buffer.AsSpan(v.Confirmation.Oscore.MasterSecretOffset, 16).ToArray(), Bytes(osc[2]));

        // Introspection by the RS with its own context: active, then revoked.
        using SecurityContext rs = PeerContext(Bed.Temp1.Credential!);
        await using CoapClient rsClient = Client(rs);
        CoapResponse i1 = await Post(rsClient, asUri, "/introspect", IntrospectionRequest(token));
        Assert.Equal(CoapCode.Created, i1.Code);
        var active = Map(i1.Payload);
        Assert.Equal([0xf5], active[AceParameters.Active]);
        Assert.Equal("temp1", Text(active[AceParameters.IntrospectAud]));
        Assert.Equal("gw1", Text(active[AceParameters.ClientId]));
        Assert.Equal(v.Claims.GetCti(), Bytes(active[AceParameters.IntrospectCti]));
        Assert.Equal(scope, active[AceParameters.Scope]);
        Assert.Equal(v.Claims.Expiration, Int(active[AceParameters.IntrospectExp]));
        Assert.Equal(map[AceParameters.Cnf], active[AceParameters.Cnf]);

        Assert.True(Bed.Store.RevokeToken(v.Claims.GetCti()));
        CoapResponse i2 = await Post(rsClient, asUri, "/introspect", IntrospectionRequest(token));
        Assert.Equal(CoapCode.Created, i2.Code);
        Assert.Equal(new byte[] { 0xa1, 0x0a, 0xf4 }, i2.Payload.ToArray()); // { active: false }

        // Unknown bytes are inactive too.
        CoapResponse i3 = await Post(rsClient, asUri, "/introspect", IntrospectionRequest([1, 2, 3]));
        Assert.Equal(new byte[] { 0xa1, 0x0a, 0xf4 }, i3.Payload.ToArray());
    }

    [SkippableFact]
    public async Task Without_oscore_the_token_endpoint_answers_4_01_invalid_client_and_issues_nothing()
    {
        Uri asUri = Bed.Start();
        await using CoapClient plain = Client(null);
        CoapResponse r = await Post(plain, asUri, "/token", TokenRequest("temp1"));
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        Assert.Equal(CoapContentFormat.AceCbor, r.ContentFormat);
        var map = Map(r.Payload);
        Assert.Equal((int)AceErrorCode.InvalidClient, Int(map[AceParameters.Error]));
        Assert.Contains("OSCORE", Text(map[AceParameters.ErrorDescription]), StringComparison.Ordinal);
        Assert.Empty(Bed.Store.ListTokens());
    }

    [SkippableFact]
    public async Task A_wrong_master_secret_is_refused_by_oscore_before_the_endpoint_and_issues_nothing()
    {
        // RFC 8613 §8.2 step 6: the request does not decrypt under gw1's context, 4.00 "Decryption failed"; it never
        // reaches /token, so no identity is established and nothing is issued.
        await AssertWrongKeyRefused(Bed.Start(), Bed.Gw1.Credential, "/token", TokenRequest("temp1"));
        Assert.Empty(Bed.Store.ListTokens());
    }

    [SkippableFact]
    public async Task An_unregistered_oscore_sender_gets_4_01_security_context_not_found()
    {
        Uri asUri = Bed.Start();
        var stranger = new Storage.OscoreCredential([], [0xee, 0xee, 0xee, 0xee], new byte[16], new byte[8], 10);
        using SecurityContext ctx = PeerContext(stranger);
        await using CoapClient client = Client(ctx);
        CoapResponse r = await Post(client, asUri, "/token", TokenRequest("temp1"));
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        Assert.Equal("Security context not found", r.PayloadText);
        Assert.Empty(Bed.Store.ListTokens());
    }

    [SkippableFact]
    public async Task An_rs_introspecting_with_a_wrong_credential_learns_nothing()
    {
        Uri asUri = Bed.Start();
        await AssertWrongKeyRefused(asUri, Bed.Temp1.Credential!, "/introspect", IntrospectionRequest([1, 2, 3]));

        // Without OSCORE: invalid_client in an ACE error map.
        await using CoapClient plain = Client(null);
        CoapResponse p = await Post(plain, asUri, "/introspect", IntrospectionRequest([1, 2, 3]));
        Assert.Equal(CoapCode.Unauthorized, p.Code);
        Assert.Equal((int)AceErrorCode.InvalidClient, Int(Map(p.Payload)[AceParameters.Error]));

        // A client's valid context may not introspect.
        using SecurityContext gw1 = PeerContext(Bed.Gw1.Credential);
        await using CoapClient c = Client(gw1);
        CoapResponse q = await Post(c, asUri, "/introspect", IntrospectionRequest([1, 2, 3]));
        Assert.Equal(CoapCode.Unauthorized, q.Code);
        Assert.Contains("only registered resource servers", Text(Map(q.Payload)[AceParameters.ErrorDescription]), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Refusals_over_the_wire_carry_the_error_map_under_oscore()
    {
        Uri asUri = Bed.Start();
        using SecurityContext gw2 = PeerContext(Bed.Gw2.Credential);
        await using CoapClient client = Client(gw2);
        CoapResponse r = await Post(client, asUri, "/token", TokenRequest("temp1"));
        Assert.Equal(CoapCode.BadRequest, r.Code);
        var map = Map(r.Payload);
        Assert.Equal((int)AceErrorCode.UnauthorizedClient, Int(map[AceParameters.Error]));
        Assert.Equal("client 'gw2' is not allowed tokens for audience 'temp1'", Text(map[AceParameters.ErrorDescription]));

        CoapResponse wrongFormat = await client.SendAsync(new CoapRequest(CoapCode.Post, new Uri(asUri, "/token")) { Payload = TokenRequest("temp1"), ContentFormat = 60 });
        Assert.Equal((int)AceErrorCode.InvalidRequest, Int(Map(wrongFormat.Payload)[AceParameters.Error]));
    }

    private static async Task AssertWrongKeyRefused(Uri asUri, Storage.OscoreCredential credential, string path, byte[] body)
    {
        byte[] wrong = (byte[])credential.MasterSecret.Clone();
        wrong[5] ^= 0x80;
        using SecurityContext forged = PeerContext(credential, wrong);
        await using CoapClient client = Client(forged);
        CoapResponse r = await Post(client, asUri, path, body);
        Assert.Equal(CoapCode.BadRequest, r.Code);
        Assert.Equal("Decryption failed", r.PayloadText);
    }
}

/// <summary>The suite on SQLite.</summary>
public sealed class TokenEndpointLoopbackTestsOnSqlite() : TokenEndpointLoopbackTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class TokenEndpointLoopbackTestsOnPostgres() : TokenEndpointLoopbackTests(StoreKind.Postgres);
