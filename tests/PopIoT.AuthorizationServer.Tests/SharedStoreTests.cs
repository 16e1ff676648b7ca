using PopIoT.Ace;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Endpoints;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Ace;
using PopIoT.Core.Crypto;
using PopIoT.Crypto;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// Several AS instances on one database (each with its own store object, as separate processes have): identifiers
/// never repeat, exi numbers have no gaps, registry changes and revocations are seen by every instance, and the
/// purge leaves the exi sequence alone (docs/authorization-server.md, "Storage").
/// </summary>
public abstract class SharedStoreTests(StoreKind kind) : IDisposable
{
    private static readonly AcePeer Gw1 = new(false, "gw1");
    private readonly List<IDisposable> _owned = [];
    private string? _db;

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        GC.SuppressFinalize(this);
    }

    // One database with "clockless" (exi) and "temp1" (exp) and client gw1 granted both; and two stores open on it.
    private (IAuthorizationStore A, IAuthorizationStore B) TwoInstances()
    {
        TestStore db = TestStore.Create(kind, out IAuthorizationStore a);
        _db = db.Db;
        _owned.Add(db);
        _owned.Add(a);
        var registry = new AuthorizationServerRegistry(a, PlatformCryptoProvider.Instance.Random);
        registry.AddResourceServer("clockless", hasClock: false);
        registry.AddResourceServer("temp1");
        registry.AddClient("gw1");
        registry.Grant("gw1", "clockless", AccessScope.Parse("read"));
        registry.Grant("gw1", "temp1", AccessScope.Parse("read"));
        IAuthorizationStore b = AuthorizationStores.Open(db.Db);
        _owned.Add(b);
        return (a, b);
    }

    private static TokenEndpoint Endpoint(IAuthorizationStore store, TimeProvider clock, ICryptoProvider? crypto = null) =>
        new(store, crypto ?? PlatformCryptoProvider.Instance, clock, new AuthorizationServerSettings());

    [SkippableFact]
    public async Task Two_instances_number_exi_tokens_once_each_without_gaps_even_on_one_clock_tick()
    {
        (IAuthorizationStore a, IAuthorizationStore b) = TwoInstances();

        // One frozen clock: every number comes from "last + 1", the case where two instances would collide.
        var clock = new TestClock(1_800_000_000);
        TokenEndpoint[] endpoints = [Endpoint(a, clock), Endpoint(b, clock)];
        const int PerInstance = 40;
        AceResponse[] responses = await Task.WhenAll(Enumerable.Range(0, 2 * PerInstance).Select(i => Task.Run(() => endpoints[i % 2].HandleAsync(Gw1, AceTestBed.TokenRequest("clockless")))));

        Assert.All(responses, r => Assert.Null(r.Error));
        long[] numbers = a.QueryTokens(new TokenQuery(Audience: "clockless")).Select(t => ExiCti.SequenceOf(t.Cti, "clockless")).Order().ToArray();
        Assert.Equal(2 * PerInstance, numbers.Length);
        long first = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal(Enumerable.Range(0, 2 * PerInstance).Select(i => first + i), numbers);
        Assert.True(b.TryLoadExiSequence("clockless", out long last));
        Assert.Equal(numbers[^1], last);
    }

    [SkippableFact]
    public async Task Two_instances_number_exi_tokens_without_gaps_while_the_clock_moves_and_after_a_restart()
    {
        (IAuthorizationStore a, IAuthorizationStore b) = TwoInstances();

        // The clock moves between requests (as it does in a fleet); the RS's numbers still go up by exactly one.
        var clock = new TestClock(1_800_000_000);
        long first = clock.GetUtcNow().ToUnixTimeMilliseconds();
        TokenEndpoint[] endpoints = [Endpoint(a, clock), Endpoint(b, clock)];
        for (int i = 0; i < 10; i++)
        {
            Assert.Null((await endpoints[i % 2].HandleAsync(Gw1, AceTestBed.TokenRequest("clockless"))).Error);
            clock.Advance(TimeSpan.FromMilliseconds(1500));
        }

        // A third process on the same database (a restart) continues the sequence.
        using (IAuthorizationStore restarted = AuthorizationStores.Open(_db!))
        {
            Assert.Null((await Endpoint(restarted, clock).HandleAsync(Gw1, AceTestBed.TokenRequest("clockless"))).Error);
        }

        long[] numbers = a.QueryTokens(new TokenQuery(Audience: "clockless")).Select(t => ExiCti.SequenceOf(t.Cti, "clockless")).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 11).Select(i => first + i), numbers);
    }

    [SkippableFact]
    public async Task An_exi_tokens_iat_and_expiry_count_from_the_AS_clock_at_minting_not_from_its_number()
    {
        (IAuthorizationStore a, IAuthorizationStore b) = TwoInstances();

        // The second token's number is first + 1 although an hour passed: a counter, not a time. Its record still
        // says when it was minted and when it stops being active on the AS clock.
        var clock = new TestClock(1_800_000_000);
        long first = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Null((await Endpoint(a, clock).HandleAsync(Gw1, AceTestBed.TokenRequest("clockless"))).Error);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Null((await Endpoint(b, clock).HandleAsync(Gw1, AceTestBed.TokenRequest("clockless"))).Error);

        IssuedTokenRecord second = a.QueryTokens(new TokenQuery(Audience: "clockless")).Single(t => ExiCti.SequenceOf(t.Cti, "clockless") == first + 1);
        long now = clock.GetUtcNow().ToUnixTimeSeconds();
        Assert.Equal(now, second.IssuedAt);
        Assert.Equal(now + 3600, second.ExpiresAt);
        Assert.Equal(3600, second.Exi);
        Assert.Single(b.QueryTokens(new TokenQuery(Audience: "clockless", ActiveAt: now + 3599)));
    }

    [SkippableFact]
    public async Task Two_instances_never_issue_one_cti_twice_even_when_their_random_bytes_repeat()
    {
        (IAuthorizationStore a, IAuthorizationStore b) = TwoInstances();

        // Two instances cloned from one image whose generators repeat each other: the cti must still differ, because
        // it comes from the database's prefix counter, not from the random bytes.
        var clock = new TestClock(1_800_000_000);
        TokenEndpoint[] endpoints = [Endpoint(a, clock, new RepeatingRandomCrypto()), Endpoint(b, clock, new RepeatingRandomCrypto())];
        for (int i = 0; i < 10; i++)
        {
            foreach (TokenEndpoint e in endpoints)
            {
                AceResponse r = await e.HandleAsync(Gw1, AceTestBed.TokenRequest("temp1"));
                Assert.Null(r.Error);
            }
        }

        IReadOnlyList<IssuedTokenRecord> tokens = b.ListTokens();
        Assert.Equal(20, tokens.Count);
        Assert.Equal(20, tokens.Select(t => Convert.ToHexString(t.Cti)).Distinct().Count());
        Assert.All(tokens, t => Assert.Equal(8, t.Cti.Length));
    }

    [SkippableFact]
    public async Task Two_instances_never_give_one_psk_kid_to_two_tokens_for_an_rs_even_when_their_random_bytes_repeat()
    {
        (IAuthorizationStore a, IAuthorizationStore b) = TwoInstances();
        var registry = new AuthorizationServerRegistry(a, PlatformCryptoProvider.Instance.Random);
        registry.AddResourceServer("lamp", dtls: new ResourceServerDtls([AceProfile.CoapDtls]));
        registry.AddClient("gwd", profiles: [AceProfile.CoapDtls]);
        registry.Grant("gwd", "lamp", AccessScope.Parse("read"));

        // RFC 9202 §3.3: a kid unique among the AS's kids for the RS. Both instances draw the same random bytes and
        // mint at the same time, so neither can see the other's token in the store before it picks its kid.
        var clock = new TestClock(1_800_000_000);
        TokenEndpoint[] endpoints = [Endpoint(a, clock, new RepeatingRandomCrypto()), Endpoint(b, clock, new RepeatingRandomCrypto())];
        var gwd = new AcePeer(false, "gwd");
        const int PerInstance = 20;
        AceResponse[] responses = await Task.WhenAll(Enumerable.Range(0, 2 * PerInstance).Select(i => Task.Run(() => endpoints[i % 2].HandleAsync(gwd, AceTestBed.TokenRequest("lamp")))));

        Assert.All(responses, r => Assert.Null(r.Error));
        IReadOnlyList<IssuedTokenRecord> tokens = b.QueryTokens(new TokenQuery(Audience: "lamp"));
        Assert.Equal(2 * PerInstance, tokens.Count);
        Assert.All(tokens, t => Assert.Equal(AceProfile.CoapDtls, t.Profile));
        Assert.Equal(2 * PerInstance, tokens.Select(t => Convert.ToHexString(AccessInformation.PopKeyId(t.Cnf)!)).Distinct().Count());
    }

    [SkippableFact]
    public async Task A_registry_change_grant_or_revocation_on_one_instance_is_seen_by_the_other_at_once()
    {
        (IAuthorizationStore a, IAuthorizationStore b) = TwoInstances();
        string before = b.RegistryVersion();
        new AuthorizationServerRegistry(a, PlatformCryptoProvider.Instance.Random).AddClient("gw2");
        string afterAdd = b.RegistryVersion();
        Assert.NotEqual(before, afterAdd);
        Assert.NotNull(b.FindClient("gw2"));

        Assert.True(a.SetRekeying("gw2", false));
        Assert.NotEqual(afterAdd, b.RegistryVersion());
        Assert.False(b.FindClient("gw2")!.Rekeying);

        // A grant is read at each request; nothing to refresh.
        a.AddGrant(new GrantRecord("gw2", "temp1", AccessScope.Parse("read")));
        Assert.Single(b.FindGrants("gw2", "temp1"));

        var clock = new TestClock(1_800_000_000);
        AceResponse issued = await Endpoint(b, clock).HandleAsync(new AcePeer(false, "gw2"), AceTestBed.TokenRequest("temp1"));
        Assert.Null(issued.Error);
        IssuedTokenRecord token = a.FindTokens("gw2", "temp1").Single();
        Assert.True(a.RevokeToken(token.Cti));
        Assert.True(b.FindTokenByHash(token.TokenHash)!.Revoked);

        string beforeRemove = b.RegistryVersion();
        Assert.Equal(0, a.Remove(false, "gw2")); // its one token is revoked already
        Assert.NotEqual(beforeRemove, b.RegistryVersion());
        Assert.Null(b.FindClient("gw2"));
    }

    [SkippableFact]
    public async Task The_purge_removes_expired_and_revoked_tokens_only_and_exi_numbers_go_on_above_the_purged_ones()
    {
        (IAuthorizationStore a, IAuthorizationStore b) = TwoInstances();
        var clock = new TestClock(1_800_000_000);
        TokenEndpoint endpoint = Endpoint(a, clock);
        Assert.Null((await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("clockless"))).Error);
        Assert.Null((await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("temp1"))).Error);
        Assert.Null((await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("temp1"))).Error);
        IssuedTokenRecord[] all = [.. a.ListTokens()];
        long exiBefore = ExiCti.SequenceOf(all.Single(t => t.Audience == "clockless").Cti, "clockless");
        IssuedTokenRecord revoked = all.First(t => t.Audience == "temp1");
        Assert.True(a.RevokeToken(revoked.Cti));

        // Now: only the revoked one goes.
        Assert.Equal(1, b.PurgeTokens(clock.Now));
        Assert.Null(a.FindTokenByCti(revoked.Cti));
        Assert.Equal(2, a.ListTokens().Count);

        // After their lifetime every token goes, the exi one included; its number is not given out again, not even
        // by an instance started afresh on the same (frozen) clock.
        Assert.Equal(2, b.PurgeTokens(clock.Now + 3600));
        Assert.Empty(a.ListTokens());
        Assert.Null((await Endpoint(b, clock).HandleAsync(Gw1, AceTestBed.TokenRequest("clockless"))).Error);
        Assert.Equal(exiBefore + 1, ExiCti.SequenceOf(a.ListTokens().Single().Cti, "clockless"));
    }

    [SkippableFact]
    public async Task Token_queries_filter_by_client_audience_and_activity()
    {
        (IAuthorizationStore a, _) = TwoInstances();
        new AuthorizationServerRegistry(a, PlatformCryptoProvider.Instance.Random).AddClient("gw2");
        a.AddGrant(new GrantRecord("gw2", "temp1", AccessScope.Parse("read")));
        var clock = new TestClock(1_800_000_000);
        TokenEndpoint endpoint = Endpoint(a, clock);
        await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("temp1"));
        await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("clockless"));
        await endpoint.HandleAsync(new AcePeer(false, "gw2"), AceTestBed.TokenRequest("temp1"));
        Assert.True(a.RevokeToken(a.FindTokens("gw2", "temp1").Single().Cti));

        Assert.Equal(3, a.QueryTokens(new TokenQuery()).Count);
        Assert.Equal(2, a.QueryTokens(new TokenQuery(ClientId: "gw1")).Count);
        Assert.Equal(2, a.QueryTokens(new TokenQuery(Audience: "temp1")).Count);
        Assert.Single(a.QueryTokens(new TokenQuery("gw1", "temp1")));
        Assert.Equal(2, a.QueryTokens(new TokenQuery(ActiveAt: clock.Now)).Count);
        Assert.Empty(a.QueryTokens(new TokenQuery(ActiveAt: clock.Now + 3600)));
        Assert.Empty(a.QueryTokens(new TokenQuery(ClientId: "nobody")));
    }

    // The platform's crypto with a random source that gives the same bytes in every instance.
    private sealed class RepeatingRandomCrypto : ICryptoProvider
    {
        public IRandomSource Random { get; } = new SeededRandomSource(7);

        public IBlockCipher CreateAes(byte[] key, int offset, int length) => PlatformCryptoProvider.Instance.CreateAes(key, offset, length);

        public IMac CreateHmacSha256(byte[] key, int offset, int length) => PlatformCryptoProvider.Instance.CreateHmacSha256(key, offset, length);

        public IHash CreateSha256() => PlatformCryptoProvider.Instance.CreateSha256();

        public IAeadCipher CreateAesCcm(byte[] key, int offset, int length, int tagSize, int lengthSize) => PlatformCryptoProvider.Instance.CreateAesCcm(key, offset, length, tagSize, lengthSize);
    }
}

/// <summary>The suite on SQLite (two store objects on one file).</summary>
public sealed class SharedStoreTestsOnSqlite() : SharedStoreTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class SharedStoreTestsOnPostgres() : SharedStoreTests(StoreKind.Postgres);
