using System.Collections.Concurrent;
using System.Net;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Crypto;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The gateway (<see cref="AceClient"/>) with a client registered for coap_dtls: it follows the RS's hints to the AS
/// (over OSCORE, as for the OSCORE profile), gets a PSK token, opens one DTLS session per RS and reuses it, posts a new
/// token for the same key over the session before the old one expires (RFC 9202 §4), and reconnects when the RS
/// refuses. The AS runs on loopback; the RS is <see cref="TestDtlsResourceServer"/>.
/// </summary>
public abstract class GatewayDtlsTests : TempDirectoryTest
{
    private readonly Lazy<World> _world;

    protected GatewayDtlsTests(StoreKind kind) => _world = new(() => new World(kind, Clock, F("gwd.json")));

    private TestClock Clock { get; } = new();

    private ConcurrentQueue<AceClientEvent> Events { get; } = new();

    private IAuthorizationStore Store => _world.Value.Store;

    private TestDtlsResourceServer Rs => _world.Value.Rs;

    private string Credential => _world.Value.Credential;

    protected override void Dispose(bool disposing)
    {
        if (disposing && _world.IsValueCreated)
        {
            _world.Value.Dispose();
        }

        base.Dispose(disposing);
    }

    [SkippableFact]
    public async Task The_gateway_follows_the_hints_gets_a_psk_token_and_reuses_one_session()
    {
        await using AceClient gw = Gateway();
        for (int i = 0; i < 3; i++)
        {
            CoapResponse r = await gw.GetAsync(new Uri(Rs.Secure, "/temp"));
            Assert.Equal(CoapCode.Content, r.Code);
            Assert.Equal("21.5", r.PayloadText);
        }

        Assert.Equal(1, gw.TokenRequests);
        Assert.Equal(1, Rs.TokensPosted);
        Assert.Equal(1, Rs.IdentitiesAccepted);
        Assert.Contains(Events, e => e.Kind == AceClientEventKind.HintsReceived);
        Assert.Contains(Events, e => e.Kind == AceClientEventKind.TokenPosted && e.Detail.Contains("DTLS session", StringComparison.Ordinal));
        Assert.Equal(AceProfile.CoapDtls, Store.ListTokens().Single().Profile);

        // A coap:// URI of the same RS goes over the same kind of session (coaps on the next port).
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(Rs.Plain, "/temp"))).Code);
    }

    [SkippableFact]
    public async Task Before_the_token_expires_a_new_token_for_the_same_key_is_posted_over_the_session()
    {
        await using AceClient gw = Gateway();
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(Rs.Secure, "/temp"))).Code);
        Clock.Advance(TimeSpan.FromSeconds(3300)); // past the refresh point (10 % before expiry)
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(Rs.Secure, "/temp"))).Code);

        Assert.Equal(2, gw.TokenRequests);
        Assert.Equal(1, Rs.Updates);
        Assert.Equal(1, Rs.IdentitiesAccepted); // no new handshake
        IssuedTokenRecord update = Store.ListTokens().OrderBy(t => t.IssuedAt).Last();
        Assert.Equal(3L, IndependentCose.ReadMap(update.Cnf).Keys.Single()); // cnf { kid } (RFC 9202 §4)
        Assert.Contains(Events, e => e.Kind == AceClientEventKind.TokenRefreshed && e.Detail.Contains("over the DTLS session", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task When_the_rs_forgets_the_token_the_gateway_gets_a_new_one_and_reconnects()
    {
        await using AceClient gw = Gateway();
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(Rs.Secure, "/temp"))).Code);
        Rs.Forget();
        CoapResponse r = await gw.GetAsync(new Uri(Rs.Secure, "/temp"));
        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Equal(2, gw.TokenRequests);
        Assert.Equal(2, Rs.TokensPosted);
        Assert.Equal(2, Rs.IdentitiesAccepted);
    }

    [SkippableFact]
    public async Task With_the_token_as_psk_identity_nothing_is_posted_before_the_handshake()
    {
        await using AceClient gw = Gateway(DtlsPskIdentityForm.Token);
        Assert.Equal(CoapCode.Content, (await gw.GetAsync(new Uri(Rs.Secure, "/temp"))).Code);
        Assert.Equal(0, Rs.TokensPosted);
        Assert.Equal(1, Rs.IdentitiesAccepted);
    }

    [SkippableFact]
    public void Coap_get_coaps_with_ace_does_the_whole_flow_and_the_next_run_reuses_the_kept_token()
    {
        string uri = new Uri(Rs.Secure, "/temp").ToString();
        CliRunner.Result first = CliRunner.Run("coap", "get", uri, "--ace", Credential);
        Assert.True(first.ExitCode == 0, first.Out + first.Error);
        Assert.Contains("21.5", first.Out, StringComparison.Ordinal);
        Assert.Contains("DTLS session with coaps://127.0.0.1:", first.Error, StringComparison.Ordinal);
        CliRunner.Result second = CliRunner.Run("coap", "get", uri, "--ace", Credential, "--dtls-identity", "token");
        Assert.True(second.ExitCode == 0, second.Out + second.Error);
        Assert.Contains("21.5", second.Out, StringComparison.Ordinal);
        Assert.Single(Store.ListTokens()); // the second run took the token kept next to ID.json
        Assert.Equal(1, Rs.TokensPosted); // and gave it as the psk_identity
        Assert.Equal(2, Rs.IdentitiesAccepted);

        CliRunner.Result refused = CliRunner.Run("coap", "get", uri, "--ace", Credential, "--psk-identity", "x", "--psk", "00112233");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--ace gets its PSK from the AS", refused.Error, StringComparison.Ordinal);
    }

    private AceClient Gateway(DtlsPskIdentityForm form = DtlsPskIdentityForm.Kid) => new(AceCredentialFile.Load(Credential), new AceClientOptions
    {
        Coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(30) },
        Time = Clock,
        RefreshFraction = 0.1,
        MinimumRefreshMargin = TimeSpan.FromSeconds(1),
        Events = Events.Enqueue,
        DtlsIdentityForm = form,
    });

    // The AS on loopback with its store, the RS, and the gateway's credential file: made on first use, so that a test
    // without a PostgreSQL server is skipped rather than failed in the constructor.
    private sealed class World : IDisposable
    {
        private readonly TestStore _db;
        private readonly AceAuthorizationServer _as;

        public World(StoreKind kind, TestClock clock, string credential)
        {
            _db = TestStore.Create(kind, out IAuthorizationStore store);
            Store = store;
            var registry = new AuthorizationServerRegistry(Store, PlatformCryptoProvider.Instance.Random);
            ResourceServerRecord lamp = registry.AddResourceServer("lamp", dtls: new ResourceServerDtls([AceProfile.CoapDtls]));
            registry.AddClient("gwd", profiles: [AceProfile.CoapDtls, AceProfile.CoapOscore]);
            registry.Grant("gwd", "lamp", AccessScope.Parse("""[["/temp",1]]"""));
            _as = new AceAuthorizationServer(Store, new AuthorizationServerSettings { TokenLifetimeSeconds = 3600 }, PlatformCryptoProvider.Instance, clock);
            Uri asUri = new("coap://127.0.0.1:" + _as.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port);
            Rs = new TestDtlsResourceServer(lamp, asUri.ToString());
            Credential = credential;
            OscoreCredential k = Store.FindClient("gwd")!.Credential;
            AceCredentialFile.Write(Credential, false, "gwd", asUri, k.PeerSenderId, k.AsSenderId, k.MasterSecret, k.MasterSalt, k.Algorithm);
        }

        public IAuthorizationStore Store { get; }

        public TestDtlsResourceServer Rs { get; }

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
public sealed class GatewayDtlsTestsOnSqlite() : GatewayDtlsTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class GatewayDtlsTestsOnPostgres() : GatewayDtlsTests(StoreKind.Postgres);
