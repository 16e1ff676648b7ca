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
