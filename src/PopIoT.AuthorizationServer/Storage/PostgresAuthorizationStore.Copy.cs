using System.Data;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using PopIoT.Ace;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>Reading and writing the whole PostgreSQL store, for <c>popiot as migrate</c> (tokens by binary COPY).</summary>
public sealed partial class PostgresAuthorizationStore
{
    /// <inheritdoc/>
    public StoreSnapshot ReadAll() => Guarded(() =>
    {
        using NpgsqlConnection c = _source.OpenConnection();

        // One snapshot of the whole database while other instances keep writing.
        using NpgsqlTransaction tx = c.BeginTransaction(IsolationLevel.RepeatableRead);
        var snapshot = new StoreSnapshot(
            Read(c, "SELECT * FROM clients ORDER BY client_id COLLATE \"C\"", ReadClient),
            Read(c, "SELECT * FROM resource_servers ORDER BY audience COLLATE \"C\"", ReadServer),
            Read(c, "SELECT client_id, audience, scope FROM grants ORDER BY added", r => new GrantRecord(r.GetString(0), r.GetString(1), AccessScope.Decode((byte[])r.GetValue(2)))),
            Read(c, "SELECT " + TokenColumns + " FROM tokens ORDER BY issued_at, added", ReadToken),
            Read(c, "SELECT peer, next_unused FROM oscore_sequence", r => KeyValuePair.Create(r.GetString(0), r.GetInt64(1))).ToDictionary(),
            Read(c, "SELECT audience, last FROM exi_sequence", r => KeyValuePair.Create(r.GetString(0), r.GetInt64(1))).ToDictionary(),
            Scalar(c, "SELECT last FROM cti_prefix WHERE id = 1"));
        tx.Commit();
        return snapshot;
    });

    /// <inheritdoc/>
    public void WriteAll(StoreSnapshot snapshot, bool replace)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        RegistryTransaction(c =>
        {
            if (replace)
            {
                Run(c, "DELETE FROM grants; DELETE FROM tokens; DELETE FROM clients; DELETE FROM resource_servers");
            }
            else if (Scalar(c, "SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM resource_servers) + (SELECT count(*) FROM grants) + (SELECT count(*) FROM tokens)") != 0)
            {
                throw new AuthorizationStoreException("database " + Display + " is not empty; give --replace to delete what it holds first");
            }

            foreach (ClientRecord k in snapshot.Clients)
            {
                OscoreCredential o = k.Credential;
                Run(c, "INSERT INTO clients VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", k.ClientId, o.AsSenderId, o.PeerSenderId, o.MasterSecret, o.MasterSalt, o.Algorithm, k.CreatedAt, o.IdContext, k.Rekeying);
            }

            foreach (ResourceServerRecord s in snapshot.ResourceServers)
            {
                OscoreCredential? o = s.Credential;
                Run(
                    c,
                    "INSERT INTO resource_servers VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    s.Audience, s.CoseKey, s.Protection.ToString().ToLowerInvariant(), string.Join(',', s.Profiles.Select(p => p.ToString(CultureInfo.InvariantCulture))),
                    s.HasClock, s.MaxTokenBytes, o?.AsSenderId, o?.PeerSenderId, o?.MasterSecret, o?.MasterSalt, o?.Algorithm, s.CreatedAt);
            }

            foreach (GrantRecord g in snapshot.Grants)
            {
                Run(c, "INSERT INTO grants (client_id, audience, scope) VALUES ($1, $2, $3)", g.ClientId, g.Audience, g.Scope.Encode());
            }

            CopyTokens(c, snapshot.Tokens);

            // Counters only go up: a number this database already handed out stays used.
            foreach (KeyValuePair<string, long> e in snapshot.OscoreSequences)
            {
                Run(c, "INSERT INTO oscore_sequence VALUES ($1, $2) ON CONFLICT (peer) DO UPDATE SET next_unused = greatest(oscore_sequence.next_unused, excluded.next_unused)", e.Key, e.Value);
            }

            foreach (KeyValuePair<string, long> e in snapshot.ExiSequences)
            {
                Run(c, "INSERT INTO exi_sequence VALUES ($1, $2) ON CONFLICT (audience) DO UPDATE SET last = greatest(exi_sequence.last, excluded.last)", e.Key, e.Value);
            }

            Run(c, "UPDATE cti_prefix SET last = greatest(last, $1) WHERE id = 1", snapshot.CtiPrefix);
            return true;
        });
    }

    private static void CopyTokens(NpgsqlConnection c, IReadOnlyList<IssuedTokenRecord> tokens)
    {
        using NpgsqlBinaryImporter copy = c.BeginBinaryImport("COPY tokens (" + TokenColumns + ") FROM STDIN (FORMAT BINARY)");
        foreach (IssuedTokenRecord t in tokens)
        {
            copy.StartRow();
            copy.Write(t.Cti, NpgsqlDbType.Bytea);
            copy.Write(t.TokenHash, NpgsqlDbType.Bytea);
            copy.Write(t.ClientId, NpgsqlDbType.Text);
            copy.Write(t.Audience, NpgsqlDbType.Text);
            copy.Write(t.Scope, NpgsqlDbType.Bytea);
            copy.Write(t.Profile, NpgsqlDbType.Integer);
            copy.Write(t.IssuedAt, NpgsqlDbType.Bigint);
            WriteNullable(copy, t.Exp);
            WriteNullable(copy, t.Exi);
            copy.Write(t.ExpiresAt, NpgsqlDbType.Bigint);
            copy.Write(t.Cnf, NpgsqlDbType.Bytea);
            copy.Write(t.Revoked, NpgsqlDbType.Boolean);
        }

        copy.Complete();
    }

    private static void WriteNullable(NpgsqlBinaryImporter copy, long? value)
    {
        if (value is long v)
        {
            copy.Write(v, NpgsqlDbType.Bigint);
        }
        else
        {
            copy.WriteNull();
        }
    }

    private static List<T> Read<T>(NpgsqlConnection c, string sql, Func<NpgsqlDataReader, T> read)
    {
        using var cmd = new NpgsqlCommand(sql, c);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read())
        {
            list.Add(read(r));
        }

        return list;
    }
}
