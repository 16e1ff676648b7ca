using PopIoT.Ace;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.Core.Ace;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;
using AceParameters = PopIoT.Core.Ace.AceParameters;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The AS picks the profile both sides support (RFC 9200 §5.8.4.3): the request's ace_profile, else the client's
/// registered profiles in order; none shared is incompatible_ace_profiles (§5.8.3). The answer says which in ace_profile.
/// </summary>
public abstract class ProfileNegotiationTests(StoreKind kind) : IDisposable
{
    private const int Dtls = AceProfile.CoapDtls;
    private const int Oscore = AceProfile.CoapOscore;
    private readonly Lazy<AceTestBed> _lazyBed = new(() => Registered(new AceTestBed(kind)));

    private AceTestBed Bed => _lazyBed.Value;

    // Made on first use, so that a test without a PostgreSQL server is skipped rather than failed in the constructor.
    private static AceTestBed Registered(AceTestBed bed)
    {
        bed.Registry.AddResourceServer("rs-both", dtls: new ResourceServerDtls([Dtls, Oscore]));
        bed.Registry.AddResourceServer("rs-dtls", dtls: new ResourceServerDtls([Dtls]));
        bed.Registry.AddClient("c-dtls-first", profiles: [Dtls, Oscore]);
        bed.Registry.AddClient("c-oscore-first", profiles: [Oscore, Dtls]);
        bed.Registry.AddClient("c-dtls", profiles: [Dtls]);
        foreach (string client in new[] { "gw1", "c-dtls-first", "c-oscore-first", "c-dtls" })
        {
            foreach (string rs in new[] { "rs-both", "rs-dtls", "temp1" })
            {
                bed.Registry.Grant(client, rs, AccessScope.Parse(AifGrant));
            }
        }

        return bed;
    }

    public void Dispose()
    {
        if (_lazyBed.IsValueCreated)
        {
            _lazyBed.Value.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    [SkippableTheory]
    [InlineData("gw1", "rs-both", Oscore)] // registered before profiles: coap_oscore only
    [InlineData("c-dtls-first", "rs-both", Dtls)]
    [InlineData("c-oscore-first", "rs-both", Oscore)]
    [InlineData("c-oscore-first", "rs-dtls", Dtls)]
    [InlineData("c-dtls-first", "temp1", Oscore)]
    public async Task Without_ace_profile_the_first_of_the_clients_profiles_the_rs_supports_is_chosen(string client, string rs, int expected)
    {
        var map = await Issue(client, rs);
        Assert.Equal(expected, Int(map[AceParameters.AceProfile]));
        Assert.Equal(expected == Dtls ? 1L : 4L, FirstCnfMethod(map[AceParameters.Cnf]));
        Assert.Equal(expected, Bed.Store.ListTokens().Single().Profile);
    }

    [SkippableFact]
    public async Task A_requested_ace_profile_wins_over_the_clients_order_when_the_rs_supports_it()
    {
        Assert.Equal(Dtls, Int((await Issue("gw1", "rs-both", Profile(Dtls)))[AceParameters.AceProfile]));
        Assert.Equal(Oscore, Int((await Issue("c-dtls-first", "rs-both", Profile(Oscore)))[AceParameters.AceProfile]));

        // null asks the AS to choose (RFC 9200 §5.8.4.3): the client's order again.
        Assert.Equal(Dtls, Int((await Issue("c-dtls-first", "rs-both", (AceParameters.AceProfile, Encode(w => w.WriteNull()))))[AceParameters.AceProfile]));
    }

    [SkippableFact]
    public async Task No_shared_profile_is_incompatible_ace_profiles_and_issues_nothing()
    {
        AssertIncompatible(await Ask("c-dtls", "temp1"), "no profile is shared: the client speaks coap_dtls, resource server 'temp1' supports coap_oscore");
        AssertIncompatible(await Ask("gw1", "rs-dtls"), "no profile is shared: the client speaks coap_oscore, resource server 'rs-dtls' supports coap_dtls");
        AssertIncompatible(await Ask("c-dtls-first", "rs-dtls", Profile(Oscore)), "ace_profile coap_oscore is not shared");
        AssertIncompatible(await Ask("c-dtls-first", "rs-both", Profile(99)), "ace_profile 99 is not shared");
        Assert.Empty(Bed.Store.ListTokens());
    }

    [SkippableFact]
    public async Task A_bad_ace_profile_type_is_invalid_request()
    {
        AceResponse r = await Ask("gw1", "rs-both", (AceParameters.AceProfile, Encode(w => w.WriteTextString("coap_dtls"))));
        Assert.Equal(AceErrorCode.InvalidRequest, r.Error);
        Assert.Contains("ace_profile (38) must be an integer or null", r.Description, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task An_update_keeps_the_profile_of_the_token_whose_kid_it_names()
    {
        // c-dtls-first prefers DTLS, but an OSCORE Input Material id updates an OSCORE token.
        var first = await Issue("c-dtls-first", "rs-both", Profile(Oscore));
        byte[] id = Bytes(Map(Map(first[AceParameters.Cnf])[4])[0]);
        var update = await Issue("c-dtls-first", "rs-both", (AceParameters.ReqCnf, Encode(w => { w.WriteStartMap(1); w.WriteInt32(3); w.WriteByteString(id); })));
        Assert.Equal(Oscore, Int(update[AceParameters.AceProfile]));
        Assert.False(update.ContainsKey(AceParameters.Cnf));
    }

    private static (int, byte[]) Profile(int p) => (AceParameters.AceProfile, Encode(w => w.WriteInt32(p)));

    private static long FirstCnfMethod(byte[] cnf) => Map(cnf).Keys.Single();

    private static void AssertIncompatible(AceResponse r, string part)
    {
        Assert.Equal(AceErrorCode.IncompatibleAceProfiles, r.Error);
        Assert.Contains(part, r.Description, StringComparison.Ordinal);
        Assert.Equal((long)AceErrorCode.IncompatibleAceProfiles, Int(Map(r.Payload)[AceParameters.Error]));
    }

    private async Task<Dictionary<long, byte[]>> Issue(string client, string rs, params (int Key, byte[] Value)[] extra)
    {
        AceResponse r = await Ask(client, rs, extra);
        Assert.True(r.Error == null, r.Description);
        return Map(r.Payload);
    }

    private Task<AceResponse> Ask(string client, string rs, params (int Key, byte[] Value)[] extra) =>
        Bed.Server.Token.HandleAsync(new AcePeer(false, client), TokenRequest(rs, null, extra));
}

/// <summary>The suite on SQLite.</summary>
public sealed class ProfileNegotiationTestsOnSqlite() : ProfileNegotiationTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class ProfileNegotiationTestsOnPostgres() : ProfileNegotiationTests(StoreKind.Postgres);
