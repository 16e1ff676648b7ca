using System.Globalization;
using System.Security.Cryptography;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Cli.Bench.Suite;
using PopIoT.Core.Oscore;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// A fleet of real <c>popiot as serve</c> processes on one database for the process tests: the registry made with the
/// CLI (an RS with a clock, "temp1", one without, "exi1" (RFC 9200 §5.10.3), and N clients granted both), the
/// instances on their own UDP ports, the clients' OSCORE contexts, and the checks against what the database holds.
/// </summary>
internal sealed class FleetBed : IDisposable
{
    public const string ClockAudience = "temp1";
    public const string ExiAudience = "exi1";

    private readonly string _dir;
    private readonly List<SecurityContext> _contexts = [];

    public FleetBed(string db, string dir, int clients, int instances)
    {
        Db = db;
        _dir = dir;
        Ok("as", "init", "--db", db);
        Ok("as", "rs", "add", "--db", db, "--audience", ClockAudience, "--key-out", Path.Combine(dir, "temp1.key"), "--credential-out", Path.Combine(dir, "temp1.json"));
        Ok("as", "rs", "add", "--db", db, "--audience", ExiAudience, "--no-clock", "--key-out", Path.Combine(dir, "exi1.key"), "--credential-out", Path.Combine(dir, "exi1.json"));
        // The many clients of a burst through the registry in one store session (the CLI opens one per command, and
        // a new client while serving goes through it below, AddClient); their credential files as `client add` writes them.
        using (IAuthorizationStore store = OpenStore(db))
        {
            var registry = new AuthorizationServerRegistry(store, PopIoT.Crypto.PlatformCryptoProvider.Instance.Random);
            for (int i = 0; i < clients; i++)
            {
                string id = "c" + i.ToString(CultureInfo.InvariantCulture);
                OscoreCredential k = registry.AddClient(id).Credential;
                registry.Grant(id, ClockAudience, AccessScope.Parse("read"));
                registry.Grant(id, ExiAudience, AccessScope.Parse("read"));
                AceCredentialFile.Write(Credential(id), false, id, new Uri("coap://127.0.0.1:5690"), k.PeerSenderId, k.AsSenderId, k.MasterSecret, k.MasterSalt, k.Algorithm);
            }
        }

        Ports = Enumerable.Range(0, instances).Select(_ => PopiotProcess.FreeUdpPort()).ToArray();
        MetricsUrls = Enumerable.Range(0, instances).Select(_ => "http://127.0.0.1:" + MetricsProcessTests.FreeTcpPort().ToString(CultureInfo.InvariantCulture) + "/metrics").ToArray();
        Instances = new PopiotProcess?[instances];
        for (int i = 0; i < instances; i++)
        {
            Start(i);
        }
    }

    /// <summary>The --db value every process is given.</summary>
    public string Db { get; }

    public int[] Ports { get; }

    /// <summary>Where each instance serves its metrics (docs/authorization-server.md, "Metrics").</summary>
    public string[] MetricsUrls { get; }

    public PopiotProcess?[] Instances { get; }

    public Uri AsUri(int instance) => new("coap://127.0.0.1:" + Ports[instance].ToString(CultureInfo.InvariantCulture));

    /// <summary>Registers a client with the CLI (its credential in DIR/ID.json) and grants it both audiences.</summary>
    public void AddClient(string id)
    {
        Ok("as", "client", "add", "--db", Db, "--client-id", id, "--credential-out", Credential(id));
        Ok("as", "grant", "--db", Db, "--client", id, "--audience", ClockAudience, "--scope", "read");
        Ok("as", "grant", "--db", Db, "--client", id, "--audience", ExiAudience, "--scope", "read");
    }

    public string Credential(string id) => Path.Combine(_dir, id + ".json");

    /// <summary>The client's side of its OSCORE context with the AS (disposed with the bed).</summary>
    public SecurityContext Context(string id)
    {
        SecurityContext c = AceCredentialFile.Load(Credential(id)).Oscore.CreateContext();
        _contexts.Add(c);
        return c;
    }

    /// <summary>The RS's side of its OSCORE context with the AS, for introspection (disposed with the bed).</summary>
    public SecurityContext ResourceServerContext(string audience)
    {
        SecurityContext c = AceCredentialFile.Load(Path.Combine(_dir, audience + ".json")).Oscore.CreateContext();
        _contexts.Add(c);
        return c;
    }

    /// <summary>Starts instance <paramref name="i"/> (again, after a kill) on its port and waits until it listens.</summary>
    public PopiotProcess Start(int i)
    {
        Instances[i]?.Dispose();
        PopiotProcess p = PopiotProcess.Start(
            "listening on", false, "as", "serve", "--db", Db, "--bind", "127.0.0.1", "--port", Ports[i].ToString(CultureInfo.InvariantCulture), "--duration", "600", "--prometheus", MetricsUrls[i]);
        Instances[i] = p;
        return p;
    }

    /// <summary>The burst's targets: client k asks instance k mod N, for the audience <see cref="AudienceOf"/>.</summary>
    public List<TokenBurst.Target> Targets(int clients) =>
        Enumerable.Range(0, clients).Select(k => new TokenBurst.Target(
            Context("c" + k.ToString(CultureInfo.InvariantCulture)), AsUri(k % Ports.Length), TokenRequest(AudienceOf(k)), k % Ports.Length)).ToList();

    /// <summary>Client k asks for temp1 or exi1, in turn by groups of N, so every instance mints for both.</summary>
    public string AudienceOf(int client) => client / Ports.Length % 2 == 0 ? ClockAudience : ExiAudience;

    /// <summary>Every token in the database.</summary>
    public IReadOnlyList<IssuedTokenRecord> StoredTokens()
    {
        using IAuthorizationStore store = OpenStore(Db);
        return store.ListTokens();
    }

    /// <summary>
    /// The checks every fleet test makes: every 2.01 a client saw is stored and active (by the SHA-256 of its bytes, as
    /// introspection finds it); no cti, OSCORE_Input_Material id or exi sequence number is used twice.
    /// </summary>
    /// <returns>The stored tokens.</returns>
    public IReadOnlyList<IssuedTokenRecord> CheckNothingLostNothingReused(IReadOnlyList<TokenBurst.Outcome> outcomes)
    {
        IReadOnlyList<IssuedTokenRecord> stored = StoredTokens();
        var byHash = stored.ToDictionary(t => Convert.ToHexString(t.TokenHash), StringComparer.Ordinal);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var received = outcomes.Where(o => o.Error == null).ToList();
        var lost = received.Where(o => !byHash.ContainsKey(Convert.ToHexString(SHA256.HashData(o.Token!)))).ToList();
        Assert.True(lost.Count == 0, lost.Count + " of " + received.Count + " tokens the clients received are not in the database");
        var inactive = received.Select(o => byHash[Convert.ToHexString(SHA256.HashData(o.Token!))]).Where(t => t.Revoked || t.ExpiresAt <= now).ToList();
        Assert.True(inactive.Count == 0, inactive.Count + " received tokens are revoked or expired in the database");

        var ctiTwice = stored.GroupBy(t => Convert.ToHexString(t.Cti)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(ctiTwice.Count == 0, "cti stored more than once: " + string.Join(", ", ctiTwice.Take(5)));
        var idTwice = received.GroupBy(o => Convert.ToHexString(o.InputMaterialId!)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(idTwice.Count == 0, "OSCORE_Input_Material id sent more than once: " + string.Join(", ", idTwice.Take(5)));

        // RFC 9200 §5.10.3: the cti of an exi token carries the AS's sequence number for the RS, and the RS treats every
        // token numbered below the highest expired one as expired: whichever instance minted them, the numbers form
        // exactly first .. first + n − 1 (none repeated, none skipped; docs/cli.md, "Exi tokens and cti").
        long[] exi = stored.Where(t => t.Audience == ExiAudience).Select(t => ExiCti.SequenceOf(t.Cti, ExiAudience)).Order().ToArray();
        for (int i = 1; i < exi.Length; i++)
        {
            Assert.True(exi[i] == exi[i - 1] + 1, "the exi sequence of " + ExiAudience + " goes from " + exi[i - 1] + " to " + exi[i] + " (" + (exi[i] == exi[i - 1] ? "a number used twice" : "a gap") + ")");
        }

        return stored;
    }

    public void Dispose()
    {
        foreach (PopiotProcess? p in Instances)
        {
            p?.Dispose();
        }

        foreach (SecurityContext c in _contexts)
        {
            c.Dispose();
        }
    }

    private static IAuthorizationStore OpenStore(string db) => AuthorizationStores.Open(db);

    private static void Ok(params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, "popiot " + string.Join(' ', args) + " exited " + r.ExitCode + ": " + r.Out + r.Error);
    }
}
