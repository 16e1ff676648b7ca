namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// The one place that turns a <c>--db</c> value into a store: <c>postgres://…</c>, <c>postgresql://…</c> or an Npgsql
/// connection string (<c>Host=…;…</c>) opens <see cref="PostgresAuthorizationStore"/>; anything else is an SQLite file
/// (<see cref="SqliteAuthorizationStore"/>).
/// </summary>
public static class AuthorizationStores
{
    /// <summary>Whether the value names a PostgreSQL database.</summary>
    /// <param name="db">The --db value.</param>
    /// <returns>True for PostgreSQL, false for an SQLite file.</returns>
    public static bool IsPostgres(string db) => PostgresConnectionString.IsPostgres(db);

    /// <summary>Opens an existing store, applying the migrations it lacks.</summary>
    /// <param name="db">A file path, a postgres:// URI or a connection string.</param>
    /// <returns>The store.</returns>
    /// <exception cref="AuthorizationStoreException">The cause, for an operator.</exception>
    public static IAuthorizationStore Open(string db) =>
        IsPostgres(db) ? PostgresAuthorizationStore.Open(db) : SqliteAuthorizationStore.Open(db);

    /// <summary>Creates a new store with the latest schema (<c>popiot as init</c>).</summary>
    /// <param name="db">A file path (must not exist), or an existing, empty PostgreSQL database.</param>
    /// <returns>The store.</returns>
    /// <exception cref="AuthorizationStoreException">The cause, for an operator.</exception>
    public static IAuthorizationStore Create(string db) =>
        IsPostgres(db) ? PostgresAuthorizationStore.Create(db) : SqliteAuthorizationStore.Create(db);

    /// <summary>Opens a store, creating it when there is none yet (the target of <c>popiot as migrate</c>).</summary>
    /// <param name="db">A file path, a postgres:// URI or a connection string.</param>
    /// <returns>The store.</returns>
    /// <exception cref="AuthorizationStoreException">The cause, for an operator.</exception>
    public static IAuthorizationStore OpenOrCreate(string db) =>
        IsPostgres(db) ? PostgresAuthorizationStore.OpenOrCreate(db) : File.Exists(db) ? SqliteAuthorizationStore.Open(db) : SqliteAuthorizationStore.Create(db);

    /// <summary>Copies every row and counter of one store into another (<c>popiot as migrate</c>) and reads the target
    /// back to check that it holds exactly what was copied.</summary>
    /// <param name="from">The source.</param>
    /// <param name="to">The target.</param>
    /// <param name="replace">Delete what the target holds first; without it a target that is not empty is refused.</param>
    /// <returns>What was copied.</returns>
    /// <exception cref="AuthorizationStoreException">The target is not empty, or differs from the source after the copy.</exception>
    public static StoreSnapshot Copy(IAuthorizationStore from, IAuthorizationStore to, bool replace)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        StoreSnapshot snapshot = from.ReadAll();
        to.WriteAll(snapshot, replace);
        StoreSnapshot copied = to.ReadAll();
        string? difference = StoreSnapshotComparer.FirstDifference(snapshot, copied);
        if (difference != null)
        {
            throw new AuthorizationStoreException("the copy differs from the source: " + difference);
        }

        return snapshot;
    }

    /// <summary>The value as it may be shown: a file path as it is, a database without its password.</summary>
    /// <param name="db">The --db value.</param>
    /// <returns>The text.</returns>
    public static string Display(string db) => IsPostgres(db) ? PostgresConnectionString.Display(db) : db;

    /// <summary>The schema version of an open store.</summary>
    /// <param name="store">The store.</param>
    /// <returns>The version.</returns>
    public static int SchemaVersion(IAuthorizationStore store) => store switch
    {
        SqliteAuthorizationStore s => s.SchemaVersion,
        PostgresAuthorizationStore p => p.SchemaVersion,
        _ => 0,
    };
}
