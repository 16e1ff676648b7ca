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
        WriteTransaction(c => Run(c, "INSERT INTO oscore_sequence VALUES ($a, $b) ON CONFLICT(peer) DO UPDATE SET next_unused = max(next_unused, excluded.next_unused)", peer, value));

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

    private static byte[]? Blob(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : (byte[])r.GetValue(i);
}
