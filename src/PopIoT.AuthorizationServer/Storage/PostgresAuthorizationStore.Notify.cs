using Npgsql;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// Registry changes pushed to every instance: each registry transaction sends <c>NOTIFY popiot_registry</c>, which
/// PostgreSQL delivers to every listener when it commits; a serving AS listens on a connection of its own (application
/// name <c>popiot-as-listen</c> in pg_stat_activity) and counts what it hears (<see cref="RegistryChangesHeard"/>), so
/// its cached registry rows (RegistryCache) are dropped as soon as another instance or the CLI changes the registry,
/// with no query per request. When that connection breaks, the count moves on every read until it is back, and the
/// listener reconnects after 1 s, then 2, 4, 8 and at most 16 s between failed attempts (docs/authorization-server.md,
/// "Running a fleet").
/// </summary>
public sealed partial class PostgresAuthorizationStore
{
    private const string RegistryChannel = "popiot_registry";
    private const string ListenApplicationName = "popiot-as-listen";
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(16);
    private readonly CancellationTokenSource _stopListening = new();
    private readonly Lock _listenGate = new();
    private Task? _listener;
    private long _changesHeard;
    private int _listening;
    private int _listenAttempts;

    /// <inheritdoc/>
    /// <remarks>
    /// Starts listening on the first call. While the listening connection is down (the server restarted, the network
    /// failed, an operator ended the backend) the count moves on every call, so the registry version is read at every
    /// request until it is back; it moves once more when the connection is back, because a change committed in
    /// between was announced to nobody. A connection that broke without the client noticing is covered by
    /// <see cref="RegistryVersionMaxAge"/>.
    /// </remarks>
    public long RegistryChangesHeard
    {
        get
        {
            if (_listener == null)
            {
                lock (_listenGate)
                {
                    _listener ??= StartListening();
                }
            }

            return IsListening ? Interlocked.Read(ref _changesHeard) : Interlocked.Increment(ref _changesHeard);
        }
    }

    /// <summary>Whether the listening connection is up (false before the first <see cref="RegistryChangesHeard"/>).</summary>
    internal bool IsListening => Volatile.Read(ref _listening) == 1 && _listener is { IsCompleted: false };

    /// <summary>How many times the listener opened (or tried to open) its connection.</summary>
    internal int ListenAttempts => Volatile.Read(ref _listenAttempts);

    /// <summary>How the listener waits before it reconnects; a test sets its own before the first read, to hold time.</summary>
    internal Func<TimeSpan, CancellationToken, Task> ReconnectWait { get; set; } = static (delay, stop) => Task.Delay(delay, stop);

    /// <summary>The wait before the next attempt after <paramref name="failures"/> (1 or more) in a row: 1 s, doubling, at most 16 s.</summary>
    /// <param name="failures">Failures since the connection was last up.</param>
    /// <returns>The wait.</returns>
    internal static TimeSpan ReconnectDelay(int failures)
    {
        // Bounded, so a server that restarts is heard again soon; growing, so an unreachable one is not hammered.
        TimeSpan delay = TimeSpan.FromSeconds(1);
        for (int i = 1; i < failures && delay < MaxReconnectDelay; i++)
        {
            delay *= 2;
        }

        return delay < MaxReconnectDelay ? delay : MaxReconnectDelay;
    }

    // LISTEN before the first version read (the caller reads the count first), so no change between the two is missed.
    private Task StartListening()
    {
        try
        {
            NpgsqlConnection c = Listen();
            Volatile.Write(ref _listening, 1);
            return Task.Run(() => ListenAsync(c, 0, _stopListening.Token));
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            return Task.Run(() => ListenAsync(null, 1, _stopListening.Token));
        }
    }

    private NpgsqlConnection Listen()
    {
        Interlocked.Increment(ref _listenAttempts);
        NpgsqlConnection c = _source.OpenConnection();
        try
        {
            c.Notification += (_, _) => Interlocked.Increment(ref _changesHeard);
            using var cmd = new NpgsqlCommand("SET application_name = '" + ListenApplicationName + "'; LISTEN " + RegistryChannel, c);
            cmd.ExecuteNonQuery();
            return c;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    private async Task ListenAsync(NpgsqlConnection? c, int failures, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (c == null)
                {
                    await ReconnectWait(ReconnectDelay(failures), stop).ConfigureAwait(false);
                    c = Listen();
                    failures = 0;

                    // Changes committed while down were announced to nobody: the next request reads the version.
                    Interlocked.Increment(ref _changesHeard);
                    Volatile.Write(ref _listening, 1);
                }

                await c.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                // Down: every request reads the version (the count moves on every read) until the connection is back.
                Volatile.Write(ref _listening, 0);
                failures++;
                if (c != null)
                {
                    await c.DisposeAsync().ConfigureAwait(false);
                    c = null;
                }
            }
        }

        Volatile.Write(ref _listening, 0);
        if (c != null)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static bool IsConnectionFailure(Exception e) => e is NpgsqlException or InvalidOperationException or TimeoutException or IOException;

    private void StopListening()
    {
        _stopListening.Cancel();
        try
        {
            _listener?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener's own failure; the store is closing anyway.
        }

        _stopListening.Dispose();
    }
}
