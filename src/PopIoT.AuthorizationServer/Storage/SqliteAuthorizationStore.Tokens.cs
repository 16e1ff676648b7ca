using System.Globalization;
using Microsoft.Data.Sqlite;
using PopIoT.Ace;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>Issued tokens, their group commit and the counters of the SQLite store.</summary>
public sealed partial class SqliteAuthorizationStore
{
    private const string InsertToken = "INSERT INTO tokens VALUES ($a, $b, $c, $d, $e, $f, $g, $h, $i, $j, $k, $l)";
    private const string TakeExiNumber = "INSERT INTO exi_sequence VALUES ($a, $b) ON CONFLICT(audience) DO UPDATE SET last = last + 1 RETURNING last";

    /// <inheritdoc/>
    public Task AddTokenAsync(IssuedTokenRecord token, CancellationToken cancellationToken = default) => _commits.Enqueue(TokenWrite.Of(token), cancellationToken);

    /// <inheritdoc/>
    public Task<IssuedTokenRecord?> AddExiTokenAsync(string audience, long first, Func<long, IssuedTokenRecord?> mint, CancellationToken cancellationToken = default) =>
        _commits.Enqueue(TokenWrite.Exi(audience, first, mint), cancellationToken);

    /// <inheritdoc/>
    public long ReserveCtiPrefix()
    {
        long prefix = 0;
        WriteTransaction(c => prefix = Scalar(c, "UPDATE cti_prefix SET last = last + 1 WHERE id = 1 RETURNING last"));
        if (prefix > uint.MaxValue)
        {
            throw new AuthorizationStoreException("the cti prefixes of database '" + Path + "' are used up");
        }

        return prefix;
    }

    /// <inheritdoc/>
    public bool TryLoadExiSequence(string audience, out long last)
    {
        long? v = Query("SELECT last FROM exi_sequence WHERE audience = $a", r => (long?)r.GetInt64(0), audience).FirstOrDefault();
        last = v ?? 0;
        return v.HasValue;
    }

    /// <inheritdoc/>
    public long AdvanceExiSequence(string audience, long atLeast)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(atLeast);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(atLeast, ExiCti.MaxSequence);
        long last = 0;
        WriteTransaction(c => last = Scalar(c, "INSERT INTO exi_sequence VALUES ($a, $b) ON CONFLICT(audience) DO UPDATE SET last = max(last, excluded.last) RETURNING last", audience, atLeast));
        return last;
    }

    /// <inheritdoc/>
    public IssuedTokenRecord? FindTokenByHash(byte[] tokenHash) =>
        Query("SELECT * FROM tokens WHERE token_hash = $a", ReadToken, tokenHash).FirstOrDefault();

    /// <inheritdoc/>
    public IssuedTokenRecord? FindTokenByCti(byte[] cti) => Query("SELECT * FROM tokens WHERE cti = $a", ReadToken, cti).FirstOrDefault();

    /// <inheritdoc/>
    public IReadOnlyList<IssuedTokenRecord> FindTokens(string clientId, string audience) => QueryTokens(new TokenQuery(clientId, audience));

    /// <inheritdoc/>
    public IReadOnlyList<IssuedTokenRecord> ListTokens() => QueryTokens(new TokenQuery());

    /// <inheritdoc/>
    public IReadOnlyList<IssuedTokenRecord> QueryTokens(TokenQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Query("SELECT * FROM tokens WHERE " + TokenFilter(query) + TokenOrder(query), ReadToken, query.ClientId, query.Audience, query.ActiveAt);
    }

    /// <inheritdoc/>
    public int PurgeTokens(long now)
    {
        int n = 0;
        WriteTransaction(c => n = Run(c, "DELETE FROM tokens WHERE revoked != 0 OR expires_at <= $a", now));

        // Keeps the planner's statistics current as the table shrinks and grows (SQLite's advice for long-lived files).
        using SqliteConnection o = Open();
        Exec(o, "PRAGMA optimize;");
        return n;
    }

    /// <summary>The plan SQLite chooses for a token query (tests check that it uses an index).</summary>
    /// <param name="query">The filter.</param>
    /// <returns>EXPLAIN QUERY PLAN's lines.</returns>
    internal string ExplainTokenQuery(TokenQuery query) =>
        string.Join('\n', Query("EXPLAIN QUERY PLAN SELECT * FROM tokens WHERE " + TokenFilter(query) + TokenOrder(query), r => r.GetString(3), query.ClientId, query.Audience, query.ActiveAt));

    // Filtered: sort the few rows found by the filter's index (the unary + keeps SQLite from walking the whole issue-order
    // index instead, which it prefers when it cannot tell how selective a bound parameter is). Unfiltered: issue order.
    private static string TokenOrder(TokenQuery q) =>
        q.ClientId == null && q.Audience == null && q.ActiveAt == null ? " ORDER BY issued_at, rowid" : " ORDER BY +issued_at, rowid";

    // Only the conditions asked for, so the planner picks the index of each (client, audience, expiry).
    private static string TokenFilter(TokenQuery q) =>
        "1 = 1" + (q.ClientId == null ? " AND $a IS NULL" : " AND client_id = $a")
        + (q.Audience == null ? " AND $b IS NULL" : " AND audience = $b")
        + (q.ActiveAt == null ? " AND $c IS NULL" : " AND expires_at > $c AND revoked = 0");

    // Schema 4: each exi sequence continues from the highest number of the tokens stored so far.
    private static void FillExiSequences(SqliteConnection c)
    {
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        using (SqliteCommand cmd = Command(c, "SELECT cti, audience FROM tokens WHERE exi IS NOT NULL", []))
        using (SqliteDataReader r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                string audience = r.GetString(1);
                long n = ExiCti.SequenceOf(Blob(r, 0)!, audience);
                if (n > last.GetValueOrDefault(audience))
                {
                    last[audience] = n;
                }
            }
        }

        foreach (KeyValuePair<string, long> e in last)
        {
            Run(c, "INSERT INTO exi_sequence VALUES ($a, $b)", e.Key, e.Value);
        }
    }

    // One transaction (BEGIN IMMEDIATE: the write lock across processes) for the batch; each token under a savepoint,
    // so a duplicate cti or token hash, or a refused exi token, fails or skips only itself and gives its exi number back.
    private static void WriteBatch(SqliteConnection c, List<TokenWrite> batch, IssuedTokenRecord?[] results, Exception?[] failed)
    {
        for (int i = 0; i < batch.Count; i++)
        {
            TokenWrite w = batch[i];
            Exec(c, "SAVEPOINT one;");
            try
            {
                IssuedTokenRecord? t = w.Record;
                if (w.ExiAudience != null)
                {
                    // RFC 9200 §5.10.3: the RS's next number, exactly last + 1 (TokenWrite.CheckExi), in this transaction.
                    t = w.Mint!(TokenWrite.CheckExi(Scalar(c, TakeExiNumber, w.ExiAudience, w.First)));
                }

                if (t != null)
                {
                    Run(c, InsertToken, t.Cti, t.TokenHash, t.ClientId, t.Audience, t.Scope, t.Profile, t.IssuedAt, t.Exp, t.Exi, t.ExpiresAt, t.Cnf, t.Revoked ? 1 : 0);
                    Exec(c, "RELEASE one;");
                }
                else
                {
                    Exec(c, "ROLLBACK TO one; RELEASE one;");
                }

                results[i] = t;
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19)
            {
                Exec(c, "ROLLBACK TO one; RELEASE one;");
                failed[i] = new AuthorizationStoreException("a token with this cti or these bytes is already stored", e);
            }
            catch (Exception e) when (e is AuthorizationStoreException or ArgumentException or InvalidOperationException)
            {
                Exec(c, "ROLLBACK TO one; RELEASE one;");
                failed[i] = e as AuthorizationStoreException ?? new AuthorizationStoreException("the exi token for '" + w.ExiAudience + "' could not be made: " + e.Message, e);
            }
        }
    }

    // Every registry change bumps the version row in its own transaction, so every AS process sees it at its next check,
    // and after the commit tells the caches of this process at once (RegistryCache).
    private void RegistryTransaction(Func<SqliteConnection, bool> work)
    {
        WriteTransaction(c =>
        {
            if (work(c) && _schemaVersion >= SqliteMigrations.ExiSequenceVersion)
            {
                Run(c, "UPDATE registry_version SET version = version + 1 WHERE id = 1");
            }
        });
        RegistryCache.NoteLocalChange();
    }

    private static IssuedTokenRecord ReadToken(SqliteDataReader r) =>
        new(Blob(r, 0)!, Blob(r, 1)!, r.GetString(2), r.GetString(3), Blob(r, 4)!, r.GetInt32(5), r.GetInt64(6),
            r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : r.GetInt64(8), r.GetInt64(9), Blob(r, 10)!, r.GetInt64(11) != 0);
}
