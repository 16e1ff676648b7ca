using System.Diagnostics;
using Microsoft.Data.Sqlite;
using PopIoT.Ace;
using PopIoT.AuthorizationServer;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Crypto;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// Tokens per second from the AS token endpoint against SQLite (policy lookups, an Encrypt0 CWT with fresh
/// OSCORE_Input_Material, a durable commit; RFC 9200 §5.8), for one client at a time and for 32 clients at once
/// (group commit shares the fsync). Baseline: the floor of durability, one token-sized row committed alone
/// (synchronous=FULL) into the same database file, as tests/PopIoT.Benchmarks' AuthorizationServerBenchmarks does.
/// </summary>
internal sealed class AsTokensComparison : ISuiteComparison
{
    private const int Concurrent = 32;

    public string Id => "as-tokens";

    public string Title => "Authorization server: tokens per second";

    public IReadOnlyList<string> Series => ["sqlite-commit-one-row", "as-token-1-client", "as-token-32-clients"];

    public int Steps(SuiteSettings settings) => 3;

    public async Task RunAsync(SuiteRun run)
    {
        string db = Path.Combine(run.Scratch, "as-bench.db");
        using var store = SqliteAuthorizationStore.Create(db);
        var registry = new AuthorizationServerRegistry(store, PlatformCryptoProvider.Instance.Random);
        registry.AddResourceServer("temp1");
        AcePeer[] peers = Enumerable.Range(0, Concurrent).Select(i =>
        {
            registry.AddClient("c" + i);
            registry.Grant("c" + i, "temp1", AccessScope.Parse("""[["/temp",1],["/led",5]]"""));
            return new AcePeer(false, "c" + i);
        }).ToArray();
        using var server = new AceAuthorizationServer(store, new AuthorizationServerSettings(), PlatformCryptoProvider.Instance);
        byte[] buffer = new byte[64];
        var w = new CborWriter(buffer);
        w.WriteStartMap(1);
        w.WriteInt32(AceParameters.Audience);
        w.WriteTextString("temp1");
        byte[] request = buffer.AsSpan(0, w.BytesWritten).ToArray();

        int n = run.Settings.AsTokensOneClient;
        double commitsPerSecond;
        using (var raw = new SqliteConnection("Data Source=" + db))
        {
            raw.Open();
            Exec(raw, "PRAGMA synchronous=FULL; CREATE TABLE scratch (id INTEGER PRIMARY KEY, cti BLOB, hash BLOB, client TEXT, aud TEXT, scope BLOB, cnf BLOB);");
            Exec(raw, "INSERT INTO scratch VALUES (0, randomblob(8), randomblob(32), 'c0', 'temp1', randomblob(25), randomblob(32))");
            var sw = Stopwatch.StartNew();
            for (int i = 1; i <= n; i++)
            {
                Exec(raw, "INSERT INTO scratch VALUES (" + i + ", randomblob(8), randomblob(32), 'c0', 'temp1', randomblob(25), randomblob(32))");
            }

            commitsPerSecond = n / sw.Elapsed.TotalSeconds;
        }

        Emit(run, "sqlite-commit-one-row", 1, n, commitsPerSecond, null);
        run.Progress.Step(Id + ": a lone SQLite commit " + Math.Round(commitsPerSecond) + "/s");

        for (int i = 0; i < 5; i++)
        {
            Check(await server.Token.HandleAsync(peers[0], request).ConfigureAwait(false));
        }

        var one = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            Check(await server.Token.HandleAsync(peers[0], request).ConfigureAwait(false));
        }

        double oneClient = n / one.Elapsed.TotalSeconds;
        Emit(run, "as-token-1-client", 1, n, oneClient, commitsPerSecond);
        run.Progress.Step(Id + ": 1 client " + Math.Round(oneClient) + " tokens/s");

        int batches = run.Settings.AsBatches32;
        var many = Stopwatch.StartNew();
        for (int b = 0; b < batches; b++)
        {
            AceResponse[] all = await Task.WhenAll(peers.Select(p => server.Token.HandleAsync(p, request))).ConfigureAwait(false);
            Array.ForEach(all, Check);
        }

        double manyClients = batches * Concurrent / many.Elapsed.TotalSeconds;
        Emit(run, "as-token-32-clients", Concurrent, batches * Concurrent, manyClients, commitsPerSecond);
        run.Progress.Step(Id + ": 32 clients " + Math.Round(manyClients) + " tokens/s");
        SqliteConnection.ClearAllPools();
    }

    private void Emit(SuiteRun run, string series, int clients, int count, double perSecond, double? baseline)
    {
        var r = SuiteRecord.Create(SuiteRecord.Figure, Id, series, "in-process");
        r["concurrency"] = clients;
        r["n"] = count;
        r["per_s"] = Math.Round(perSecond);
        if (baseline is double b)
        {
            // Above 1: more tokens per second than lone durable commits (group commit); below: the endpoint's own cost.
            r["baseline"] = "sqlite-commit-one-row";
            r["ratio"] = SuiteRecord.Round(perSecond / b);
        }

        run.Emit(r);
    }

    private static void Check(AceResponse r)
    {
        if (r.Code != Core.Coap.CoapCode.Created)
        {
            throw new InvalidOperationException("the token endpoint answered " + r.Code + " in the benchmark set-up");
        }
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
