using System.Net;

namespace PopIoT.Coap;

/// <summary>
/// <c>coap://host[:port]/path?query</c> and <c>coaps://…</c> URIs (RFC 7252 §6.1, §6.2, §6.4): host names, IPv4 and
/// bracketed IPv6 literals, default port 5683 (coaps: 5684), percent-decoded path segments and query parameters.
/// </summary>
public static class CoapUri
{
    /// <summary>The default CoAP port (RFC 7252 §6.1).</summary>
    public const int DefaultPort = 5683;

    /// <summary>The default CoAP over DTLS port (RFC 7252 §6.2).</summary>
    public const int DefaultSecurePort = 5684;

    /// <summary>Whether the URI is coaps://, CoAP over DTLS (RFC 7252 §6.2).</summary>
    /// <param name="uri">The URI.</param>
    /// <returns>True for the coaps scheme.</returns>
    public static bool IsSecure(Uri uri) => string.Equals(uri.Scheme, "coaps", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a URI string; throws <see cref="FormatException"/> with the reason when it is not a coap URI.</summary>
    /// <param name="text">E.g. <c>coap://[::1]/time</c>.</param>
    /// <returns>The URI.</returns>
    public static Uri Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri))
        {
            throw new FormatException("'" + text + "' is not an absolute URI (expected coap://host[:port]/path)");
        }

        Validate(uri);
        return uri;
    }

    /// <summary>Checks scheme, host and fragment (RFC 7252 §6.4 steps 1-4).</summary>
    /// <param name="uri">The URI.</param>
    public static void Validate(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri || !(string.Equals(uri.Scheme, "coap", StringComparison.OrdinalIgnoreCase) || IsSecure(uri)))
        {
            throw new FormatException("'" + uri.OriginalString + "': only coap:// and coaps:// URIs are supported");
        }

        if (uri.Host.Length == 0)
        {
            throw new FormatException("'" + uri.OriginalString + "' has no host");
        }

        // RFC 7252 §6.4 step 4: a fragment is not allowed.
        if (uri.Fragment.Length > 0)
        {
            throw new FormatException("'" + uri.OriginalString + "': a coap URI has no fragment");
        }
    }

    /// <summary>The port, 5683 when absent (5684 for coaps).</summary>
    /// <param name="uri">The URI.</param>
    /// <returns>The port.</returns>
    public static int Port(Uri uri) => uri.IsDefaultPort || uri.Port < 0 ? (IsSecure(uri) ? DefaultSecurePort : DefaultPort) : uri.Port;

    /// <summary>The decoded path with a leading '/'.</summary>
    /// <param name="uri">The URI.</param>
    /// <returns>E.g. "/sensors/temp".</returns>
    public static string Path(Uri uri) => "/" + string.Join('/', PathSegments(uri));

    /// <summary>The decoded Uri-Path segments (RFC 7252 §6.4 step 8).</summary>
    /// <param name="uri">The URI.</param>
    /// <returns>The segments; none for "/" or "".</returns>
    public static IReadOnlyList<string> PathSegments(Uri uri)
    {
        string path = uri.AbsolutePath;
        if (path.Length <= 1)
        {
            return [];
        }

        return path[1..].Split('/').Select(Uri.UnescapeDataString).ToArray();
    }

    /// <summary>The decoded Uri-Query parameters (RFC 7252 §6.4 step 9).</summary>
    /// <param name="uri">The URI.</param>
    /// <returns>The parameters.</returns>
    public static IReadOnlyList<string> Query(Uri uri)
    {
        string q = uri.Query;
        if (q.Length <= 1)
        {
            return [];
        }

        return q[1..].Split('&').Select(Uri.UnescapeDataString).ToArray();
    }

    /// <summary>Resolves the host to an address (IP literals without DNS).</summary>
    /// <param name="uri">The URI.</param>
    /// <param name="cancellationToken">Cancels a DNS lookup.</param>
    /// <returns>The destination.</returns>
    public static async ValueTask<IPEndPoint> ResolveAsync(Uri uri, CancellationToken cancellationToken)
    {
        if (TryGetLiteral(uri, out IPEndPoint? literal))
        {
            return literal;
        }

        IPAddress[] addresses = await Dns.GetHostAddressesAsync(uri.IdnHost, cancellationToken).ConfigureAwait(false);
        IPAddress? pick = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault();
        return pick == null ? throw new CoapException("no address for host '" + uri.Host + "'", Core.Coap.CoapExchangeFailure.Rejected) : new IPEndPoint(pick, Port(uri));
    }

    /// <summary>The destination when the host is an IP literal.</summary>
    /// <param name="uri">The URI.</param>
    /// <param name="endPoint">The destination.</param>
    /// <returns>False for a host name.</returns>
    public static bool TryGetLiteral(Uri uri, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        string host = uri.Host.Trim('[', ']');
        if (IPAddress.TryParse(host, out IPAddress? address))
        {
            endPoint = new IPEndPoint(address, Port(uri));
            return true;
        }

        endPoint = null;
        return false;
    }
}
