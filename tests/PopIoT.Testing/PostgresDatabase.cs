using System.Globalization;
using Npgsql;

namespace PopIoT.Testing;

/// <summary>One test's own database on <see cref="PostgresServer"/>, dropped on dispose.</summary>
public sealed class PostgresDatabase : IDisposable
{
    private readonly PostgresServer _server;
    private bool _disposed;

    internal PostgresDatabase(PostgresServer server, string name, NpgsqlConnectionStringBuilder settings)
    {
        _server = server;
        Name = name;
        ConnectionString = settings.ConnectionString;
        Url = "postgres://" + Uri.EscapeDataString(settings.Username ?? string.Empty)
            + (string.IsNullOrEmpty(settings.Password) ? string.Empty : ":" + Uri.EscapeDataString(settings.Password))
            + "@" + (settings.Host!.StartsWith('/') ? string.Empty : settings.Host) + ":" + settings.Port.ToString(CultureInfo.InvariantCulture) + "/" + name
            + (settings.Host!.StartsWith('/') ? "?host=" + Uri.EscapeDataString(settings.Host) : string.Empty);
    }

    /// <summary>The database's name.</summary>
    public string Name { get; }

    /// <summary>An Npgsql connection string (Host=…;Database=…).</summary>
    public string ConnectionString { get; }

    /// <summary>The same database as a postgres:// URI, the form `popiot --db` takes.</summary>
    public string Url { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _server.Drop(Name);
    }
}
