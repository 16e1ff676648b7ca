using PopIoT.Ace;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// The embedded store: one SQLite file in WAL mode (readers never wait for the writer), synchronous=FULL (a commit is on
/// disk before it returns), a busy timeout so other processes (the CLI revoking while the AS serves) wait instead of
/// failing, and a versioned schema upgraded by ordered migrations (<see cref="SqliteMigrations"/>). Issued tokens go
/// through one writer task that commits whatever is pending in one transaction (group commit), so concurrent
/// requests share an fsync and none is lost; each caller's task completes only after its row is committed.
/// </summary>
public sealed partial class SqliteAuthorizationStore : IAuthorizationStore
{
    private const int BusyTimeoutMs = 10_000;
    private readonly string _connectionString;
    private readonly GroupCommit _commits;
    private readonly object _writeGate = new();
    private bool _disposed;
    private int _schemaVersion;

    private SqliteAuthorizationStore(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMs / 1000,
        }.ToString();
        _commits = new GroupCommit("sqlite", nameof(SqliteAuthorizationStore), (batch, results, failed) => WriteTransaction(c => WriteBatch(c, batch, results, failed)));
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The schema version of the file (after opening: <see cref="LatestSchemaVersion"/>).</summary>
    public int SchemaVersion
    {
        get
        {
            using SqliteConnection c = Open();
            return ReadVersion(c);
        }
    }

    /// <summary>The schema version this code writes.</summary>
    public static int LatestSchemaVersion => SqliteMigrations.LatestVersion;

    /// <summary>Creates a new database with the latest schema. The file must not exist.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The open store.</returns>
    /// <exception cref="AuthorizationStoreException">The file exists or cannot be created.</exception>
    public static SqliteAuthorizationStore Create(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path))
        {
            throw new AuthorizationStoreException("database '" + path + "' already exists; remove it first or use it as it is");
        }

        try
        {
            using (var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString()))
            {
                c.Open();
                Exec(c, "PRAGMA journal_mode=WAL;");
            }

            if (!OperatingSystem.IsWindows())
            {
                // The file holds every client credential and AS–RS key: only the owner may read it.
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new AuthorizationStoreException("cannot create database '" + path + "': " + e.Message, e);
        }

        return Open(path);
    }

    /// <summary>Opens an existing database, applying the migrations it lacks.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The open store.</returns>
    /// <exception cref="AuthorizationStoreException">Missing file, not a database, or a schema newer than this code knows.</exception>
    public static SqliteAuthorizationStore Open(string path) => Open(path, SqliteMigrations.LatestVersion);

    /// <summary>Opens a database and migrates it up to <paramref name="targetVersion"/> only (tests make old files with it).</summary>
    /// <param name="path">The file.</param>
    /// <param name="targetVersion">1..<see cref="LatestSchemaVersion"/>.</param>
    /// <returns>The open store.</returns>
    internal static SqliteAuthorizationStore Open(string path, int targetVersion)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new AuthorizationStoreException("database '" + path + "' does not exist; create it with `popiot as init --db " + path + "`");
        }

        var store = new SqliteAuthorizationStore(path);
        try
        {
            store.Migrate(targetVersion);
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

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

    /// <inheritdoc/>
    public bool RevokeToken(byte[] cti)
    {
        int n = 0;
        WriteTransaction(c => n = Run(c, "UPDATE tokens SET revoked = 1 WHERE cti = $a", cti));
        return n > 0;
    }

    /// <inheritdoc/>
    public bool TryLoadSequenceNumber(string peer, out long value)
    {
        long? v = Query("SELECT next_unused FROM oscore_sequence WHERE peer = $a", r => (long?)r.GetInt64(0), peer).FirstOrDefault();
        value = v ?? 0;
        return v.HasValue;
    }

    /// <inheritdoc/>
    public void SaveSequenceNumber(string peer, long value) =>
        WriteTransaction(c => Run(c, "INSERT INTO oscore_sequence VALUES ($a, $b) ON CONFLICT(peer) DO UPDATE SET next_unused = excluded.next_unused", peer, value));

    /// <inheritdoc/>
    public long ClaimSequenceNumbers(string peer, long count)
    {
        long start = 0;
        WriteTransaction(c => start = Scalar(c, "INSERT INTO oscore_sequence VALUES ($a, $b) ON CONFLICT(peer) DO UPDATE SET next_unused = next_unused + excluded.next_unused RETURNING next_unused - $b", peer, count));
        return start;
    }

    /// <inheritdoc/>
    public bool ExtendSequenceNumbers(string peer, long from, long to)
    {
        int n = 0;
        WriteTransaction(c => n = Run(c, "UPDATE oscore_sequence SET next_unused = $c WHERE peer = $a AND next_unused = $b", peer, from, to));
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
        SqliteConnection.ClearAllPools();
    }

    private static int ReadVersion(SqliteConnection c)
    {
        if (Scalar(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'") == 0)
        {
            return 0;
        }

        return (int)Scalar(c, "SELECT coalesce(max(version), 0) FROM schema_version");
    }

    private void Migrate(int target)
    {
        try
        {
            MigrateCore(target);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 26)
        {
            throw new AuthorizationStoreException("'" + Path + "' is not an SQLite database", e);
        }
    }

    private void MigrateCore(int target)
    {
        WriteTransaction(c =>
        {
            int version = ReadVersion(c);

            if (version > SqliteMigrations.LatestVersion)
            {
                throw new AuthorizationStoreException(
                    "database '" + Path + "' has schema version " + version.ToString(CultureInfo.InvariantCulture) + ", newer than this popiot knows ("
                    + SqliteMigrations.LatestVersion.ToString(CultureInfo.InvariantCulture) + "); use a newer popiot");
            }

            if (version == 0)
            {
                Exec(c, "CREATE TABLE schema_version (version INTEGER NOT NULL);");
            }

            for (int v = version; v < target; v++)
            {
                Exec(c, SqliteMigrations.All[v]);
                if (v + 1 == SqliteMigrations.ExiSequenceVersion)
                {
                    FillExiSequences(c);
                }

                Run(c, "INSERT INTO schema_version VALUES ($a)", v + 1);
            }

            _schemaVersion = Math.Max(version, target);
        });
    }

    private SqliteConnection Open()
    {
        ObjectDisposedException.ThrowIf(_disposed && _commits.IsCompleted, this);
        var c = new SqliteConnection(_connectionString);
        try
        {
            c.Open();
            Exec(c, "PRAGMA busy_timeout=" + BusyTimeoutMs.ToString(CultureInfo.InvariantCulture) + "; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
        }
        catch (SqliteException e)
        {
            c.Dispose();
            throw new AuthorizationStoreException("cannot open database '" + Path + "': " + e.Message, e);
        }

        return c;
    }

    // One writer at a time in this process (SQLite allows one anyway); BEGIN IMMEDIATE takes the write lock up front so
    // a transaction never fails half-way on a lock held by another process (it waits busy_timeout instead).
    private void WriteTransaction(Action<SqliteConnection> work)
    {
        lock (_writeGate)
        {
            using SqliteConnection c = Open();
            Exec(c, "BEGIN IMMEDIATE;");
            try
            {
                work(c);
                Exec(c, "COMMIT;");
            }
            catch
            {
                Exec(c, "ROLLBACK;");
                throw;
            }
        }
    }

    private List<T> Query<T>(string sql, Func<SqliteDataReader, T> read, params object?[] args)
    {
        using SqliteConnection c = Open();
        using SqliteCommand cmd = Command(c, sql, args);
        using SqliteDataReader r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read())
        {
            list.Add(read(r));
        }

        return list;
    }

    private static SqliteCommand Command(SqliteConnection c, string sql, object?[] args)
    {
        SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        for (int i = 0; i < args.Length; i++)
        {
            cmd.Parameters.AddWithValue("$" + (char)('a' + i), args[i] ?? DBNull.Value);
        }

        return cmd;
    }

    private static int Run(SqliteConnection c, string sql, params object?[] args)
    {
        using SqliteCommand cmd = Command(c, sql, args);
        return cmd.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection c, string sql, params object?[] args)
    {
        using SqliteCommand cmd = Command(c, sql, args);
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static bool PeerIdTaken(SqliteConnection c, byte[] id) =>
        Scalar(c, "SELECT (SELECT count(*) FROM clients WHERE peer_sender_id = $a) + (SELECT count(*) FROM resource_servers WHERE peer_sender_id = $a)", id) != 0;

    private static void CheckPeerIdFree(SqliteConnection c, byte[] id)
    {
        if (PeerIdTaken(c, id))
        {
            throw new AuthorizationStoreException("OSCORE Sender ID " + Convert.ToHexStringLower(id) + " is already used by another client or resource server");
        }
    }

    private static byte[]? Blob(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : (byte[])r.GetValue(i);

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
