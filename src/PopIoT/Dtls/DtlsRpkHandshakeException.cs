using System.Net;

using PopIoT.Coap;
using PopIoT.Core.Coap;

namespace PopIoT.Dtls;

/// <summary>
/// A DTLS handshake in RPK mode failed (RFC 9202 §3.2): the server refused this client (an alert), did not answer, or
/// presented a raw public key other than the one the AS named in rs_cnf (<see cref="ServerKeyRefused"/>; then this
/// side ended the handshake with bad_certificate and sent nothing over it). The message names keys by thumbprint only.
/// </summary>
public sealed class DtlsRpkHandshakeException : CoapException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="server">The server.</param>
    /// <param name="reason">What went wrong.</param>
    /// <param name="serverKeyRefused">Whether this side refused the server's key.</param>
    /// <param name="inner">BouncyCastle's exception.</param>
    public DtlsRpkHandshakeException(IPEndPoint server, string reason, bool serverKeyRefused, Exception? inner)
        : base("DTLS handshake (RPK) with coaps://" + server + " failed: " + reason, CoapExchangeFailure.Rejected)
    {
        Server = server;
        Reason = reason;
        ServerKeyRefused = serverKeyRefused;
        InnerCause = inner;
    }

    /// <summary>The server.</summary>
    public IPEndPoint Server { get; }

    /// <summary>What went wrong.</summary>
    public string Reason { get; }

    /// <summary>True when this client refused the server's raw public key (not the one in rs_cnf).</summary>
    public bool ServerKeyRefused { get; }

    /// <summary>BouncyCastle's exception, or null.</summary>
    public Exception? InnerCause { get; }
}
