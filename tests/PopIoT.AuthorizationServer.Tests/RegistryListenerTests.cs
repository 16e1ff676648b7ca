using System.Diagnostics;
using Npgsql;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Endpoints;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Ace;
using PopIoT.Crypto;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>No other test of the process runs alongside: a registry change made in-process tells every cache of the
/// process (RegistryCache.NoteLocalChange), which would hide what these tests watch, the listener and the version check.</summary>
[CollectionDefinition(nameof(RegistryListenerCollection), DisableParallelization = true)]
public sealed class RegistryListenerCollection;

/// <summary>
/// The PostgreSQL store's LISTEN connection failing under a serving AS (docs/authorization-server.md, "Running a
/// fleet"): the backend ended by an operator, changes committed while nobody listened, a notification lost on the way,
/// a database that refuses connections. The changes come from another process (<c>popiot as …</c>), as from another
/// instance; the AS under test must serve no grant after it was taken away, and reconnect without spinning.
/// </summary>
[Collection(nameof(RegistryListenerCollection))]
public sealed class RegistryListenerTests : IDisposable
{
    private readonly PostgresDatabase _database;
    private readonly string _dir = Directory.CreateTempSubdirectory("popiot-listen-").FullName;
    private readonly PostgresAuthorizationStore _store;
    private readonly HeldWaits _waits = new();
    private readonly TokenEndpoint _endpoint;

    public RegistryListenerTests()
    {
        _database = PostgresServer.Require().CreateDatabase();
        using (IAuthorizationStore admin = AuthorizationStores.Create(_database.Url))
        {
            var registry = new AuthorizationServerRegistry(admin, PlatformCryptoProvider.Instance.Random);
            registry.AddResourceServer("temp1");
            registry.AddResourceServer("temp2");
            registry.AddClient("gw1");
            registry.AddClient("gw3");
            registry.Grant("gw1", "temp1", AccessScope.Parse("read"));
            registry.Grant("gw3", "temp2", AccessScope.Parse("read"));
        }

        _store = (PostgresAuthorizationStore)AuthorizationStores.Open(_database.Url);
        _store.ReconnectWait = _waits.Wait;
        _endpoint = new TokenEndpoint(_store, PlatformCryptoProvider.Instance, new TestClock(1_800_000_000), new AuthorizationServerSettings());
    }

    public void Dispose()
    {
        _store.Dispose();
        _database.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [SkippableFact]
    public async Task Changes_made_elsewhere_while_the_listener_is_down_and_after_it_reconnected_are_seen_at_the_next_request()
    {
        Assert.Null(await Ask("gw1", "temp1"));
        Assert.Null(await Ask("gw3", "temp2"));
        Assert.True(_store.IsListening);

        // An operator ends the listening backend (by the application name the store gives it).
        Assert.Equal(1, TerminateListener());
        await Until(() => !_store.IsListening && _waits.Count == 1, "the listener noticed and waits to reconnect");

        // Down: nobody hears the NOTIFYs of these changes; every request reads the version instead.
        Popiot("as", "client", "remove", "--db", _database.Url, "--client-id", "gw1");
        Assert.Equal(AceErrorCode.UnauthorizedClient, await Ask("gw1", "temp1"));
        Popiot("as", "rs", "remove", "--db", _database.Url, "--audience", "temp2");
        Assert.NotNull(await Ask("gw3", "temp2"));
        Popiot("as", "client", "add", "--db", _database.Url, "--client-id", "gw2", "--credential-out", Path.Combine(_dir, "gw2.json"));
        Popiot("as", "grant", "--db", _database.Url, "--client", "gw2", "--audience", "temp1", "--scope", "read");
        Assert.Null(await Ask("gw2", "temp1"));
        Assert.False(_store.IsListening);
        Assert.Equal(1, _store.ListenAttempts);

        // Back: the next changes are heard again (the count moves with no request reading it).
        _waits.ReleaseNext();
        await Until(() => _store.IsListening, "the listener is back");
        Assert.Equal(2, _store.ListenAttempts);
        Assert.Equal(AceErrorCode.UnauthorizedClient, await Ask("gw1", "temp1"));
        Assert.NotNull(await Ask("gw3", "temp2"));
        Assert.Null(await Ask("gw2", "temp1"));

        long heard = _store.RegistryChangesHeard;
        Popiot("as", "client", "remove", "--db", _database.Url, "--client-id", "gw2");
        await Until(() => _store.RegistryChangesHeard > heard, "the removal's NOTIFY arrived");
        Assert.Equal(AceErrorCode.UnauthorizedClient, await Ask("gw2", "temp1"));

        heard = _store.RegistryChangesHeard;
        Popiot("as", "rs", "add", "--db", _database.Url, "--audience", "temp3", "--key-out", Path.Combine(_dir, "temp3.key"));
        Popiot("as", "grant", "--db", _database.Url, "--client", "gw3", "--audience", "temp3", "--scope", "read");
        await Until(() => _store.RegistryChangesHeard >= heard + 2, "both NOTIFYs arrived");
        Assert.Null(await Ask("gw3", "temp3"));
        Assert.True(_store.IsListening);
        Assert.Equal(2, _store.ListenAttempts);
    }

    [SkippableFact]
    public async Task A_change_committed_while_nobody_listened_and_asked_is_seen_at_the_first_request_after_the_reconnect()
    {
        Assert.Null(await Ask("gw1", "temp1"));
        Assert.Equal(1, TerminateListener());
        await Until(() => !_store.IsListening && _waits.Count == 1, "the listener noticed and waits to reconnect");

        // No request while down: only the reconnect (or the version's age) can tell the cache.
        Popiot("as", "client", "remove", "--db", _database.Url, "--client-id", "gw1");
        _waits.ReleaseNext();
        await Until(() => _store.IsListening, "the listener is back");

        Assert.Equal(AceErrorCode.UnauthorizedClient, await Ask("gw1", "temp1"));
    }

    [SkippableFact]
    public async Task A_notification_lost_on_a_connection_that_looks_up_is_caught_by_the_version_check()
    {
        Assert.Null(await Ask("gw1", "temp1"));
        long heard = _store.RegistryChangesHeard;

        // A registry transaction whose NOTIFY never arrives (a connection that died silently drops it just so).
        RunSql("BEGIN; DELETE FROM grants WHERE client_id = 'gw1'; UPDATE registry_version SET version = version + 1 WHERE id = 1; COMMIT");
        var seen = Stopwatch.StartNew();
        await Until(async () => await Ask("gw1", "temp1") != null, "the grant's removal is seen");

        // Seen by the version's age (at most RegistryVersionMaxAge), not by anything heard.
        Assert.True(seen.Elapsed < _store.RegistryVersionMaxAge + TimeSpan.FromSeconds(5), seen.Elapsed.ToString());
        Assert.True(_store.IsListening);
        Assert.Equal(heard, _store.RegistryChangesHeard);
        Assert.Equal(1, _store.ListenAttempts);
    }

    [SkippableFact]
    public async Task The_listener_reconnects_with_a_growing_bounded_wait_and_one_attempt_per_wait_while_the_database_refuses()
    {
        Assert.Null(await Ask("gw1", "temp1"));
        RunSql("ALTER DATABASE " + _database.Name + " ALLOW_CONNECTIONS false", onServer: true);
        Assert.Equal(1, TerminateListener());

        TimeSpan[] expected = new[] { 1, 2, 4, 8, 16, 16, 16 }.Select(s => TimeSpan.FromSeconds(s)).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            await Until(() => _waits.Count == i + 1, "wait " + (i + 1));

            // One connection attempt per wait, never more: the listener cannot spin.
            Assert.Equal(i + 1, _store.ListenAttempts);
            Assert.Equal(expected[i], _waits.Delays[i]);
            Assert.False(_store.IsListening);
            _waits.ReleaseNext();
        }

        await Until(() => _waits.Count == expected.Length + 1, "the next wait");
        RunSql("ALTER DATABASE " + _database.Name + " ALLOW_CONNECTIONS true", onServer: true);
        _waits.ReleaseNext();
        await Until(() => _store.IsListening, "the listener is back");
        Assert.Equal(expected.Length + 2, _store.ListenAttempts);

        // A new failure starts from the shortest wait again.
        Assert.Equal(1, TerminateListener());
        await Until(() => _waits.Count == expected.Length + 2, "the wait after the next failure");
        Assert.Equal(TimeSpan.FromSeconds(1), _waits.Delays[^1]);
        Assert.Null(await Ask("gw1", "temp1"));
    }

    [Fact]
    public void The_reconnect_wait_doubles_from_one_second_and_stays_at_sixteen()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), PostgresAuthorizationStore.ReconnectDelay(1));
        Assert.Equal(TimeSpan.FromSeconds(2), PostgresAuthorizationStore.ReconnectDelay(2));
        Assert.Equal(TimeSpan.FromSeconds(8), PostgresAuthorizationStore.ReconnectDelay(4));
        Assert.Equal(TimeSpan.FromSeconds(16), PostgresAuthorizationStore.ReconnectDelay(5));
        Assert.Equal(TimeSpan.FromSeconds(16), PostgresAuthorizationStore.ReconnectDelay(int.MaxValue));
    }

    private static async Task Until(Func<bool> condition, string what) => await Until(() => Task.FromResult(condition()), what);

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not within 30 s: " + what);
            await Task.Delay(10);
        }
    }

    private async Task<int?> Ask(string client, string audience) =>
        (await _endpoint.HandleAsync(new AcePeer(false, client), AceTestBed.TokenRequest(audience))).Error;

    // From the server's "postgres" database: the test's database may be refusing connections.
    private int TerminateListener()
    {
        using var c = new NpgsqlConnection(ServerConnectionString());
        c.Open();
        using var cmd = new NpgsqlCommand("WITH l AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'popiot-as-listen' AND pid <> pg_backend_pid()) SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM l", c);
        cmd.Parameters.Add(new NpgsqlParameter { Value = _database.Name });
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    // On the test's database, or on the server's "postgres" database (a database cannot close itself to connections).
    private void RunSql(string sql, bool onServer = false)
    {
        using var c = new NpgsqlConnection(onServer ? ServerConnectionString() : _database.ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    private string ServerConnectionString() => new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Database = "postgres" }.ConnectionString;

    // A popiot command in a process of its own: its registry change reaches this process only through the database.
    private static void Popiot(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process p = Process.Start(info) ?? throw new InvalidOperationException("could not start popiot");
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        Task<string> error = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "popiot " + string.Join(' ', args) + " did not exit");
        Assert.True(p.ExitCode == 0, "popiot " + string.Join(' ', args) + " exited " + p.ExitCode + ": " + output.Result + error.Result);
    }

    /// <summary>The listener's waits before reconnecting, each held until the test releases it.</summary>
    private sealed class HeldWaits
    {
        private readonly Lock _gate = new();
        private readonly List<TimeSpan> _delays = [];
        private readonly Queue<TaskCompletionSource> _held = new();

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _delays.Count;
                }
            }
        }

        public TimeSpan[] Delays
        {
            get
            {
                lock (_gate)
                {
                    return [.. _delays];
                }
            }
        }

        public Task Wait(TimeSpan delay, CancellationToken stop)
        {
            var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            stop.Register(() => held.TrySetCanceled(stop));
            lock (_gate)
            {
                _delays.Add(delay);
                _held.Enqueue(held);
            }

            return held.Task;
        }

        public void ReleaseNext()
        {
            lock (_gate)
            {
                _held.Dequeue().TrySetResult();
            }
        }
    }
}
