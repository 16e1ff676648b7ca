using System.Net;
using System.Net.Sockets;
using PopIoT.Ace;
using PopIoT.Core.Cose;
using PopIoT.Cose;
using PopIoT.AuthorizationServer.Endpoints;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Device;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// End to end over UDP loopback: the AS, two devices and the gateway's <see cref="AceClient"/>, one test per
/// flow of <c>popiot demo</c>. Each rejection is checked for its reason, on the device's decision log or the error map.
/// </summary>
public abstract class GatewayEndToEndTests(StoreKind kind)
{
    [SkippableFact]
    public async Task The_gateway_follows_the_creation_hints_gets_a_token_posts_it_and_reads_over_OSCORE()
    {
        using var world = new GatewayWorld(kind);
        AceClient gw = world.Gateway();

        CoapResponse r = await gw.GetAsync(new Uri(world.BaseA, "/temp"));

        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Contains(world.Sent, s => s.To.Port == world.BaseA.Port && IsOscore(s.Datagram));
        Assert.Equal(1, gw.TokenRequests);
        AceClientEventKind[] steps = world.Events.Select(e => e.Kind).ToArray();
        Assert.Equal([AceClientEventKind.HintsReceived, AceClientEventKind.TokenRequested, AceClientEventKind.TokenIssued, AceClientEventKind.TokenPosted], steps);
        Assert.Equal(GatewayWorld.AudienceA, world.Events.First().Audience);
        Assert.Contains(world.DeviceA.Decisions, d => d.Kind == AceDecisionKind.TokenStored);
        Assert.Contains(world.DeviceA.Decisions, d => d.Kind == AceDecisionKind.RequestAllowed && d.Path == "/temp");

        // The token is stored by the AS before it answered, and a second request needs no new token.
        Assert.Single(world.Store.ListTokens());
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(world.BaseA, "/led"))).Code);
        Assert.Equal(1, gw.TokenRequests);
    }

    [SkippableTheory]
    [InlineData(TokenProtection.Mac0)]
    [InlineData(TokenProtection.Sign1)]
    public async Task A_mac0_or_sign1_device_takes_the_AS_token_with_its_sealed_Master_Secret(TokenProtection protection)
    {
        using var world = new GatewayWorld(kind, protectionA: protection);
        AceClient gw = world.Gateway();

        CoapResponse r = await gw.GetAsync(new Uri(world.BaseA, "/temp"));

        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Contains(world.DeviceA.Decisions, d => d.Kind == AceDecisionKind.TokenStored);
        Assert.Equal(protection, world.RsA.Protection);

        // A sign1 device holds only the public half of the AS's signing key.
        Assert.Equal(CoseError.None, CoseKeySet.Decode(AuthorizationServerRegistry.KeysForResourceServer(world.RsA), out IReadOnlyList<CoseKey> keys));
        Assert.All(keys, k => Assert.True(k.KeyType == CoseKeyType.Symmetric || !k.HasPrivateKey));
    }

    [SkippableFact]
    public async Task A_PUT_of_a_resource_the_scope_grants_only_GET_on_is_refused_with_4_05()
    {
        using var world = new GatewayWorld(kind);
        AceClient gw = world.Gateway();

        CoapResponse r = await gw.PutAsync(new Uri(world.BaseA, "/led"), "1"u8.ToArray());

        Assert.Equal(CoapCode.MethodNotAllowed, r.Code);
        Assert.False(world.DeviceA.Led);
        SecurityDecision d = world.DeviceA.Decisions.Last(x => x.Kind == AceDecisionKind.RequestDenied);
        Assert.Equal(AceRsError.MethodNotInScope, d.Reason);
        Assert.Equal("/led", d.Path);
    }

    [SkippableFact]
    public async Task A_replayed_protected_request_is_rejected_by_the_device_as_a_replay()
    {
        using var world = new GatewayWorld(kind);
        AceClient gw = world.Gateway();
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(world.BaseA, "/temp"))).Code);
        byte[] captured = world.Sent.Where(s => s.To.Port == world.BaseA.Port && IsOscore(s.Datagram)).Last().Datagram;

        // An attacker resends the captured datagram from its own socket, with a fresh Message ID so it is not a duplicate.
        captured[2] ^= 0x5a;
        using var attacker = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await attacker.SendAsync(captured, new IPEndPoint(IPAddress.Loopback, world.BaseA.Port));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        UdpReceiveResult answer = await attacker.ReceiveAsync(cts.Token);

        Assert.Equal(CoapCode.Unauthorized, answer.Buffer[1]);
        Assert.Contains(world.DeviceA.Decisions, d => d.Reason == AceRsError.Replay);
    }

    [SkippableFact]
    public async Task A_tampered_token_is_rejected_at_authz_info_for_its_verification()
    {
        using var world = new GatewayWorld(kind);
        AceClient gw = world.Gateway();
        AceTokenResponse issued = await gw.RequestTokenAsync(GatewayWorld.AudienceA, null, null);
        byte[] token = (byte[])issued.Token.AccessToken.Clone();
        token[token.Length - 3] ^= 0x01;
        var forged = new AccessTokenFile(token, issued.Token.MasterSecret, issued.Token.InputMaterialId)
        {
            Salt = issued.Token.Salt,
            ContextId = issued.Token.ContextId,
        };

        using var client = new AceOscoreClient(forged, world.BaseA, new AceOscoreClientOptions { Coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(30) } });
        AceTokenRejectedException e = await Assert.ThrowsAsync<AceTokenRejectedException>(() => client.PostTokenAsync());

        Assert.Equal(CoapCode.Unauthorized, e.Response.Code);
        Assert.Equal(AceRsError.TokenVerificationFailed, world.DeviceA.Decisions.Last(d => d.Kind == AceDecisionKind.TokenRejected).Reason);
    }

    [SkippableFact]
    public async Task A_token_for_device_A_is_refused_by_device_B_which_cannot_verify_it()
    {
        using var world = new GatewayWorld(kind);
        AceClient gw = world.Gateway();
        AceTokenResponse forA = await gw.RequestTokenAsync(GatewayWorld.AudienceA, null, null);

        using var client = new AceOscoreClient(forA.Token, world.BaseB, new AceOscoreClientOptions { Coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(30) } });
        AceTokenRejectedException e = await Assert.ThrowsAsync<AceTokenRejectedException>(() => client.PostTokenAsync());

        Assert.Equal(CoapCode.Unauthorized, e.Response.Code);
        // One AS–RS key per RS (DESIGN.md §2, token redirect): B cannot even open A's Encrypt0 token.
        Assert.Equal(AceRsError.TokenVerificationFailed, world.DeviceB.Decisions.Last(d => d.Kind == AceDecisionKind.TokenRejected).Reason);
        Assert.DoesNotContain(world.DeviceB.Decisions, d => d.Kind == AceDecisionKind.TokenStored);
    }

    [SkippableFact]
    public async Task A_token_near_its_expiry_is_replaced_before_use_and_requests_keep_working()
    {
        using var world = new GatewayWorld(kind, tokenLifetimeSeconds: 60);
        AceClient gw = world.Gateway();
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(world.BaseA, "/temp"))).Code);

        // 55 s of 60: inside the last tenth, so the gateway fetches and posts a new token before the request.
        world.Clock.Advance(TimeSpan.FromSeconds(55));
        CoapResponse r = await gw.GetAsync(new Uri(world.BaseA, "/temp"));

        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Equal(2, gw.TokenRequests);
        Assert.Contains(world.Events, e => e.Kind == AceClientEventKind.TokenRefreshed);
        Assert.Equal(2, world.Store.ListTokens().Count);
        Assert.Equal(2, world.DeviceA.Decisions.Count(d => d.Kind == AceDecisionKind.TokenStored));
    }

    [SkippableFact]
    public async Task A_token_the_device_finds_expired_is_replaced_and_the_request_retried()
    {
        using var world = new GatewayWorld(kind, tokenLifetimeSeconds: 60);

        // The gateway's clock stands still, so it believes the token fresh; the device's clock says it expired.
        var frozen = new TestClock();
        AceClient gw = world.Gateway(frozen, refreshFraction: 0, minimumMargin: TimeSpan.Zero);
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(world.BaseA, "/temp"))).Code);
        world.Clock.Advance(TimeSpan.FromSeconds(120));

        CoapResponse r = await gw.GetAsync(new Uri(world.BaseA, "/temp"));

        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Equal(2, gw.TokenRequests);
        Assert.Contains(world.DeviceA.Decisions, d => d.Reason is AceRsError.TokenExpiredAtAccess or AceRsError.TokenExpired);
    }

    [SkippableFact]
    public async Task A_revoked_token_shows_inactive_through_introspection_by_the_resource_server()
    {
        using var world = new GatewayWorld(kind);
        AceClient gw = world.Gateway();
        AceTokenResponse issued = await gw.RequestTokenAsync(GatewayWorld.AudienceA, null, null);
        using var rs = new AceIntrospectionClient(AceCredentialFile.Load(world.RsACredential), new CoapClientOptions { Timeout = TimeSpan.FromSeconds(30) });

        AceIntrospection before = await rs.IntrospectAsync(issued.Token.AccessToken);
        Assert.True(before.Active);
        Assert.Equal(GatewayWorld.AudienceA, before.Audience);
        Assert.Equal("gw", before.ClientId);

        Assert.True(world.Store.RevokeToken(before.Cti!));
        AceIntrospection after = await rs.IntrospectAsync(issued.Token.AccessToken);

        Assert.False(after.Active);
    }

    [SkippableFact]
    public async Task Many_sensors_at_once_share_one_token_per_audience()
    {
        using var world = new GatewayWorld(kind);
        AceClient gw = world.Gateway();

        Task<CoapResponse>[] all = Enumerable.Range(0, 40)
            .Select(i => gw.GetAsync(new Uri(i % 2 == 0 ? world.BaseA : world.BaseB, "/temp")))
            .ToArray();
        CoapResponse[] responses = await Task.WhenAll(all);

        Assert.All(responses, r => Assert.Equal(CoapCode.Content, r.Code));
        Assert.Equal(2, gw.TokenRequests);
        Assert.Equal(1, world.DeviceA.Decisions.Count(d => d.Kind == AceDecisionKind.TokenStored));
        Assert.Equal(1, world.DeviceB.Decisions.Count(d => d.Kind == AceDecisionKind.TokenStored));
    }

    [SkippableFact]
    public async Task A_device_without_a_clock_takes_the_AS_exi_tokens_whose_cti_counts_per_device()
    {
        using var world = new GatewayWorld(kind, clocklessB: true);
        AceClient gw = world.Gateway();

        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(world.BaseB, "/temp"))).Code);
        world.Clock.Advance(TimeSpan.FromSeconds(3601));
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(world.BaseB, "/temp"))).Code);

        // RFC 9200 §5.10.3: exi instead of exp, and cti = the RS's identifier followed by the AS's sequence number for it
        // (ExiCti: 6 bytes; the first the AS clock in ms, then exactly one more each time, however much time passed).
        IssuedTokenRecord[] tokens = world.Store.ListTokens().OrderBy(t => t.IssuedAt).ToArray();
        Assert.Equal(2, tokens.Length);
        Assert.All(tokens, t => Assert.NotNull(t.Exi));
        Assert.All(tokens, t => Assert.Equal("sensor-b"u8.ToArray(), t.Cti[..8]));
        long[] numbers = tokens.Select(t => ExiCti.SequenceOf(t.Cti, "sensor-b")).ToArray();
        Assert.All(tokens, t => Assert.Equal(14, t.Cti.Length));
        Assert.True(numbers[0] >= tokens[0].IssuedAt * 1000, "the sequence starts at the AS clock in ms");
        Assert.Equal(numbers[0] + 1, numbers[1]);
        Assert.Equal(2, world.DeviceB.Decisions.Count(d => d.Kind == AceDecisionKind.TokenStored));
    }

    [SkippableFact]
    public async Task A_clockless_device_takes_AS_and_cli_minted_exi_tokens_that_share_one_gapless_sequence_through_the_database()
    {
        using var world = new GatewayWorld(kind, clocklessB: true);
        string dir = Directory.CreateTempSubdirectory("popiot-cti-").FullName;
        try
        {
            // The AS's first token for sensor-b.
            AceClient gw = world.Gateway();
            Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(world.BaseB, "/temp"))).Code);

            // `popiot token mint --exi --db` with the AS's own key for sensor-b, posted by `popiot coap get`: it takes
            // the next number of the AS's sequence.
            string key = Path.Combine(dir, "as-b.key");
            File.WriteAllText(key, Convert.ToHexStringLower(world.RsB.CoseKey));
            string tokenFile = Path.Combine(dir, "token.json");
            CliRunner.Result mint = CliRunner.Run("token", "mint", "--as-key", "@" + key, "--audience", GatewayWorld.AudienceB, "--scope", "read", "--exi", "30", "--db", world.Db, "--out", tokenFile);
            Assert.True(mint.ExitCode == 0, mint.Error);
            CliRunner.Result get = CliRunner.Run("coap", "get", new Uri(world.BaseB, "/temp").ToString(), "--token", tokenFile, "-B", "10");
            Assert.True(get.ExitCode == 0, get.Out + get.Error);

            // Both tokens run out; the device burns their numbers (RFC 9200 §5.10.3). The AS's next token is the next number.
            world.Clock.Advance(TimeSpan.FromSeconds(3601));
            Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(world.BaseB, "/temp"))).Code);
            Assert.DoesNotContain(world.DeviceB.Decisions, d => d.Kind == AceDecisionKind.TokenRejected);
            Assert.Equal(3, world.DeviceB.Decisions.Count(d => d.Kind == AceDecisionKind.TokenStored));

            // One sequence, no gap: AS n, CLI n + 1, AS n + 2; the CLI's token is in the database under its own client id.
            IssuedTokenRecord[] tokens = [.. world.Store.QueryTokens(new TokenQuery(Audience: GatewayWorld.AudienceB)).OrderBy(t => ExiCti.SequenceOf(t.Cti, GatewayWorld.AudienceB))];
            long[] numbers = tokens.Select(t => ExiCti.SequenceOf(t.Cti, GatewayWorld.AudienceB)).ToArray();
            Assert.Equal([numbers[0], numbers[0] + 1, numbers[0] + 2], numbers);
            Assert.Equal(["gw", HandMintedExiToken.ClientId, "gw"], tokens.Select(t => t.ClientId));
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(AccessTokenFile.Load(tokenFile).AccessToken), tokens[1].TokenHash);
            Assert.True(world.Store.TryLoadExiSequence(GatewayWorld.AudienceB, out long last));
            Assert.Equal(numbers[2], last);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [SkippableFact]
    public async Task Hints_that_name_another_AS_are_not_followed()
    {
        using var world = new GatewayWorld(kind, hintedAs: "coap://as.elsewhere.example/token");
        AceClient gw = world.Gateway();

        CoapException e = await Assert.ThrowsAsync<CoapException>(() => gw.GetAsync(new Uri(world.BaseA, "/temp")));

        Assert.Contains("as.elsewhere.example", e.Message);
        Assert.Equal(0, gw.TokenRequests);
    }

    [SkippableFact]
    public async Task An_unprotected_resource_is_read_without_a_token()
    {
        using var world = new GatewayWorld(kind);
        AceClient gw = world.Gateway();

        CoapResponse r = await gw.GetAsync(new Uri(world.BaseA, "/hello"));

        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Equal(0, gw.TokenRequests);
    }

    [SkippableFact]
    public async Task A_client_the_AS_granted_nothing_for_an_audience_gets_the_AS_error()
    {
        using var world = new GatewayWorld(kind);
        AceClient gw = world.Gateway();

        AceAuthorizationException e = await Assert.ThrowsAsync<AceAuthorizationException>(() => gw.RequestTokenAsync("sensor-unknown", null, null));

        Assert.Equal(CoapCode.BadRequest, e.Response.Code);
        Assert.NotEqual(0, e.AceError);
        Assert.False(string.IsNullOrEmpty(e.Description));
    }

    private static bool IsOscore(byte[] datagram)
    {
        var m = new CoapMessage();
        return m.Parse(datagram, 0, datagram.Length) == CoapParseError.None && m.HasOption(CoapOptionNumber.Oscore);
    }
}

/// <summary>The suite on SQLite.</summary>
public sealed class GatewayEndToEndTestsOnSqlite() : GatewayEndToEndTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class GatewayEndToEndTestsOnPostgres() : GatewayEndToEndTests(StoreKind.Postgres);
