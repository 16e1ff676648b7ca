using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace PopIoT.Testing;

/// <summary>
/// The PostgreSQL server of the test run, shared by every test of the process: the server named by the environment
/// variable POPIOT_TEST_POSTGRES (a connection string or postgres:// URI of a role that may CREATE DATABASE, as
/// .ci/run exports), or else a throwaway cluster started here (initdb in a temporary folder, as the postgres user when
/// running as root, trust authentication, listening on 127.0.0.1 on a free port and a Unix socket in that folder),
/// stopped and deleted when the process exits. Each test takes its own database (<see cref="CreateDatabase"/>), so
/// tests run in parallel. When no server can be had, <see cref="Require"/> skips the test with the reason, and fails
/// it under CI=true.
/// </summary>
public sealed class PostgresServer
{
    /// <summary>The environment variable that names an existing server.</summary>
    public const string EnvironmentVariable = "POPIOT_TEST_POSTGRES";

    private const string SuperUser = "popiot";
    private const string ClusterPrefix = "popiot-pg-";
    private const string OwnerFile = "owner.pid";
    private static readonly Lazy<PostgresServer> Instance = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly string? _admin;
    private readonly string? _clusterDir;
    private readonly string? _binDir;

    private PostgresServer(string? admin, string? unavailable, string? clusterDir, string? binDir)
    {
        _admin = admin;
        UnavailableReason = unavailable;
        _clusterDir = clusterDir;
        _binDir = binDir;
    }

    /// <summary>The server of this test process (started on first use).</summary>
    public static PostgresServer Shared => Instance.Value;

    /// <summary>Why there is no server, or null when there is one.</summary>
    public string? UnavailableReason { get; }

    /// <summary>Whether CI=true (a missing server is then a failure).</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The shared server, or skips the calling test (fails it under CI=true) when there is none.</summary>
    /// <returns>The server.</returns>
    public static PostgresServer Require()
    {
        PostgresServer s = Shared;
        if (s.UnavailableReason != null)
        {
            if (InCi)
            {
                throw new InvalidOperationException("PostgreSQL missing under CI=true: " + s.UnavailableReason);
            }

            Skip.If(true, "PostgreSQL missing: " + s.UnavailableReason + " (set " + EnvironmentVariable + ", or install postgresql as .ci/run does)");
        }

        return s;
    }

    /// <summary>Creates an empty database with a unique name, dropped when the result is disposed.</summary>
    /// <returns>The database.</returns>
    public PostgresDatabase CreateDatabase()
    {
        if (_admin == null)
        {
            throw new InvalidOperationException("no PostgreSQL server: " + UnavailableReason);
        }

        string name = "popiot_" + Guid.NewGuid().ToString("n");
        Exec(_admin, "CREATE DATABASE " + name);
        var b = new NpgsqlConnectionStringBuilder(_admin) { Database = name, Pooling = false };
        return new PostgresDatabase(this, name, b);
    }

    internal void Drop(string name)
    {
        NpgsqlConnection.ClearAllPools();
        Exec(_admin!, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    /// <summary>Stops the server for a while (tests of an unreachable server use a port nobody listens on instead).</summary>
    /// <returns>A URI on 127.0.0.1 whose port has no server.</returns>
    public static string UnreachableUri() => "postgres://" + SuperUser + "@127.0.0.1:" + FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture) + "/none";

    private static void Exec(string connectionString, string sql)
    {
        using var c = new NpgsqlConnection(connectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    private static PostgresServer Start()
    {
        string? given = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            try
            {
                string admin = given.Contains("://", StringComparison.Ordinal)
                    ? PopIoT.AuthorizationServer.Storage.PostgresConnectionString.Parse(given).ConnectionString
                    : given;
                Exec(admin, "SELECT 1");
                return new PostgresServer(admin, null, null, null);
            }
            catch (Exception e) when (e is NpgsqlException or ArgumentException or PopIoT.AuthorizationServer.Storage.AuthorizationStoreException)
            {
                return new PostgresServer(null, EnvironmentVariable + " is set but the server cannot be used: " + e.Message, null, null);
            }
        }

        string? bin = FindBinDir();
        if (bin == null)
        {
            return new PostgresServer(null, "no " + EnvironmentVariable + " and no initdb/pg_ctl found (/usr/lib/postgresql/*/bin or PATH)", null, null);
        }

        SweepOrphans(bin);
        string dir = Directory.CreateTempSubdirectory(ClusterPrefix).FullName;
        File.WriteAllText(Path.Combine(dir, OwnerFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            return StartCluster(bin, dir);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or NpgsqlException or System.ComponentModel.Win32Exception)
        {
            TryDelete(dir);
            return new PostgresServer(null, "a throwaway cluster could not be started: " + e.Message, null, null);
        }
    }

    private static PostgresServer StartCluster(string bin, string dir)
    {
        // initdb refuses root: the cluster then belongs to the postgres user, which runs every server command.
        bool root = Environment.UserName == "root";
        string data = Path.Combine(dir, "data");
        if (root)
        {
            Run("chown", ["postgres:postgres", dir]);
        }

        Run(bin, "initdb", root, ["-D", data, "-U", SuperUser, "--auth=trust", "-E", "UTF8", "--no-sync"]);
        int port = FreePort();
        string options = "-c listen_addresses=127.0.0.1 -p " + port.ToString(System.Globalization.CultureInfo.InvariantCulture) + " -k " + dir + " -c max_connections=300";
        Run(bin, "pg_ctl", root, ["-D", data, "-o", options, "-l", Path.Combine(dir, "log"), "-w", "-t", "60", "start"]);
        var server = new PostgresServer("Host=127.0.0.1;Port=" + port.ToString(System.Globalization.CultureInfo.InvariantCulture) + ";Username=" + SuperUser + ";Database=postgres;Pooling=false", null, dir, bin);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
        return server;
    }

    private void Stop()
    {
        if (_clusterDir == null)
        {
            return;
        }

        try
        {
            Run(_binDir!, "pg_ctl", Environment.UserName == "root", ["-D", Path.Combine(_clusterDir, "data"), "-m", "immediate", "-w", "stop"]);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
        }

        TryDelete(_clusterDir);
    }

    // A test process killed before its exit handler ran leaves its cluster behind: stop and delete every cluster whose
    // owning process is gone, so runs do not pile up servers.
    private static void SweepOrphans(string bin)
    {
        foreach (string dir in Directory.GetDirectories(Path.GetTempPath(), ClusterPrefix + "*"))
        {
            string owner = Path.Combine(dir, OwnerFile);
            if (!File.Exists(owner) || !int.TryParse(File.ReadAllText(owner), out int pid) || ProcessAlive(pid))
            {
                continue;
            }

            try
            {
                if (File.Exists(Path.Combine(dir, "data", "postmaster.pid")))
                {
                    Run(bin, "pg_ctl", Environment.UserName == "root", ["-D", Path.Combine(dir, "data"), "-m", "immediate", "-w", "stop"]);
                }
            }
            catch (InvalidOperationException)
            {
            }

            TryDelete(dir);
        }
    }

    private static bool ProcessAlive(int pid)
    {
        try
        {
            using Process p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string? FindBinDir()
    {
        var candidates = new List<string>();
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal).Select(d => Path.Combine(d, "bin")));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static void Run(string bin, string tool, bool asPostgres, string[] args) =>
        Run(asPostgres ? "runuser" : Path.Combine(bin, tool), asPostgres ? ["-u", "postgres", "--", Path.Combine(bin, tool), .. args] : args);

    private static void Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        Task<string> error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(true);
            throw new InvalidOperationException(file + " did not finish in 120 s");
        }

        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException(Path.GetFileName(file) + " " + string.Join(' ', args) + " exited " + p.ExitCode + ": " + (error.Result + output.Result).Trim());
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
