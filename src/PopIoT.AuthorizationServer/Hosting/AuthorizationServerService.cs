using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Crypto;

namespace PopIoT.AuthorizationServer.Hosting;

/// <summary>
/// Runs the AS as a hosted service (Microsoft.Extensions.Hosting): opens the SQLite store named by the settings
/// (migrating it), serves CoAP until the host stops, then closes the store after pending writes.
/// </summary>
/// <param name="options">The "As" settings.</param>
/// <param name="logger">The logger.</param>
public sealed class AuthorizationServerService(IOptions<AuthorizationServerSettings> options, ILogger<AuthorizationServerService> logger) : BackgroundService
{
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
        catch (Exception e) when (e is AuthorizationStoreException or ArgumentException or FormatException or System.Net.Sockets.SocketException)
        {
            logger.LogError("authorization server cannot start: {Reason}", e.Message);
            _started.TrySetException(e);
            throw;
        }
    }
}
