using System.Globalization;
using Npgsql;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// Reads the <c>--db</c> value of a PostgreSQL store: a URI <c>postgres://user[:password]@host[:port]/database[?key=value…]</c>
/// (libpq's form; <c>postgresql://</c> too; <c>?host=/run/postgresql</c> names a Unix socket folder) or an Npgsql
/// connection string (<c>Host=…;Username=…;Database=…</c>). <see cref="Display(string)"/> names the server without the password,
/// for messages and logs.
/// </summary>
public static class PostgresConnectionString
{
    /// <summary>Whether <paramref name="db"/> names a PostgreSQL database rather than an SQLite file.</summary>
    /// <param name="db">The --db value.</param>
    /// <returns>True for a postgres:// URI or a connection string with Host=.</returns>
    public static bool IsPostgres(string db)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (db.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || db.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // A connection string: key=value pairs only, one of them Host (or Server). A file name is never all pairs.
        string[] parts = db.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length > 0 && parts.All(p => p.IndexOf('=', StringComparison.Ordinal) > 0)
            && parts.Any(p => p.Split('=', 2)[0].Trim().ToLowerInvariant() is "host" or "server");
    }

    /// <summary>Parses the value into Npgsql's settings.</summary>
    /// <param name="db">The --db value.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="AuthorizationStoreException">The value is not a usable URI or connection string.</exception>
    public static NpgsqlConnectionStringBuilder Parse(string db)
    {
        ArgumentNullException.ThrowIfNull(db);
        try
        {
            return db.Contains("://", StringComparison.Ordinal) ? FromUri(db) : new NpgsqlConnectionStringBuilder(db);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            throw new AuthorizationStoreException("'" + Display(db) + "' is not a PostgreSQL URI (postgres://user@host:port/database) or connection string (Host=…;Database=…): " + e.Message, e);
        }
    }

    /// <summary>The server and database, without any password: postgres://user@host:port/database.</summary>
    /// <param name="db">The --db value.</param>
    /// <returns>The text to show.</returns>
    public static string Display(string db)
    {
        ArgumentNullException.ThrowIfNull(db);
        try
        {
            NpgsqlConnectionStringBuilder b = db.Contains("://", StringComparison.Ordinal) ? FromUri(db) : new NpgsqlConnectionStringBuilder(db);
            return Display(b);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            // Unparseable: show only the scheme, never the rest (it may hold a password).
            int colon = db.IndexOf("://", StringComparison.Ordinal);
            return colon > 0 ? db[..colon] + "://…" : "(connection string)";
        }
    }

    /// <summary>The server and database of parsed settings, without any password.</summary>
    /// <param name="b">The settings.</param>
    /// <returns>postgres://user@host:port/database.</returns>
    public static string Display(NpgsqlConnectionStringBuilder b)
    {
        ArgumentNullException.ThrowIfNull(b);
        return "postgres://" + (string.IsNullOrEmpty(b.Username) ? string.Empty : b.Username + "@") + b.Host + ":" + b.Port.ToString(CultureInfo.InvariantCulture) + "/" + b.Database;
    }

    private static NpgsqlConnectionStringBuilder FromUri(string text)
    {
        var uri = new Uri(text);
        if (uri.Scheme is not ("postgres" or "postgresql"))
        {
            throw new FormatException("the scheme must be postgres:// or postgresql://");
        }

        var b = new NpgsqlConnectionStringBuilder();
        if (!string.IsNullOrEmpty(uri.Host))
        {
            b.Host = uri.Host.Trim('[', ']');
        }

        if (!uri.IsDefaultPort && uri.Port > 0)
        {
            b.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            string[] parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                b.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0)
        {
            throw new FormatException("the URI names no database (postgres://user@host:port/DATABASE)");
        }

        b.Database = database;
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]);
            string value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : string.Empty;
            // libpq's names where they differ from Npgsql's.
            key = key.ToLowerInvariant() switch { "user" => "Username", "dbname" => "Database", "sslmode" => "SSL Mode", "connect_timeout" => "Timeout", _ => key };
            b[key] = value;
        }

        if (string.IsNullOrEmpty(b.Host))
        {
            throw new FormatException("the URI names no host (postgres://user@HOST:port/database, or ?host=/socket/folder)");
        }

        return b;
    }
}
