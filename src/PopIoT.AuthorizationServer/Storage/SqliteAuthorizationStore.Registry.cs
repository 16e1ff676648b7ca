using System.Globalization;
using Microsoft.Data.Sqlite;
using PopIoT.Ace;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>The registry of the SQLite store: clients, resource servers, their credentials and grants.</summary>
public sealed partial class SqliteAuthorizationStore
{
    /// <inheritdoc/>
    public void AddClient(ClientRecord client)
    {
        ArgumentNullException.ThrowIfNull(client);
        OscoreCredential k = client.Credential;

        // Schema 3 (RFC 8613 Appendix B.2); a file kept at an older version has no such columns.
        bool rekeyingColumns = SchemaVersion >= 3;
        bool profileColumns = SchemaVersion >= 5;
        RegistryTransaction(c =>
        {
            if (Scalar(c, "SELECT count(*) FROM clients WHERE client_id = $a", client.ClientId) != 0)
            {
                throw new AuthorizationStoreException("client '" + client.ClientId + "' is already registered");
            }

            CheckPeerIdFree(c, k.PeerSenderId);
            Run(c, "INSERT INTO clients (client_id, as_sender_id, peer_sender_id, master_secret, master_salt, alg, created_at) VALUES ($a, $b, $c, $d, $e, $f, $g)", client.ClientId, k.AsSenderId, k.PeerSenderId, k.MasterSecret, k.MasterSalt, k.Algorithm, client.CreatedAt);
            if (rekeyingColumns)
            {
                Run(c, "UPDATE clients SET id_context = $b, rekeying = $c WHERE client_id = $a", client.ClientId, k.IdContext, client.Rekeying ? 1 : 0);
            }

            if (profileColumns)
            {
                Run(c, "UPDATE clients SET profiles = $b WHERE client_id = $a", client.ClientId, ProfileColumn.Format(client.ProfilesOrDefault));
            }

            return true;
        });
    }

    /// <inheritdoc/>
    public ClientRecord? FindClient(string clientId) =>
        Query("SELECT * FROM clients WHERE client_id = $a", ReadClient, clientId).FirstOrDefault();

    /// <inheritdoc/>
    public IReadOnlyList<ClientRecord> ListClients() => Query("SELECT * FROM clients ORDER BY client_id", ReadClient);

    /// <inheritdoc/>
    public void AddResourceServer(ResourceServerRecord server)
    {
        ArgumentNullException.ThrowIfNull(server);
        OscoreCredential? k = server.Credential;
        RegistryTransaction(c =>
        {
            if (Scalar(c, "SELECT count(*) FROM resource_servers WHERE audience = $a", server.Audience) != 0)
            {
                throw new AuthorizationStoreException("resource server '" + server.Audience + "' is already registered");
            }

            if (k != null)
            {
                CheckPeerIdFree(c, k.PeerSenderId);
            }

            Run(
                c,
                "INSERT INTO resource_servers (audience, cose_key, protection, profiles, has_clock, max_token_bytes, as_sender_id, peer_sender_id, master_secret, master_salt, alg, created_at) VALUES ($a, $b, $c, $d, $e, $f, $g, $h, $i, $j, $k, $l)",
                server.Audience, server.CoseKey, server.Protection.ToString().ToLowerInvariant(),
                ProfileColumn.Format(server.Profiles), server.HasClock ? 1 : 0, server.MaxTokenBytes,
                k?.AsSenderId, k?.PeerSenderId, k?.MasterSecret, k?.MasterSalt, k?.Algorithm, server.CreatedAt);
            if (server.RsPublicKey != null)
            {
                Run(c, "UPDATE resource_servers SET rs_cnf = $b WHERE audience = $a", server.Audience, server.RsPublicKey);
            }

            return true;
        });
    }

    /// <inheritdoc/>
    public ResourceServerRecord? FindResourceServer(string audience) =>
        Query("SELECT * FROM resource_servers WHERE audience = $a", ReadServer, audience).FirstOrDefault();

    /// <inheritdoc/>
    public IReadOnlyList<ResourceServerRecord> ListResourceServers() => Query("SELECT * FROM resource_servers ORDER BY audience", ReadServer);

    /// <inheritdoc/>
    public int Remove(bool isResourceServer, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string table = isResourceServer ? "resource_servers" : "clients";
        string key = isResourceServer ? "audience" : "client_id";
        int revoked = -1;
        RegistryTransaction(c =>
        {
            if (Scalar(c, "SELECT count(*) FROM " + table + " WHERE " + key + " = $a", name) == 0)
            {
                return false;
            }

            Run(c, "DELETE FROM grants WHERE " + key + " = $a", name);
            revoked = Run(c, "UPDATE tokens SET revoked = 1 WHERE " + key + " = $a AND revoked = 0", name);
            Run(c, "DELETE FROM " + table + " WHERE " + key + " = $a", name);
            return true;
        });
        return revoked;
    }

    /// <inheritdoc/>
    public void ReplaceCredential(bool isResourceServer, string name, OscoreCredential credential)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(credential);
        string table = isResourceServer ? "resource_servers" : "clients";
        string key = isResourceServer ? "audience" : "client_id";
        RegistryTransaction(c =>
        {
            if (Scalar(c, "SELECT count(*) FROM " + table + " WHERE " + key + " = $a", name) == 0)
            {
                throw new AuthorizationStoreException((isResourceServer ? "unknown audience '" : "unknown client '") + name + "'");
            }

            CheckPeerIdFree(c, credential.PeerSenderId);
            Run(
                c,
                "UPDATE " + table + " SET as_sender_id = $b, peer_sender_id = $c, master_secret = $d, master_salt = $e, alg = $f" + (isResourceServer ? string.Empty : ", id_context = NULL") + " WHERE " + key + " = $a",
                name, credential.AsSenderId, credential.PeerSenderId, credential.MasterSecret, credential.MasterSalt, credential.Algorithm);
            return true;
        });
    }

    /// <inheritdoc/>
    public bool SetRekeying(string clientId, bool allowed)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        int changed = 0;
        RegistryTransaction(c => (changed = Run(c, "UPDATE clients SET rekeying = $b WHERE client_id = $a", clientId, allowed ? 1 : 0)) > 0);
        return changed == 1;
    }

    /// <inheritdoc/>
    public bool SetIdContext(string clientId, byte[] peerSenderId, byte[] idContext)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(peerSenderId);
        ArgumentNullException.ThrowIfNull(idContext);
        int changed = 0;
        RegistryTransaction(c => (changed = Run(c, "UPDATE clients SET id_context = $b WHERE client_id = $a AND peer_sender_id = $c AND rekeying = 1", clientId, idContext, peerSenderId)) > 0);
        return changed == 1;
    }

    /// <inheritdoc/>
    /// <remarks>Zero: the version is read in this process from the file's pages, so every request reads it and sees a
    /// change made by another process (the CLI) at once.</remarks>
    public TimeSpan RegistryVersionMaxAge => TimeSpan.Zero;

    /// <inheritdoc/>
    public long RegistryChangesHeard => 0;

    /// <inheritdoc/>
    public string RegistryVersion()
    {
        using SqliteConnection c = Open();
        if (_schemaVersion >= SqliteMigrations.ExiSequenceVersion)
        {
            return Scalar(c, "SELECT version FROM registry_version WHERE id = 1").ToString(CultureInfo.InvariantCulture);
        }

        // A file kept at an older schema (tests): who is registered and under which OSCORE Sender IDs.
        using SqliteCommand cmd = Command(
            c,
            "SELECT ifnull((SELECT group_concat(client_id || '=' || hex(peer_sender_id) || '/' || hex(as_sender_id) || '/' || ifnull(hex(id_context), '') || '/' || rekeying, ',') FROM clients), '') || '|' || "
            + "ifnull((SELECT group_concat(audience || '=' || ifnull(hex(peer_sender_id), '') || '/' || ifnull(hex(as_sender_id), ''), ',') FROM resource_servers), '')",
            []);
        return (string)cmd.ExecuteScalar()!;
    }

    /// <inheritdoc/>
    public bool IsPeerSenderIdTaken(byte[] peerSenderId)
    {
        using SqliteConnection c = Open();
        return PeerIdTaken(c, peerSenderId);
    }

    /// <inheritdoc/>
    public void AddGrant(GrantRecord grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        RegistryTransaction(c =>
        {
            if (Scalar(c, "SELECT count(*) FROM clients WHERE client_id = $a", grant.ClientId) == 0)
            {
                throw new AuthorizationStoreException("unknown client '" + grant.ClientId + "'; register it with `popiot as client add`");
            }

            if (Scalar(c, "SELECT count(*) FROM resource_servers WHERE audience = $a", grant.Audience) == 0)
            {
                throw new AuthorizationStoreException("unknown audience '" + grant.Audience + "'; register it with `popiot as rs add`");
            }

            return Run(c, "INSERT OR IGNORE INTO grants VALUES ($a, $b, $c)", grant.ClientId, grant.Audience, grant.Scope.Encode()) > 0;
        });
    }

    /// <inheritdoc/>
    public IReadOnlyList<GrantRecord> FindGrants(string clientId, string audience) =>
        Query("SELECT * FROM grants WHERE client_id = $a AND audience = $b ORDER BY rowid", r => new GrantRecord(r.GetString(0), r.GetString(1), AccessScope.Decode(Blob(r, 2)!)), clientId, audience);

    private static bool PeerIdTaken(SqliteConnection c, byte[] id) =>
        Scalar(c, "SELECT (SELECT count(*) FROM clients WHERE peer_sender_id = $a) + (SELECT count(*) FROM resource_servers WHERE peer_sender_id = $a)", id) != 0;

    private static void CheckPeerIdFree(SqliteConnection c, byte[] id)
    {
        if (PeerIdTaken(c, id))
        {
            throw new AuthorizationStoreException("OSCORE Sender ID " + Convert.ToHexStringLower(id) + " is already used by another client or resource server");
        }
    }

    // Columns by name: migrations append them, and a file kept at an older version lacks the later ones.
    private static ClientRecord ReadClient(SqliteDataReader r) =>
        new(r.GetString(0), new OscoreCredential(Blob(r, 1)!, Blob(r, 2)!, Blob(r, 3)!, Blob(r, 4)!, r.GetInt32(5), Blob(r, 7)), r.GetInt64(6), r.GetInt64(8) != 0,
            HasColumn(r, "profiles") ? ProfileColumn.Parse(r.GetString(r.GetOrdinal("profiles"))) : null);

    private static ResourceServerRecord ReadServer(SqliteDataReader r)
    {
        OscoreCredential? k = r.IsDBNull(6) ? null : new OscoreCredential(Blob(r, 6)!, Blob(r, 7)!, Blob(r, 8)!, Blob(r, 9)!, r.GetInt32(10));
        TokenProtection protection = Enum.Parse<TokenProtection>(r.GetString(2), ignoreCase: true);
        byte[]? rsCnf = HasColumn(r, "rs_cnf") ? Blob(r, r.GetOrdinal("rs_cnf")) : null;
        return new ResourceServerRecord(r.GetString(0), Blob(r, 1)!, protection, ProfileColumn.Parse(r.GetString(3)), r.GetInt64(4) != 0, r.GetInt32(5), k, r.GetInt64(11), rsCnf);
    }

    private static bool HasColumn(SqliteDataReader r, string name)
    {
        for (int i = 0; i < r.FieldCount; i++)
        {
            if (r.GetName(i) == name)
            {
                return true;
            }
        }

        return false;
    }
}
