using System.Net;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using PopIoT.AuthorizationServer;

namespace PopIoT.Cli.Commands;

/// <summary>
/// The host side of the AS's metrics: the OpenTelemetry SDK reads the meter the AS library records into
/// (<see cref="AuthorizationServerMetrics"/>) and serves it in the Prometheus text format over HTTP at As:Prometheus
/// (docs/authorization-server.md, "Metrics"). The library itself depends on System.Diagnostics.Metrics only.
/// </summary>
internal static class AsMetricsExport
{
    /// <summary>Starts serving the metrics at <paramref name="url"/>, or returns null when it is empty.</summary>
    /// <param name="url">E.g. http://127.0.0.1:9464/metrics (checked by <see cref="AuthorizationServerSettings.Validate"/>).</param>
    /// <returns>The provider; disposing it stops the listener.</returns>
    /// <exception cref="CliUsageException">The address cannot be listened on (taken, or not this host's).</exception>
    public static MeterProvider? Start(string url)
    {
        if (url.Length == 0)
        {
            return null;
        }

        if (!AuthorizationServerSettings.TryParsePrometheus(url, out string host, out int port, out string path))
        {
            throw new CliUsageException("--prometheus must be an http URL with a path, such as http://127.0.0.1:9464/metrics, not '" + url + "'");
        }

        try
        {
            return Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(r => r.AddService("popiot-as"))
                .AddMeter(AuthorizationServerMetrics.MeterName)
                .AddPrometheusHttpListener(o =>
                {
                    o.Host = host;
                    o.Port = port;
                    o.ScrapeEndpointPath = path;

                    // Every scrape sees the counts of that moment (the default caches a response for 300 ms).
                    o.ScrapeResponseCacheDurationMilliseconds = 0;
                })
                .Build();
        }
        catch (Exception e) when (e is HttpListenerException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            throw new CliUsageException("cannot serve metrics on " + url + ": " + (e.InnerException ?? e).Message);
        }
    }
}
