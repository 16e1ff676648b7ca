using Microsoft.Data.Sqlite;
using PopIoT.Ace;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>Reading and writing the whole SQLite store, for <c>popiot as migrate</c>.</summary>
public sealed partial class SqliteAuthorizationStore
{
    /// <inheritdoc/>
    public StoreSnapshot ReadAll()
    {
        using SqliteConnection c = Open();

        // One read transaction: in WAL mode it sees one committed state throughout.
        Exec(c, "BEGIN;");
        try
        {
            return new StoreSnapshot(
                Read(c, "SELECT * FROM clients ORDER BY client_id", ReadClient),
                Read(c, "SELECT * FROM resource_servers ORDER BY audience", ReadServer),
                Read(c, "SELECT * FROM grants ORDER BY rowid", r => new GrantRecord(r.GetString(0), r.GetString(1), AccessScope.Decode(Blob(r, 2)!))),
                Read(c, "SELECT * FROM tokens ORDER BY issued_at, rowid", ReadToken),
                Read(c, "SELECT peer, next_unused FROM oscore_sequence", r => KeyValuePair.Create(r.GetString(0), r.GetInt64(1))).ToDictionary(),
                Read(c, "SELECT audience, last FROM exi_sequence", r => KeyValuePair.Create(r.GetString(0), r.GetInt64(1))).ToDictionary(),
                Scalar(c, "SELECT last FROM cti_prefix WHERE id = 1"));
        }
        finally
        {
            Exec(c, "COMMIT;");
        }
    }

    /// <inheritdoc/>
    public void WriteAll(StoreSnapshot snapshot, bool replace)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        WriteTransaction(c =>
        {
            if (replace)
            {
                Exec(c, "DELETE FROM grants; DELETE FROM tokens; DELETE FROM clients; DELETE FROM resource_servers;");
            }
            else if (Scalar(c, "SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM resource_servers) + (SELECT count(*) FROM grants) + (SELECT count(*) FROM tokens)") != 0)
            {
                throw new AuthorizationStoreException("database '" + Path + "' is not empty; give --replace to delete what it holds first");
            }

            foreach (ClientRecord k in snapshot.Clients)
            {
                OscoreCredential o = k.Credential;
                Run(
                    c,
                    "INSERT INTO clients (client_id, as_sender_id, peer_sender_id, master_secret, master_salt, alg, created_at, id_context, rekeying, profiles) VALUES ($a, $b, $c, $d, $e, $f, $g, $h, $i, $j)",
                    k.ClientId, o.AsSenderId, o.PeerSenderId, o.MasterSecret, o.MasterSalt, o.Algorithm, k.CreatedAt, o.IdContext, k.Rekeying ? 1 : 0, ProfileColumn.Format(k.ProfilesOrDefault));
            }

            foreach (ResourceServerRecord s in snapshot.ResourceServers)
            {
                OscoreCredential? o = s.Credential;
                Run(
                    c,
                    "INSERT INTO resource_servers (audience, cose_key, protection, profiles, has_clock, max_token_bytes, as_sender_id, peer_sender_id, master_secret, master_salt, alg, created_at, rs_cnf) VALUES ($a, $b, $c, $d, $e, $f, $g, $h, $i, $j, $k, $l, $m)",
                    s.Audience, s.CoseKey, s.Protection.ToString().ToLowerInvariant(), ProfileColumn.Format(s.Profiles),
                    s.HasClock ? 1 : 0, s.MaxTokenBytes, o?.AsSenderId, o?.PeerSenderId, o?.MasterSecret, o?.MasterSalt, o?.Algorithm, s.CreatedAt, s.RsPublicKey);
            }

            foreach (GrantRecord g in snapshot.Grants)
            {
                Run(c, "INSERT INTO grants VALUES ($a, $b, $c)", g.ClientId, g.Audience, g.Scope.Encode());
            }

            foreach (IssuedTokenRecord t in snapshot.Tokens)
            {
                Run(c, InsertToken, t.Cti, t.TokenHash, t.ClientId, t.Audience, t.Scope, t.Profile, t.IssuedAt, t.Exp, t.Exi, t.ExpiresAt, t.Cnf, t.Revoked ? 1 : 0);
            }

            // Counters only go up: a number this database already handed out stays used.
            foreach (KeyValuePair<string, long> e in snapshot.OscoreSequences)
            {
                Run(c, "INSERT INTO oscore_sequence VALUES ($a, $b) ON CONFLICT(peer) DO UPDATE SET next_unused = max(next_unused, excluded.next_unused)", e.Key, e.Value);
            }

            foreach (KeyValuePair<string, long> e in snapshot.ExiSequences)
            {
                Run(c, "INSERT INTO exi_sequence VALUES ($a, $b) ON CONFLICT(audience) DO UPDATE SET last = max(last, excluded.last)", e.Key, e.Value);
            }

            Run(c, "UPDATE cti_prefix SET last = max(last, $a) WHERE id = 1", snapshot.CtiPrefix);
            Run(c, "UPDATE registry_version SET version = version + 1 WHERE id = 1");
        });
        RegistryCache.NoteLocalChange();
    }

    private static List<T> Read<T>(SqliteConnection c, string sql, Func<SqliteDataReader, T> read)
    {
        using SqliteCommand cmd = Command(c, sql, []);
        using SqliteDataReader r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read())
        {
            list.Add(read(r));
        }

        return list;
    }
}
