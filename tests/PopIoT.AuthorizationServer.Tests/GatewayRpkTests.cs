using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Crypto;
using PopIoT.Dtls;
using PopIoT.Oscore;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The gateway (<see cref="AceClient"/>) in the DTLS profile's RPK mode (RFC 9202 §3.2.1, §4) against the AS on loopback
/// and <see cref="TestRpkResourceServer"/>, an RS written from BouncyCastle's DTLS server directly: the token binds the
/// gateway's public key, is posted to plain /authz-info, and one raw-public-key session per RS carries the requests,
/// block-wise ones included, and the update before expiry. A server presenting a key other than rs_cnf is refused with
/// nothing sent; a client key other than the token's fails the RS's handshake.
/// </summary>
public abstract class GatewayRpkTests : TempDirectoryTest
{
    private readonly StoreKind _kind;
    private readonly List<IDisposable> _owned = [];

    protected GatewayRpkTests(StoreKind kind) => _kind = kind;

    private TestClock Clock { get; } = new();

    private ConcurrentQueue<AceClientEvent> Events { get; } = new();

    private ConcurrentQueue<string> Trace { get; } = new();

    [SkippableFact]
    public async Task The_gateway_gets_an_rpk_token_and_reuses_one_session_for_several_requests()
    {
        World w = NewWorld();
        using CoseKey key = NewKeyPair();
        await using AceClient gw = Gateway(w, key);
        for (int i = 0; i < 3; i++)
        {
            CoapResponse r = await gw.GetAsync(new Uri(w.Rs.Secure, "/temp"));
            Assert.Equal(CoapCode.Content, r.Code);
            Assert.Equal("21.5", r.PayloadText);
        }

        Assert.Equal(1, gw.TokenRequests);
        Assert.Equal(1, w.Rs.TokensPosted);
        Assert.Equal(1, w.Rs.Handshakes);
        IssuedTokenRecord issued = w.Store.ListTokens().Single();
        Assert.Equal(AceProfile.CoapDtls, issued.Profile);
        Assert.Equal(1L, IndependentCose.ReadMap(issued.Cnf).Keys.Single()); // cnf { COSE_Key } (RFC 8747 §3.2)
        Assert.Contains(Events, e => e.Kind == AceClientEventKind.TokenPosted && e.Detail.Contains("raw public keys", StringComparison.Ordinal));
        string thumbprint = DtlsRawPublicKey.Thumbprint(DtlsRawPublicKey.PublicKeyFromCoseKey(w.Rs.PublicCoseKey, 0, w.Rs.PublicCoseKey.Length));
        Assert.Contains(Trace, t => t.Contains(thumbprint + " equals rs_cnf", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_resource_server_presenting_a_key_other_than_rs_cnf_is_refused_and_nothing_is_sent()
    {
        World w = NewWorld(impostor: true);
        using CoseKey key = NewKeyPair();
        await using AceClient gw = Gateway(w, key);
        var e = await Assert.ThrowsAsync<DtlsRpkHandshakeException>(() => gw.GetAsync(new Uri(w.Rs.Secure, "/temp")));
        Assert.True(e.ServerKeyRefused);
        Assert.Contains("not the key", e.Message, StringComparison.Ordinal);
        Assert.Contains("rs_cnf", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, w.Rs.Handshakes);
        Assert.Equal(0, w.Rs.SessionRequests);
        Assert.Equal(1, gw.TokenRequests); // not retried: no token makes that server the right one
    }

    [SkippableFact]
    public async Task A_client_key_other_than_the_tokens_cnf_fails_the_resource_servers_handshake()
    {
        World w = NewWorld();
        using CoseKey owner = NewKeyPair();
        using CoseKey other = NewKeyPair();
        await using AceClient gw = Gateway(w, owner);
        AceTokenResponse token = await gw.RequestTokenAsync("lamp", null, null);
        var dtls = new DtlsRpkClientOptions
        {
            PrivateKey = DtlsRawPublicKey.PrivateKeyFromCoseKey(other),
            PublicKey = DtlsRawPublicKey.PublicKeyFromCoseKey(other),
            ServerKey = DtlsRawPublicKey.PublicKeyFromCoseKey(token.Token.RsPublicKey!, 0, token.Token.RsPublicKey!.Length),
            HandshakeTimeout = TimeSpan.FromSeconds(20),
        };
        using var client = new AceRpkClient(token.Token, w.Rs.Secure, dtls);
        await client.PostTokenAsync();
        var e = await Assert.ThrowsAsync<DtlsRpkHandshakeException>(() => client.SendAsync(new CoapRequest(CoapCode.Get, new Uri(w.Rs.Secure, "/temp"))));
        Assert.False(e.ServerKeyRefused);
        Assert.Contains("access_denied", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, w.Rs.TokensPosted);
        Assert.Equal(0, w.Rs.Handshakes);
        Assert.Equal(0, w.Rs.SessionRequests);
    }

    [SkippableFact]
    public async Task Before_the_token_expires_a_new_token_for_the_same_key_is_posted_over_the_session()
    {
        World w = NewWorld();
        using CoseKey key = NewKeyPair();
        await using AceClient gw = Gateway(w, key);
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(w.Rs.Secure, "/temp"))).Code);
        Clock.Advance(TimeSpan.FromSeconds(3300)); // past the refresh point (10 % before expiry)
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(w.Rs.Secure, "/temp"))).Code);

        Assert.Equal(2, gw.TokenRequests);
        Assert.Equal(1, w.Rs.Updates);
        Assert.Equal(1, w.Rs.Handshakes); // no new handshake
        Assert.Equal(2, w.Store.ListTokens().Count);
        Assert.All(w.Store.ListTokens(), t => Assert.Equal(1L, IndependentCose.ReadMap(t.Cnf).Keys.Single()));
        Assert.Contains(Events, e => e.Kind == AceClientEventKind.TokenRefreshed && e.Detail.Contains("same public key posted over the DTLS session", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task When_the_rs_forgets_the_token_the_gateway_gets_a_new_one_and_opens_a_new_session()
    {
        World w = NewWorld();
        using CoseKey key = NewKeyPair();
        await using AceClient gw = Gateway(w, key);
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(w.Rs.Secure, "/temp"))).Code);
        w.Rs.Forget();
        CoapResponse r = await gw.GetAsync(new Uri(w.Rs.Secure, "/temp"));
        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Equal(2, gw.TokenRequests);
        Assert.Equal(2, w.Rs.TokensPosted);
        Assert.Equal(2, w.Rs.Handshakes);
    }

    [SkippableFact]
    public async Task A_kept_token_for_another_key_fails_the_handshake_and_a_new_token_is_asked_for()
    {
        World w = NewWorld();
        using CoseKey first = NewKeyPair();
        using CoseKey second = NewKeyPair();
        using (var seq = new FileSequenceNumberStore(w.Credential + ".seq", w.Credential + ".lock"))
        {
            await using AceClient gw = Gateway(w, first, new FileAceTokenCache(w.Credential), seq);
            Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(w.Rs.Secure, "/temp"))).Code);
        }

        // The next run has another key pair but finds the token kept for the first: the RS refuses that handshake.
        using var seq2 = new FileSequenceNumberStore(w.Credential + ".seq", w.Credential + ".lock");
        await using AceClient again = Gateway(w, second, new FileAceTokenCache(w.Credential), seq2);
        Assert.Equal(CoapCode.Content, (await again.GetAsync(new Uri(w.Rs.Secure, "/temp"))).Code);
        Assert.Equal(1, again.TokenRequests);
        Assert.Equal(1, w.Rs.HandshakesFailed);
        Assert.Equal(2, w.Rs.Handshakes);
        Assert.Contains(Events, e => e.Kind == AceClientEventKind.TokenReused);
    }

    [SkippableFact]
    public async Task A_block_wise_get_of_3_KiB_goes_over_the_session()
    {
        World w = NewWorld();
        using CoseKey key = NewKeyPair();
        await using AceClient gw = Gateway(w, key);
        CoapResponse r = await gw.SendAsync(new CoapRequest(CoapCode.Get, new Uri(w.Rs.Secure, "/big")) { BlockSize = 256 });
        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Equal(TestRpkResourceServer.Big, r.Payload.ToArray());
        Assert.True(w.Rs.SessionRequests >= TestRpkResourceServer.BigSize / 256, w.Rs.SessionRequests.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, w.Rs.Handshakes);
        Assert.Equal(CoapCode.MethodNotAllowed, (await gw.PutAsync(new Uri(w.Rs.Secure, "/temp"), "1"u8.ToArray())).Code);
    }

    [SkippableFact]
    public async Task An_rs_registered_without_rs_cnf_gets_no_rpk_token_and_the_gateway_says_why()
    {
        World w = NewWorld(registerRsCnf: false);
        using CoseKey key = NewKeyPair();
        await using AceClient gw = Gateway(w, key);
        var e = await Assert.ThrowsAsync<AceAuthorizationException>(() => gw.GetAsync(new Uri(w.Rs.Secure, "/temp")));
        Assert.Equal(AceErrorCode.UnsupportedPopKey, e.AceError);
        Assert.Contains("rs_cnf", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, w.Rs.TokensPosted);
    }

    [Fact]
    public void Coap_rpk_key_needs_ace_and_a_p256_key_pair()
    {
        Assert.Equal(0, CliRunner.Run("key", "new", "--kty", "EC2", "--out", F("k.key"), "--public-out", F("k.pub")).ExitCode);
        CliRunner.Result plain = CliRunner.Run("coap", "get", "coaps://127.0.0.1:1/temp", "--rpk-key", F("k.key"), "--psk-identity", "a", "--psk", "00");
        Assert.Equal(2, plain.ExitCode);
        Assert.Contains("--rpk-key applies to --ace", plain.Error, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            // The public key file is world-readable; as a key pair file it must be owner-only before it is even read.
            File.SetUnixFileMode(F("k.pub"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        CliRunner.Result publicOnly = CliRunner.Run("coap", "get", "coaps://127.0.0.1:1/temp", "--ace", F("none.json"), "--rpk-key", F("k.pub"));
        Assert.Equal(2, publicOnly.ExitCode);
        Assert.Contains("no private key", publicOnly.Error, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("key", "new", "--kty", "OKP", "--out", F("ed.key")).ExitCode);
        CliRunner.Result ed = CliRunner.Run("coap", "get", "coaps://127.0.0.1:1/temp", "--ace", F("none.json"), "--rpk-key", F("ed.key"));
        Assert.Equal(2, ed.ExitCode);
        Assert.Contains("not EC2", ed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_session_client_refuses_a_token_without_rs_cnf()
    {
        var psk = new AccessTokenFile([1, 2, 3], [], []) { Profile = AceProfile.CoapDtls, PskKid = [1], Psk = new byte[16] };
        using CoseKey key = NewKeyPair();
        var dtls = new DtlsRpkClientOptions
        {
            PrivateKey = DtlsRawPublicKey.PrivateKeyFromCoseKey(key),
            PublicKey = DtlsRawPublicKey.PublicKeyFromCoseKey(key),
            ServerKey = DtlsRawPublicKey.PublicKeyFromCoseKey(key),
        };
        var e = Assert.Throws<ArgumentException>(() => new AceRpkClient(psk, new Uri("coaps://127.0.0.1:5684"), dtls));
        Assert.Contains("rs_cnf", e.Message, StringComparison.Ordinal);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            for (int i = _owned.Count - 1; i >= 0; i--)
            {
                _owned[i].Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private static CoseKey NewKeyPair()
    {
        using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = ec.ExportParameters(true);
        try
        {
            return CoseKey.Ec2P256(p.Q.X!, p.Q.Y!, p.D!, CoseAlgorithm.ES256.Id, null!);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(p.D);
        }
    }

    private AceClient Gateway(World w, CoseKey key, IAceTokenCache? cache = null, FileSequenceNumberStore? seq = null) => new(AceCredentialFile.Load(w.Credential), new AceClientOptions
    {
        TokenCache = cache,
        AsSequenceNumberStore = seq,
        Coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(30) },
        Time = Clock,
        RefreshFraction = 0.1,
        MinimumRefreshMargin = TimeSpan.FromSeconds(1),
        Events = Events.Enqueue,
        RawPublicKey = key,
        DtlsTrace = Trace.Enqueue,
    });

    private World NewWorld(bool impostor = false, bool registerRsCnf = true)
    {
        var w = new World(_kind, Clock, F("gwr.json"), impostor, registerRsCnf);
        _owned.Add(w);
        return w;
    }

    // The AS on loopback with its store, the RS (registered with its raw public key as rs_cnf) and the gateway's credential.
    private sealed class World : IDisposable
    {
        private readonly TestStore _db;
        private readonly AceAuthorizationServer _as;

        public World(StoreKind kind, TestClock clock, string credential, bool impostor, bool registerRsCnf)
        {
            _db = TestStore.Create(kind, out IAuthorizationStore store);
            Store = store;
            var registry = new AuthorizationServerRegistry(Store, PlatformCryptoProvider.Instance.Random);
            registry.AddClient("gwr", profiles: [AceProfile.CoapDtls, AceProfile.CoapOscore]);
            _as = new AceAuthorizationServer(Store, new AuthorizationServerSettings { TokenLifetimeSeconds = 3600 }, PlatformCryptoProvider.Instance, clock);
            Uri asUri = new("coap://127.0.0.1:" + _as.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port);
            Rs = new TestRpkResourceServer(
                rsCnf =>
                {
                    ResourceServerRecord lamp = registry.AddResourceServer("lamp", dtls: new ResourceServerDtls([AceProfile.CoapDtls], RsPublicKey: registerRsCnf ? rsCnf : null));
                    registry.Grant("gwr", "lamp", AccessScope.Parse("""[["/temp",1],["/big",1]]"""));
                    return lamp;
                },
                asUri.ToString(),
                impostor);
            Credential = credential;
            OscoreCredential k = Store.FindClient("gwr")!.Credential;
            AceCredentialFile.Write(Credential, false, "gwr", asUri, k.PeerSenderId, k.AsSenderId, k.MasterSecret, k.MasterSalt, k.Algorithm);
        }

        public IAuthorizationStore Store { get; }

        public TestRpkResourceServer Rs { get; }

        public string Credential { get; }

        public void Dispose()
        {
            Rs.Dispose();
            _as.Dispose();
            Store.Dispose();
            _db.Dispose();
        }
    }
}

/// <summary>The suite on SQLite.</summary>
public sealed class GatewayRpkTestsOnSqlite() : GatewayRpkTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class GatewayRpkTestsOnPostgres() : GatewayRpkTests(StoreKind.Postgres);
