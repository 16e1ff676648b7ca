using Npgsql;
using PopIoT.AuthorizationServer.Storage;

namespace PopIoT.Cli.Bench.Suite;

/// <summary>
/// A fresh PostgreSQL database for one series of the fleet benchmark, made on the server the run was given (a
/// connection string or postgres:// URI of a role that may CREATE DATABASE) and dropped afterwards, so every series
/// starts from an empty registry.
/// </summary>
internal sealed class BenchPostgresDatabase : IDisposable
{
    private readonly string _admin;
    private readonly string _name;

    private BenchPostgresDatabase(string admin, string name, string url)
    {
        _admin = admin;
        _name = name;
        Url = url;
    }

    /// <summary>What `--db` takes for this database (a connection string).</summary>
    public string Url { get; }

    public static BenchPostgresDatabase Create(string server)
    {
        string admin = server.Contains("://", StringComparison.Ordinal) ? PostgresConnectionString.Parse(server).ConnectionString : server;
        string name = "popiot_bench_" + Guid.NewGuid().ToString("n");
        Exec(admin, "CREATE DATABASE " + name);
        return new BenchPostgresDatabase(admin, name, new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString);
    }

    /// <summary>The pid of the server's postmaster when it runs on this machine (read from /proc), else null.</summary>
    /// <returns>The pid, or null.</returns>
    public int? ServerPid()
    {
        using var c = new NpgsqlConnection(Url);
        c.Open();
        using var cmd = new NpgsqlCommand("SELECT pg_backend_pid()", c);
        int backend = Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        string stat = "/proc/" + backend.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/stat";
        if (!File.Exists(stat))
        {
            return null;
        }

        // proc(5): field 4 is the parent, the postmaster of a backend.
        string text = File.ReadAllText(stat);
        return int.Parse(text[(text.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        Exec(_admin, "DROP DATABASE IF EXISTS " + _name + " WITH (FORCE)");
    }

    private static void Exec(string connectionString, string sql)
    {
        using var c = new NpgsqlConnection(connectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }
}
