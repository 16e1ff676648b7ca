namespace PopIoT.AuthorizationServer.Tests;

/// <summary>The stores the AS suite runs against: each store test class has one concrete class per kind.</summary>
public enum StoreKind
{
    /// <summary>An SQLite file in a temporary folder.</summary>
    Sqlite,

    /// <summary>A database of its own on <see cref="PostgresServer"/>.</summary>
    Postgres,
}
