namespace PopIoT.AuthorizationServer;

/// <summary>Settings of the AS, bound from configuration section "As" (JSON, or environment POPIOT_AS__PORT ...).</summary>
public sealed class AuthorizationServerSettings
{
    /// <summary>The store: an SQLite file, or a PostgreSQL database (postgres://user@host:port/db or Host=…;…).</summary>
    public string Database { get; set; } = "popiot-as.db";

    /// <summary>The address to listen on (default 0.0.0.0).</summary>
    public string Bind { get; set; } = "0.0.0.0";

    /// <summary>The UDP port (default 5690).</summary>
    public int Port { get; set; } = 5690;

    /// <summary>The lifetime of an access token in seconds: exp − iat, or exi (default 3600).</summary>
    public int TokenLifetimeSeconds { get; set; } = 3600;

    /// <summary>
    /// Where `popiot as serve` serves the AS's metrics in the Prometheus text format, e.g. http://127.0.0.1:9464/metrics;
    /// empty (the default) serves none. The library only records them (<see cref="AuthorizationServerMetrics"/>).
    /// </summary>
    public string Prometheus { get; set; } = string.Empty;

    /// <summary>How often expired and revoked tokens are purged, in seconds (default 3600; 0: never).</summary>
    public int PurgeEverySeconds { get; set; } = 3600;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value out of range; the message names it.</exception>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException("As:Port must be 0..65535, not " + Port);
        }

        if (TokenLifetimeSeconds is < 1 or > 31_536_000)
        {
            throw new ArgumentException("As:TokenLifetimeSeconds must be 1..31536000, not " + TokenLifetimeSeconds);
        }

        if (!System.Net.IPAddress.TryParse(Bind, out _))
        {
            throw new ArgumentException("As:Bind must be an IP address such as 127.0.0.1, 0.0.0.0 or ::, not '" + Bind + "'");
        }

        if (Prometheus.Length > 0 && !TryParsePrometheus(Prometheus, out _, out _, out _))
        {
            throw new ArgumentException("As:Prometheus must be an http URL with a path, such as http://127.0.0.1:9464/metrics, not '" + Prometheus + "'");
        }

        if (PurgeEverySeconds is < 0 or > 31_536_000)
        {
            throw new ArgumentException("As:PurgeEverySeconds must be 0 (never) .. 31536000, not " + PurgeEverySeconds);
        }

        if (string.IsNullOrWhiteSpace(Database))
        {
            throw new ArgumentException("As:Database must name the SQLite file or the PostgreSQL database");
        }
    }

    /// <summary>Splits a Prometheus URL into the listener's host and port and the scrape path.</summary>
    /// <param name="url">E.g. http://127.0.0.1:9464/metrics.</param>
    /// <param name="host">E.g. 127.0.0.1.</param>
    /// <param name="port">E.g. 9464 (80 when the URL names none).</param>
    /// <param name="path">E.g. /metrics.</param>
    /// <returns>False unless it is an http URL with a path other than "/" and no query, fragment or user.</returns>
    public static bool TryParsePrometheus(string url, out string host, out int port, out string path)
    {
        host = string.Empty;
        port = 0;
        path = string.Empty;
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttp
            || uri.AbsolutePath.Length < 2 || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            return false;
        }

        host = uri.Host;
        port = uri.Port;
        path = uri.AbsolutePath;
        return true;
    }
}
