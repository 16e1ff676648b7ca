using System.Net.Sockets;
using Npgsql;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>Issued tokens, their group commit, counters and the connection helpers of the PostgreSQL store.</summary>
public sealed partial class PostgresAuthorizationStore
{
    private const string TokenColumns = "cti, token_hash, client_id, audience, scope, profile, issued_at, exp, exi, expires_at, cnf, revoked";
    private const string InsertTokenOrFail = "INSERT INTO tokens (" + TokenColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    private const string InsertToken = InsertTokenOrFail + " ON CONFLICT DO NOTHING";
    private const string TakeExiNumber = "INSERT INTO exi_sequence VALUES ($1, $2) ON CONFLICT (audience) DO UPDATE SET last = exi_sequence.last + 1 RETURNING last";

    /// <inheritdoc/>
    public Task AddTokenAsync(IssuedTokenRecord token, CancellationToken cancellationToken = default) => _commits.Enqueue(TokenWrite.Of(token), cancellationToken);

    /// <inheritdoc/>
    public Task<IssuedTokenRecord?> AddExiTokenAsync(string audience, long first, Func<long, IssuedTokenRecord?> mint, CancellationToken cancellationToken = default) =>
        _commits.Enqueue(TokenWrite.Exi(audience, first, mint), cancellationToken);

    /// <inheritdoc/>
    public long ReserveCtiPrefix()
    {
        long prefix = 0;
        Transaction(c => prefix = Scalar(c, "UPDATE cti_prefix SET last = last + 1 WHERE id = 1 RETURNING last"));
        if (prefix > uint.MaxValue)
        {
            throw new AuthorizationStoreException("the cti prefixes of database " + Display + " are used up");
        }

        return prefix;
    }

    /// <inheritdoc/>
    public bool TryLoadExiSequence(string audience, out long last)
    {
        long? v = Query("SELECT last FROM exi_sequence WHERE audience = $1", r => (long?)r.GetInt64(0), audience).FirstOrDefault();
        last = v ?? 0;
        return v.HasValue;
    }

    /// <inheritdoc/>
    public long AdvanceExiSequence(string audience, long atLeast)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(atLeast);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(atLeast, PopIoT.Ace.ExiCti.MaxSequence);
        long last = 0;
        Transaction(c => last = Scalar(c, "INSERT INTO exi_sequence VALUES ($1, $2) ON CONFLICT (audience) DO UPDATE SET last = greatest(exi_sequence.last, excluded.last) RETURNING last", audience, atLeast));
        return last;
    }

    /// <inheritdoc/>
    public IssuedTokenRecord? FindTokenByHash(byte[] tokenHash) => Query("SELECT " + TokenColumns + " FROM tokens WHERE token_hash = $1", ReadToken, tokenHash).FirstOrDefault();

    /// <inheritdoc/>
    public IssuedTokenRecord? FindTokenByCti(byte[] cti) => Query("SELECT " + TokenColumns + " FROM tokens WHERE cti = $1", ReadToken, cti).FirstOrDefault();

    /// <inheritdoc/>
    public IReadOnlyList<IssuedTokenRecord> FindTokens(string clientId, string audience) => QueryTokens(new TokenQuery(clientId, audience));

    /// <inheritdoc/>
    public IReadOnlyList<IssuedTokenRecord> ListTokens() => QueryTokens(new TokenQuery());

    /// <inheritdoc/>
    public IReadOnlyList<IssuedTokenRecord> QueryTokens(TokenQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Query("SELECT " + TokenColumns + " FROM tokens WHERE " + TokenFilter(query) + " ORDER BY issued_at, added", ReadToken, query.ClientId, query.Audience, query.ActiveAt);
    }

    /// <inheritdoc/>
    public int PurgeTokens(long now)
    {
        int n = 0;
        Transaction(c => n = Run(c, "DELETE FROM tokens WHERE revoked OR expires_at <= $1", now));
        return n;
    }

    /// <summary>The plan PostgreSQL chooses for a token query (tests check that it uses an index).</summary>
    /// <param name="query">The filter.</param>
    /// <returns>EXPLAIN's text.</returns>
    internal string ExplainTokenQuery(TokenQuery query) =>
        string.Join('\n', Query("EXPLAIN SELECT " + TokenColumns + " FROM tokens WHERE " + TokenFilter(query) + " ORDER BY issued_at, added", r => r.GetString(0), query.ClientId, query.Audience, query.ActiveAt));

    // Typed parameters so that a null means "any" ($n IS NULL) and the planner still sees a plain equality otherwise.
    private static string TokenFilter(TokenQuery q) =>
        (q.ClientId == null ? "$1::text IS NULL" : "client_id = $1::text")
        + " AND " + (q.Audience == null ? "$2::text IS NULL" : "audience = $2::text")
        + " AND " + (q.ActiveAt == null ? "$3::bigint IS NULL" : "expires_at > $3::bigint AND NOT revoked");

    // One transaction for the batch: the minted tokens in one round trip; each exi token under a savepoint with the row
    // lock of its RS's sequence, so a refused or duplicate token gives its number back. A duplicate cti or token hash
    // fails only its own token.
    private static void WriteBatch(NpgsqlConnection c, List<TokenWrite> batch, IssuedTokenRecord?[] results, Exception?[] failed)
    {
        // The token must be durable before its response leaves, whatever the server's default: the first command of the
        // batch, so it costs no round trip of its own.
        using var plain = new NpgsqlBatch(c);
        plain.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = on"));
        var plainIndex = new List<int>();
        for (int i = 0; i < batch.Count; i++)
        {
            if (batch[i].Record is IssuedTokenRecord t)
            {
                var cmd = new NpgsqlBatchCommand(InsertToken);
                AddParameters(cmd.Parameters, TokenValues(t));
                plain.BatchCommands.Add(cmd);
                plainIndex.Add(i);
                results[i] = t;
            }
        }

        plain.ExecuteNonQuery();
        for (int j = 0; j < plainIndex.Count; j++)
        {
            if (plain.BatchCommands[j + 1].RecordsAffected == 0)
            {
                failed[plainIndex[j]] = new AuthorizationStoreException("a token with this cti or these bytes is already stored");
            }
        }

        // The RSs' sequence rows are locked in one order (by audience) by every instance, so two batches never deadlock.
        foreach (int i in Enumerable.Range(0, batch.Count).Where(i => batch[i].ExiAudience != null).OrderBy(i => batch[i].ExiAudience, StringComparer.Ordinal))
        {
            TokenWrite w = batch[i];

            try
            {
                // RFC 9200 §5.10.3: the RS's next number, exactly last + 1 (TokenWrite.CheckExi), with its row locked
                // until the commit; the savepoint and the number in one round trip, the token and the release in
                // another, so the lock that orders every instance's exi tokens for this RS is held briefly.
                long next = TokenWrite.CheckExi(FirstValue(c, ("SAVEPOINT exi", []), (TakeExiNumber, [w.ExiAudience, w.First])));
                IssuedTokenRecord? t = w.Mint!(next);
                if (t == null)
                {
                    Run(c, "ROLLBACK TO SAVEPOINT exi");
                }
                else
                {
                    FirstValue(c, (InsertTokenOrFail, TokenValues(t)), ("RELEASE SAVEPOINT exi", []));
                }

                results[i] = t;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                Run(c, "ROLLBACK TO SAVEPOINT exi");
                failed[i] = new AuthorizationStoreException("a token with this cti or these bytes is already stored", e);
            }
            catch (Exception e) when (e is AuthorizationStoreException or ArgumentException or InvalidOperationException or PostgresException)
            {
                Run(c, "ROLLBACK TO SAVEPOINT exi");
                failed[i] = e as AuthorizationStoreException ?? new AuthorizationStoreException("the exi token for '" + w.ExiAudience + "' could not be made: " + e.Message, e);
            }
        }
    }

    // Runs the commands in one round trip; the first value of the first row any of them returns, or 0.
    private static long FirstValue(NpgsqlConnection c, params (string Sql, object?[] Args)[] commands)
    {
        using var batch = new NpgsqlBatch(c);
        foreach ((string sql, object?[] args) in commands)
        {
            var cmd = new NpgsqlBatchCommand(sql);
            AddParameters(cmd.Parameters, args);
            batch.BatchCommands.Add(cmd);
        }

        using NpgsqlDataReader r = batch.ExecuteReader();
        do
        {
            if (r.FieldCount > 0 && r.Read())
            {
                return r.GetInt64(0);
            }
        }
        while (r.NextResult());
        return 0;
    }

    private static object?[] TokenValues(IssuedTokenRecord t) =>
        [t.Cti, t.TokenHash, t.ClientId, t.Audience, t.Scope, t.Profile, t.IssuedAt, t.Exp, t.Exi, t.ExpiresAt, t.Cnf, t.Revoked];

    private static IssuedTokenRecord ReadToken(NpgsqlDataReader r) =>
        new((byte[])r.GetValue(0), (byte[])r.GetValue(1), r.GetString(2), r.GetString(3), (byte[])r.GetValue(4), r.GetInt32(5), r.GetInt64(6),
            r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : r.GetInt64(8), r.GetInt64(9), (byte[])r.GetValue(10), r.GetBoolean(11));

    // Every registry change locks the version row first (serializing registry changes across instances, so the Sender ID
    // checks cannot race) and bumps it when something changed, in the same transaction.
    // The NOTIFY reaches every listening instance when the transaction commits (PostgresAuthorizationStore.Notify); the
    // caches of this process learn of it at once after the commit (RegistryCache).
    private void RegistryTransaction(Func<NpgsqlConnection, bool> work)
    {
        Transaction(c =>
        {
            Scalar(c, "SELECT version FROM registry_version WHERE id = 1 FOR UPDATE");
            if (work(c))
            {
                Run(c, "UPDATE registry_version SET version = version + 1 WHERE id = 1");
                Run(c, "NOTIFY " + RegistryChannel);
            }
        });
        RegistryCache.NoteLocalChange();
    }

    private void Transaction(Action<NpgsqlConnection> work) => Guarded(() =>
    {
        ObjectDisposedException.ThrowIf(_disposed && _commits.IsCompleted, this);
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlTransaction tx = c.BeginTransaction();
        work(c);
        tx.Commit();
        return true;
    });

    private List<T> Query<T>(string sql, Func<NpgsqlDataReader, T> read, params object?[] args) => Guarded(() =>
    {
        // PostgreSQL text cannot hold U+0000, so no stored name has one: a lookup by such a name (a malformed request
        // can carry one) finds nothing, as in SQLite, instead of failing.
        if (args.Any(a => a is string s && s.Contains('\0', StringComparison.Ordinal)))
        {
            return [];
        }

        ObjectDisposedException.ThrowIf(_disposed && _commits.IsCompleted, this);
        using NpgsqlConnection c = _source.OpenConnection();
        using var cmd = new NpgsqlCommand(sql, c);
        AddParameters(cmd.Parameters, args);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read())
        {
            list.Add(read(r));
        }

        return list;
    });

    // Npgsql's and the server's errors as the operator's causes: unreachable, refused login, missing database.
    private T Guarded<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (PostgresException e) when (e.SqlState is "28P01" or "28000")
        {
            throw new AuthorizationStoreException("PostgreSQL at " + Display + " refused the login: " + e.MessageText, e);
        }
        catch (PostgresException e) when (e.SqlState == "3D000")
        {
            throw new AuthorizationStoreException("database " + Display + " does not exist on the server; create it first (createdb)", e);
        }
        catch (NpgsqlException e) when (e is not PostgresException && (e.InnerException is SocketException or IOException or TimeoutException || e.Message.Contains("connect", StringComparison.OrdinalIgnoreCase)))
        {
            throw new AuthorizationStoreException("cannot reach the PostgreSQL server of " + Display + ": " + (e.InnerException?.Message ?? e.Message), e);
        }
        catch (PostgresException e)
        {
            throw new AuthorizationStoreException("PostgreSQL error in " + Display + " (" + e.SqlState + "): " + e.MessageText, e);
        }
        catch (NpgsqlException e)
        {
            throw new AuthorizationStoreException("PostgreSQL error in " + Display + ": " + e.Message, e);
        }
    }

    private static void AddParameters(NpgsqlParameterCollection parameters, object?[] args)
    {
        foreach (object? a in args)
        {
            parameters.Add(new NpgsqlParameter { Value = a ?? DBNull.Value });
        }
    }

    private static int Run(NpgsqlConnection c, string sql, params object?[] args)
    {
        using var cmd = new NpgsqlCommand(sql, c);
        AddParameters(cmd.Parameters, args);
        return cmd.ExecuteNonQuery();
    }

    private static long Scalar(NpgsqlConnection c, string sql, params object?[] args)
    {
        using var cmd = new NpgsqlCommand(sql, c);
        AddParameters(cmd.Parameters, args);
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
