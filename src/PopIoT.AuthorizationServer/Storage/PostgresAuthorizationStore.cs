using System.Globalization;
using Npgsql;
using PopIoT.Ace;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// The server store (Npgsql), shared by several AS instances: a versioned schema upgraded by ordered migrations
/// (<see cref="PostgresMigrations"/>, one instance at a time under an advisory lock); every registry change locks and
/// bumps the registry_version row in its transaction, so changes are serialized across instances and each instance
/// sees them at its next check; issued tokens go through one writer task per instance that commits whatever is pending
/// in one transaction (group commit) with synchronous_commit on, so a token is durable before its caller goes on; exi
/// sequence numbers are taken with a row lock inside that transaction (RFC 9200 §5.10.3).
/// </summary>
public sealed partial class PostgresAuthorizationStore : IAuthorizationStore
{
    private const long MigrationLockKey = 0x706F70696F74; // "popiot"
    private readonly NpgsqlDataSource _source;
    private readonly GroupCommit _commits;
    private bool _disposed;

    private PostgresAuthorizationStore(NpgsqlConnectionStringBuilder settings)
    {
        Display = PostgresConnectionString.Display(settings);
        _source = NpgsqlDataSource.Create(settings);
        _commits = new GroupCommit("postgresql", nameof(PostgresAuthorizationStore), (batch, results, failed) => Transaction(c => WriteBatch(c, batch, results, failed)));
    }

    /// <summary>The server and database, without a password.</summary>
    public string Display { get; }

    /// <summary>The schema version of the database.</summary>
    public int SchemaVersion => Guarded(() =>
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return ReadVersion(c);
    });

    /// <summary>The schema version this code writes.</summary>
    public static int LatestSchemaVersion => PostgresMigrations.LatestVersion;

    /// <summary>Creates the schema in an existing, empty database (<c>popiot as init</c>).</summary>
    /// <param name="db">postgres://… or a connection string.</param>
    /// <returns>The open store.</returns>
    /// <exception cref="AuthorizationStoreException">Unreachable, refused, or already initialised.</exception>
    public static PostgresAuthorizationStore Create(string db) => OpenCore(db, create: true);

    /// <summary>Opens an initialised database, applying the migrations it lacks.</summary>
    /// <param name="db">postgres://… or a connection string.</param>
    /// <returns>The open store.</returns>
    /// <exception cref="AuthorizationStoreException">Unreachable, refused, not initialised, or a newer schema.</exception>
    public static PostgresAuthorizationStore Open(string db) => OpenCore(db, create: false);

    /// <summary>Opens a database, creating the schema first when it has none (the target of <c>popiot as migrate</c>).</summary>
    /// <param name="db">postgres://… or a connection string.</param>
    /// <returns>The open store.</returns>
    /// <exception cref="AuthorizationStoreException">Unreachable, refused, or a newer schema.</exception>
    public static PostgresAuthorizationStore OpenOrCreate(string db) => OpenCore(db, create: null);

    /// <inheritdoc/>
    public void AddClient(ClientRecord client)
    {
        ArgumentNullException.ThrowIfNull(client);
        OscoreCredential k = client.Credential;
        RegistryTransaction(c =>
        {
            if (Scalar(c, "SELECT count(*) FROM clients WHERE client_id = $1", client.ClientId) != 0)
            {
                throw new AuthorizationStoreException("client '" + client.ClientId + "' is already registered");
            }

            CheckPeerIdFree(c, k.PeerSenderId);
            Run(
                c,
                "INSERT INTO clients (client_id, as_sender_id, peer_sender_id, master_secret, master_salt, alg, created_at, id_context, rekeying, profiles) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                client.ClientId, k.AsSenderId, k.PeerSenderId, k.MasterSecret, k.MasterSalt, k.Algorithm, client.CreatedAt, k.IdContext, client.Rekeying, ProfileColumn.Format(client.ProfilesOrDefault));
            return true;
        });
    }

    /// <inheritdoc/>
    public ClientRecord? FindClient(string clientId) => Query("SELECT * FROM clients WHERE client_id = $1", ReadClient, clientId).FirstOrDefault();

    /// <inheritdoc/>
    public IReadOnlyList<ClientRecord> ListClients() => Query("SELECT * FROM clients ORDER BY client_id COLLATE \"C\"", ReadClient);

    /// <inheritdoc/>
    public void AddResourceServer(ResourceServerRecord server)
    {
        ArgumentNullException.ThrowIfNull(server);
        OscoreCredential? k = server.Credential;
        RegistryTransaction(c =>
        {
            if (Scalar(c, "SELECT count(*) FROM resource_servers WHERE audience = $1", server.Audience) != 0)
            {
                throw new AuthorizationStoreException("resource server '" + server.Audience + "' is already registered");
            }

            if (k != null)
            {
                CheckPeerIdFree(c, k.PeerSenderId);
            }

            Run(
                c,
                "INSERT INTO resource_servers (audience, cose_key, protection, profiles, has_clock, max_token_bytes, as_sender_id, peer_sender_id, master_secret, master_salt, alg, created_at, rs_cnf) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                server.Audience, server.CoseKey, server.Protection.ToString().ToLowerInvariant(),
                ProfileColumn.Format(server.Profiles), server.HasClock, server.MaxTokenBytes,
                k?.AsSenderId, k?.PeerSenderId, k?.MasterSecret, k?.MasterSalt, k?.Algorithm, server.CreatedAt, server.RsPublicKey);
            return true;
        });
    }

    /// <inheritdoc/>
    public ResourceServerRecord? FindResourceServer(string audience) => Query("SELECT * FROM resource_servers WHERE audience = $1", ReadServer, audience).FirstOrDefault();

    /// <inheritdoc/>
    public IReadOnlyList<ResourceServerRecord> ListResourceServers() => Query("SELECT * FROM resource_servers ORDER BY audience COLLATE \"C\"", ReadServer);

    /// <inheritdoc/>
    public int Remove(bool isResourceServer, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string table = isResourceServer ? "resource_servers" : "clients";
        string key = isResourceServer ? "audience" : "client_id";
        int revoked = -1;
        RegistryTransaction(c =>
        {
            if (Scalar(c, "SELECT count(*) FROM " + table + " WHERE " + key + " = $1", name) == 0)
            {
                return false;
            }

            Run(c, "DELETE FROM grants WHERE " + key + " = $1", name);
            revoked = Run(c, "UPDATE tokens SET revoked = true WHERE " + key + " = $1 AND NOT revoked", name);
            Run(c, "DELETE FROM " + table + " WHERE " + key + " = $1", name);
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
            if (Scalar(c, "SELECT count(*) FROM " + table + " WHERE " + key + " = $1", name) == 0)
            {
                throw new AuthorizationStoreException((isResourceServer ? "unknown audience '" : "unknown client '") + name + "'");
            }

            CheckPeerIdFree(c, credential.PeerSenderId);
            Run(
                c,
                "UPDATE " + table + " SET as_sender_id = $2, peer_sender_id = $3, master_secret = $4, master_salt = $5, alg = $6" + (isResourceServer ? string.Empty : ", id_context = NULL") + " WHERE " + key + " = $1",
                name, credential.AsSenderId, credential.PeerSenderId, credential.MasterSecret, credential.MasterSalt, credential.Algorithm);
            return true;
        });
    }

    /// <inheritdoc/>
    public bool SetRekeying(string clientId, bool allowed)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        int changed = 0;
        RegistryTransaction(c => (changed = Run(c, "UPDATE clients SET rekeying = $2 WHERE client_id = $1", clientId, allowed)) > 0);
        return changed == 1;
    }

    /// <inheritdoc/>
    public bool SetIdContext(string clientId, byte[] peerSenderId, byte[] idContext)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(peerSenderId);
        ArgumentNullException.ThrowIfNull(idContext);
        int changed = 0;
        RegistryTransaction(c => (changed = Run(c, "UPDATE clients SET id_context = $2 WHERE client_id = $1 AND peer_sender_id = $3 AND rekeying", clientId, idContext, peerSenderId)) > 0);
        return changed == 1;
    }

    /// <inheritdoc/>
    /// <remarks>One second: changes are pushed (<see cref="RegistryChangesHeard"/>); this only bounds how long a change
    /// whose notification was lost with a silently broken connection can go unseen (docs/authorization-server.md,
    /// "Running a fleet").</remarks>
    public TimeSpan RegistryVersionMaxAge => TimeSpan.FromSeconds(1);

    /// <inheritdoc/>
    public string RegistryVersion() => Guarded(() =>
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return Scalar(c, "SELECT version FROM registry_version WHERE id = 1").ToString(CultureInfo.InvariantCulture);
    });

    /// <inheritdoc/>
    public bool IsPeerSenderIdTaken(byte[] peerSenderId) => Guarded(() =>
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return PeerIdTaken(c, peerSenderId);
    });

    /// <inheritdoc/>
    public void AddGrant(GrantRecord grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        RegistryTransaction(c =>
        {
            // Locks both registrations, so a concurrent removal cannot leave the grant behind.
            if (Scalar(c, "SELECT count(*) FROM (SELECT 1 FROM clients WHERE client_id = $1 FOR SHARE) x", grant.ClientId) == 0)
            {
                throw new AuthorizationStoreException("unknown client '" + grant.ClientId + "'; register it with `popiot as client add`");
            }

            if (Scalar(c, "SELECT count(*) FROM (SELECT 1 FROM resource_servers WHERE audience = $1 FOR SHARE) x", grant.Audience) == 0)
            {
                throw new AuthorizationStoreException("unknown audience '" + grant.Audience + "'; register it with `popiot as rs add`");
            }

            return Run(c, "INSERT INTO grants (client_id, audience, scope) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", grant.ClientId, grant.Audience, grant.Scope.Encode()) > 0;
        });
    }

    /// <inheritdoc/>
    public IReadOnlyList<GrantRecord> FindGrants(string clientId, string audience) =>
        Query("SELECT client_id, audience, scope FROM grants WHERE client_id = $1 AND audience = $2 ORDER BY added", r => new GrantRecord(r.GetString(0), r.GetString(1), AccessScope.Decode((byte[])r.GetValue(2))), clientId, audience);

    /// <inheritdoc/>
    public bool RevokeToken(byte[] cti)
    {
        int n = 0;
        Transaction(c => n = Run(c, "UPDATE tokens SET revoked = true WHERE cti = $1", cti));
        return n > 0;
    }

    /// <inheritdoc/>
    public bool TryLoadSequenceNumber(string peer, out long value)
    {
        long? v = Query("SELECT next_unused FROM oscore_sequence WHERE peer = $1", r => (long?)r.GetInt64(0), peer).FirstOrDefault();
        value = v ?? 0;
        return v.HasValue;
    }

    /// <inheritdoc/>
    public void SaveSequenceNumber(string peer, long value) =>
        Transaction(c => Run(c, "INSERT INTO oscore_sequence VALUES ($1, $2) ON CONFLICT (peer) DO UPDATE SET next_unused = greatest(oscore_sequence.next_unused, excluded.next_unused)", peer, value));

    /// <inheritdoc/>
    public long ClaimSequenceNumbers(string peer, long count)
    {
        long start = 0;
        Transaction(c => start = Scalar(c, "INSERT INTO oscore_sequence VALUES ($1, $2) ON CONFLICT (peer) DO UPDATE SET next_unused = oscore_sequence.next_unused + excluded.next_unused RETURNING next_unused - $2", peer, count));
        return start;
    }

    /// <inheritdoc/>
    public bool ExtendSequenceNumbers(string peer, long from, long to)
    {
        int n = 0;
        Transaction(c => n = Run(c, "UPDATE oscore_sequence SET next_unused = $3 WHERE peer = $1 AND next_unused = $2", peer, from, to));
        return n == 1;
    }

    /// <summary>Finishes pending token writes and closes.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _commits.Dispose();
        StopListening();
        _source.Dispose();
    }

    private static PostgresAuthorizationStore OpenCore(string db, bool? create)
    {
        NpgsqlConnectionStringBuilder settings = PostgresConnectionString.Parse(db);
        var store = new PostgresAuthorizationStore(settings);
        try
        {
            store.Guarded(() => store.Migrate(create));
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    private static int ReadVersion(NpgsqlConnection c) =>
        Scalar(c, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_version'") == 0
            ? 0
            : (int)Scalar(c, "SELECT coalesce(max(version), 0) FROM schema_version");

    private bool Migrate(bool? create)
    {
        Transaction(c =>
        {
            // One instance migrates at a time; the others wait here and then find the schema current.
            Run(c, "SELECT pg_advisory_xact_lock($1)", MigrationLockKey);
            int version = ReadVersion(c);
            if (create == true && version > 0)
            {
                throw new AuthorizationStoreException("database " + Display + " is already initialised (schema version " + version.ToString(CultureInfo.InvariantCulture) + "); use it as it is");
            }

            if (create == false && version == 0)
            {
                throw new AuthorizationStoreException("database " + Display + " holds no AS schema; initialise it with `popiot as init --db " + Display + "`");
            }

            if (version > PostgresMigrations.LatestVersion)
            {
                throw new AuthorizationStoreException(
                    "database " + Display + " has schema version " + version.ToString(CultureInfo.InvariantCulture) + ", newer than this popiot knows ("
                    + PostgresMigrations.LatestVersion.ToString(CultureInfo.InvariantCulture) + "); use a newer popiot");
            }

            if (version == 0)
            {
                Run(c, "CREATE TABLE schema_version (version integer NOT NULL)");
            }

            for (int v = version; v < PostgresMigrations.LatestVersion; v++)
            {
                Run(c, PostgresMigrations.All[v]);
                Run(c, "INSERT INTO schema_version VALUES ($1)", v + 1);
            }
        });
        return true;
    }

    private static bool PeerIdTaken(NpgsqlConnection c, byte[] id) =>
        Scalar(c, "SELECT (SELECT count(*) FROM clients WHERE peer_sender_id = $1) + (SELECT count(*) FROM resource_servers WHERE peer_sender_id = $1)", id) != 0;

    private static void CheckPeerIdFree(NpgsqlConnection c, byte[] id)
    {
        if (PeerIdTaken(c, id))
        {
            throw new AuthorizationStoreException("OSCORE Sender ID " + Convert.ToHexStringLower(id) + " is already used by another client or resource server");
        }
    }

    private static byte[]? Blob(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : (byte[])r.GetValue(i);

    // The columns of migration 2 by name: ALTER TABLE appends them.
    private static ClientRecord ReadClient(NpgsqlDataReader r) =>
        new(r.GetString(0), new OscoreCredential(Blob(r, 1)!, Blob(r, 2)!, Blob(r, 3)!, Blob(r, 4)!, r.GetInt32(5), Blob(r, 7)), r.GetInt64(6), r.GetBoolean(8),
            ProfileColumn.Parse(r.GetString(r.GetOrdinal("profiles"))));

    private static ResourceServerRecord ReadServer(NpgsqlDataReader r)
    {
        OscoreCredential? k = r.IsDBNull(6) ? null : new OscoreCredential(Blob(r, 6)!, Blob(r, 7)!, Blob(r, 8)!, Blob(r, 9)!, r.GetInt32(10));
        TokenProtection protection = Enum.Parse<TokenProtection>(r.GetString(2), ignoreCase: true);
        return new ResourceServerRecord(
            r.GetString(0), Blob(r, 1)!, protection, ProfileColumn.Parse(r.GetString(3)), r.GetBoolean(4), r.GetInt32(5), k, r.GetInt64(11), Blob(r, r.GetOrdinal("rs_cnf")));
    }
}
