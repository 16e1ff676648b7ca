using PopIoT.Coap;

namespace PopIoT.Ace;

/// <summary>Settings of an <see cref="AceDtlsClient"/> (docs/ace-dtls.md, "The client").</summary>
public sealed class AceDtlsClientOptions
{
    /// <summary>
    /// How the client names its token in the handshake (RFC 9202 §3.3): <see cref="DtlsPskIdentityForm.Kid"/> (the
    /// default: the token is POSTed to /authz-info over plain CoAP first) or <see cref="DtlsPskIdentityForm.Token"/>.
    /// </summary>
    public DtlsPskIdentityForm IdentityForm { get; init; } = DtlsPskIdentityForm.Kid;

    /// <summary>
    /// The plain CoAP /authz-info the kid form posts the token to; null for coap://host:port−1/authz-info of the
    /// coaps:// URI (the default ports 5683 and 5684 of RFC 7252 §6.1, §6.2, one apart).
    /// </summary>
    public Uri? AuthzInfo { get; init; }

    /// <summary>The CoAP settings for both the plain and the DTLS client (the PSK options are set by this client), or null.</summary>
    public CoapClientOptions? Coap { get; init; }
}
