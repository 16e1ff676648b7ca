using Microsoft.Data.Sqlite;
using Npgsql;
using PopIoT.AuthorizationServer.Storage;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// `popiot as tokens` stays fast with a million tokens: the store answers its filters (client, audience, still
/// active) from indexes. Proved by the query plan over a million rows inserted in bulk, not by timing.
/// </summary>
public abstract class TokenIndexTests(StoreKind kind) : IDisposable
{
    private const int Rows = 1_000_000;
    private const long Now = 1_800_000_000;
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        GC.SuppressFinalize(this);
    }

    [SkippableFact]
    public void Token_queries_over_a_million_rows_use_the_client_audience_and_expiry_indexes()
    {
        TestStore db = TestStore.Create(kind, out IAuthorizationStore store);
        _owned.Add(db);
        _owned.Add(store);

        // 1,000 clients, 100 audiences; all but the last 1% of tokens expired long ago (what the purge leaves between runs).
        BulkInsert(db.Db);
        Assert.Equal(Rows / 1000, store.QueryTokens(new TokenQuery(ClientId: "c7", Audience: "rs7")).Count);

        string byClient = Explain(store, new TokenQuery(ClientId: "c7"));
        string byBoth = Explain(store, new TokenQuery(ClientId: "c7", Audience: "rs7"));
        string byAudience = Explain(store, new TokenQuery(Audience: "rs7"));
        string active = Explain(store, new TokenQuery(ActiveAt: Now));
        Assert.Contains("tokens_by_client", byClient, StringComparison.Ordinal);
        Assert.Contains("tokens_by_client", byBoth, StringComparison.Ordinal);
        Assert.Contains("tokens_by_audience", byAudience, StringComparison.Ordinal);
        Assert.Contains("tokens_by_expiry", active, StringComparison.Ordinal);
        foreach (string plan in new[] { byClient, byBoth, byAudience, active })
        {
            // Never a walk over the whole table.
            Assert.DoesNotMatch(@"(?m)^(SCAN tokens\s*$|.*Seq Scan on tokens)", plan);
        }

        Assert.Equal(Rows / 100, store.QueryTokens(new TokenQuery(ActiveAt: Now)).Count);
    }

    private static string Explain(IAuthorizationStore store, TokenQuery q) => store switch
    {
        SqliteAuthorizationStore s => s.ExplainTokenQuery(q),
        PostgresAuthorizationStore p => p.ExplainTokenQuery(q),
        _ => throw new InvalidOperationException("unknown store"),
    };

    // One statement each, inside the database engine, with the store's own secondary indexes dropped first and then
    // made again from their stored definitions (a bulk load's usual order: far faster than updating them row by row).
    private void BulkInsert(string db)
    {
        const string Columns = "(cti, token_hash, client_id, audience, scope, profile, issued_at, exp, exi, expires_at, cnf, revoked)";
        if (kind == StoreKind.Postgres)
        {
            using var c = new NpgsqlConnection(PostgresConnectionString.Parse(db).ConnectionString);
            c.Open();
            List<string> indexes = Read(c, "SELECT indexdef FROM pg_indexes WHERE tablename = 'tokens' AND indexname LIKE 'tokens_by_%'");
            Assert.Equal(4, indexes.Count);
            Exec(c, "DROP INDEX tokens_by_client, tokens_by_audience, tokens_by_expiry, tokens_by_issue");
            Exec(c, "INSERT INTO tokens " + Columns + " SELECT int8send(i), sha256(int8send(i)), 'c' || (i % 1000), 'rs' || (i % 100), '\\x01', 2, "
                + "i, i + 3600, NULL, CASE WHEN i > 990000 THEN 1900000000 ELSE 1000000000 + i END, '\\x02', false FROM generate_series(1, 1000000) AS i");
            indexes.ForEach(sql => Exec(c, sql));
            Exec(c, "ANALYZE tokens");
        }
        else
        {
            using var c = new SqliteConnection("Data Source=" + db + ";Pooling=False");
            c.Open();
            List<string> indexes = Read(c, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name LIKE 'tokens_by_%'");
            Assert.Equal(4, indexes.Count);
            Exec(c, "DROP INDEX tokens_by_client; DROP INDEX tokens_by_audience; DROP INDEX tokens_by_expiry; DROP INDEX tokens_by_issue;");
            Exec(c, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) INSERT INTO tokens " + Columns
                + " SELECT CAST(printf('%08d', i) AS BLOB), CAST(printf('h%08d', i) AS BLOB), 'c' || (i % 1000), 'rs' || (i % 100), x'01', 2, "
                + "i, i + 3600, NULL, CASE WHEN i > 990000 THEN 1900000000 ELSE 1000000000 + i END, x'02', 0 FROM n");
            indexes.ForEach(sql => Exec(c, sql));
            Exec(c, "ANALYZE");
        }
    }

    private static List<string> Read(System.Data.Common.DbConnection c, string sql)
    {
        using System.Data.Common.DbCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using System.Data.Common.DbDataReader r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read())
        {
            list.Add(r.GetString(0));
        }

        return list;
    }

    private static void Exec(System.Data.Common.DbConnection c, string sql)
    {
        using System.Data.Common.DbCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 600;
        cmd.ExecuteNonQuery();
    }
}

/// <summary>The plans on SQLite.</summary>
public sealed class TokenIndexTestsOnSqlite() : TokenIndexTests(StoreKind.Sqlite);

/// <summary>The plans on PostgreSQL.</summary>
public sealed class TokenIndexTestsOnPostgres() : TokenIndexTests(StoreKind.Postgres);
