using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Crypto;
using PopIoT.IO;

namespace PopIoT.AuthorizationServer.Hosting;

/// <summary>
/// Runs the AS as a hosted service (Microsoft.Extensions.Hosting): opens the SQLite store named by the settings
/// (migrating it), serves CoAP until the host stops, then closes the store after pending writes.
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

            // One serving process per database: the OSCORE contexts with their Sender Sequence Number reservations
            // (RFC 8613 Appendix B.1.1) and the token counters live in this process between database writes, so a
            // second server on the same file would reuse nonces and cti values. Admin commands only open the database
            // for one transaction, which SQLite serializes, and a running server does not cache what they write.
            using ExclusiveFileLock? held = AcquireDatabaseLock(settings.Database);
            using var store = SqliteAuthorizationStore.Open(settings.Database);
            using var server = new AceAuthorizationServer(store, settings, PlatformCryptoProvider.Instance, TimeProvider.System, logger);
            IPEndPoint at = server.Start(new IPEndPoint(IPAddress.Parse(settings.Bind), settings.Port));
            _started.TrySetResult(at);
            try
            {
                await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

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
