using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Crypto;
using PopIoT.IO;

namespace PopIoT.AuthorizationServer.Hosting;

/// <summary>
/// Runs the AS as a hosted service (Microsoft.Extensions.Hosting): opens the store named by the settings (an SQLite
/// file or a PostgreSQL database, migrating it), serves CoAP and purges expired and revoked tokens on a schedule until
/// the host stops, then closes the store after pending writes.
/// </summary>
/// <param name="options">The "As" settings.</param>
/// <param name="loggers">Where the log lines go; the AS logs under the short category "as".</param>
/// <param name="lifetime">The host's lifetime, stopped when the AS cannot start.</param>
public sealed class AuthorizationServerService(IOptions<AuthorizationServerSettings> options, ILoggerFactory loggers, IHostApplicationLifetime lifetime) : BackgroundService
{
    private readonly ILogger logger = loggers.CreateLogger("as");

    private readonly TaskCompletionSource<IPEndPoint> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the bound address once listening (faults when the start failed).</summary>
    public Task<IPEndPoint> Started => _started.Task;

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        AuthorizationServerSettings settings = options.Value;
        try
        {
            settings.Validate();

            // One serving process per SQLite file (the embedded store of one AS). Several AS instances share one
            // PostgreSQL database: cti prefixes and exi sequences come from the database, and every registry change
            // bumps a version each instance checks (docs/authorization-server.md, "Storage").
            using ExclusiveFileLock? held = AuthorizationStores.IsPostgres(settings.Database) ? null : AcquireDatabaseLock(settings.Database);
            using IAuthorizationStore store = AuthorizationStores.Open(settings.Database);
            using var server = new AceAuthorizationServer(store, settings, PlatformCryptoProvider.Instance, TimeProvider.System, logger);
            IPEndPoint at = server.Start(new IPEndPoint(IPAddress.Parse(settings.Bind), settings.Port));
            _started.TrySetResult(at);
            await PurgeUntilStoppedAsync(store, settings.PurgeEverySeconds, stoppingToken).ConfigureAwait(false);

            logger.LogInformation("authorization server stopping");
        }
        catch (Exception e) when (e is AuthorizationStoreException or ArgumentException or FormatException or System.Net.Sockets.SocketException or FileLockedException)
        {
            // One line names the reason (a stack trace would add nothing an operator can act on); the host stops, and
            // whoever waits on Started sees the exception.
            logger.LogError("authorization server cannot start: {Reason}", e.Message);
            _started.TrySetException(e);
            lifetime.StopApplication();
        }
    }

    // Housekeeping: expired and revoked tokens go, every PurgeEverySeconds (0: never). A failed purge is logged and
    // tried again at the next tick; it never stops the AS.
    private async Task PurgeUntilStoppedAsync(IAuthorizationStore store, int everySeconds, CancellationToken stoppingToken)
    {
        try
        {
            if (everySeconds == 0)
            {
                await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
            }

            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(everySeconds));
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    int n = store.PurgeTokens(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
                    logger.LogInformation("purged {Count} expired or revoked token(s)", n);
                }
                catch (AuthorizationStoreException e)
                {
                    logger.LogWarning("purging tokens failed, trying again in {Seconds} s: {Reason}", everySeconds, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Locks DATABASE.lock (holding this process's id) for as long as the AS serves, or fails naming the holder.</summary>
    /// <param name="database">The database file.</param>
    /// <returns>The lock, or null for an in-memory database.</returns>
    /// <exception cref="FileLockedException">Another AS serves this database.</exception>
    public static ExclusiveFileLock? AcquireDatabaseLock(string database)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (database == ":memory:")
        {
            return null;
        }

        try
        {
            return ExclusiveFileLock.Acquire(database + ".lock", "popiot as serve --db " + database);
        }
        catch (FileLockedException e)
        {
            throw new FileLockedException(e.LockPath, e.Holder, "database '" + database + "' is already served by another authorization server: " + e.Message);
        }
    }
}
