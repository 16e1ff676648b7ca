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
