using Npgsql;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// Registry changes pushed to every instance: each registry transaction sends <c>NOTIFY popiot_registry</c>, which
/// PostgreSQL delivers to every listener when it commits; a serving AS listens on a connection of its own and counts
/// what it hears (<see cref="RegistryChangesHeard"/>), so its cached registry rows (RegistryCache) are dropped as soon
/// as another instance or the CLI changes the registry, with no query per request.
/// </summary>
public sealed partial class PostgresAuthorizationStore
{
    private const string RegistryChannel = "popiot_registry";
    private readonly CancellationTokenSource _stopListening = new();
    private readonly Lock _listenGate = new();
    private Task? _listener;
    private long _changesHeard;
    private int _listening;

    /// <inheritdoc/>
    /// <remarks>
    /// Starts listening on the first call. While the listening connection is down (the server restarted, the network
    /// failed) the count moves on every call, so the registry version is read at every request until it is back.
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

            return _listener.IsCompleted || Volatile.Read(ref _listening) == 0 ? Interlocked.Increment(ref _changesHeard) : Interlocked.Read(ref _changesHeard);
        }
    }

    // LISTEN before the first version read (the caller reads the count first), so no change between the two is missed.
    private Task StartListening()
    {
        try
        {
            NpgsqlConnection c = Listen();
            Volatile.Write(ref _listening, 1);
            return Task.Run(() => ListenAsync(c, _stopListening.Token));
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return Task.Run(() => ListenAsync(null, _stopListening.Token));
        }
    }

    private NpgsqlConnection Listen()
    {
        NpgsqlConnection c = _source.OpenConnection();
        c.Notification += (_, _) => Interlocked.Increment(ref _changesHeard);
        using var cmd = new NpgsqlCommand("LISTEN " + RegistryChannel, c);
        cmd.ExecuteNonQuery();
        return c;
    }

    private async Task ListenAsync(NpgsqlConnection? c, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (c == null)
                {
                    c = Listen();
                    Interlocked.Increment(ref _changesHeard);
                    Volatile.Write(ref _listening, 1);
                }

                await c.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
            {
                // Down: every request reads the version (the count moves on every read) until the connection is back.
                Volatile.Write(ref _listening, 0);
                if (c != null)
                {
                    await c.DisposeAsync().ConfigureAwait(false);
                    c = null;
                }

                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        if (c != null)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }
    }

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
