using PopIoT.AuthorizationServer.Storage;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// A fresh, empty store of one kind for one test: an SQLite file in its own folder, or a database of its own on the
/// shared PostgreSQL server (the test is skipped, or fails under CI=true, when there is none). <see cref="Db"/> is
/// the value `popiot --db` takes for it. Dispose closes the store and removes the file or drops the database.
/// </summary>
internal sealed class TestStore : IDisposable
{
    private readonly string? _dir;
    private readonly PostgresDatabase? _database;

    private TestStore(StoreKind kind)
    {
        Kind = kind;
        if (kind == StoreKind.Postgres)
        {
            _database = PostgresServer.Require().CreateDatabase();
            Db = _database.Url;
        }
        else
        {
            _dir = Directory.CreateTempSubdirectory("popiot-store-").FullName;
            Db = Path.Combine(_dir, "as.db");
        }
    }

    public StoreKind Kind { get; }

    /// <summary>The --db value: a file path or a postgres:// URI.</summary>
    public string Db { get; }

    /// <summary>An empty database, not initialised (for `popiot as init --db`).</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The database.</returns>
    public static TestStore Empty(StoreKind kind) => new(kind);

    /// <summary>An initialised database with its store open.</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="store">The open store (the caller disposes it before this).</param>
    /// <returns>The database.</returns>
    public static TestStore Create(StoreKind kind, out IAuthorizationStore store)
    {
        var t = new TestStore(kind);
        store = AuthorizationStores.Create(t.Db);
        return t;
    }

    public void Dispose()
    {
        _database?.Dispose();
        if (_dir != null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
