using PopIoT.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;

namespace PopIoT.Ace;

/// <summary>Settings of an <see cref="AceClient"/> (the gateway side of ACE, RFC 9200 with RFC 9203).</summary>
public sealed class AceClientOptions
{
    /// <summary>CoAP settings for the AS and the resource servers (leave <see cref="CoapClientOptions.Oscore"/> null).</summary>
    public CoapClientOptions? Coap { get; init; }

    /// <summary>
    /// Known audiences by resource-server authority ("host:port"); a server not listed is asked first with an unprotected
    /// GET, and its 4.01 AS Request Creation Hints name the AS and the audience (RFC 9200 §5.3).
    /// </summary>
    public IReadOnlyDictionary<string, string>? Audiences { get; init; }

    /// <summary>The scope to ask for, by audience; an audience not listed asks for the hint's scope or the AS's default.</summary>
    public IReadOnlyDictionary<string, AccessScope>? Scopes { get; init; }

    /// <summary>The scope to ask for from an audience not listed in <see cref="Scopes"/>, or null (the hint's, or the AS's default).</summary>
    public AccessScope? Scope { get; init; }

    /// <summary>
    /// Where tokens are kept between runs, or null to keep them in this client only. A kept token is reused (posted
    /// again with fresh nonces, RFC 9203 §4.1) until it nears expiry or the RS refuses it.
    /// </summary>
    public IAceTokenCache? TokenCache { get; init; }

    /// <summary>
    /// How long before a token expires the client fetches a new one, as a fraction of its lifetime (0.1: the last tenth).
    /// At least <see cref="MinimumRefreshMargin"/> is kept either way.
    /// </summary>
    public double RefreshFraction { get; init; } = 0.1;

    /// <summary>The smallest margin before expiry at which a token is refreshed.</summary>
    public TimeSpan MinimumRefreshMargin { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock for token lifetimes (tests pass a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The crypto provider, or null for the platform one.</summary>
    public ICryptoProvider? Crypto { get; init; }

    /// <summary>Where the Sender Sequence Number of the context with the AS is kept (RFC 8613 Appendix B.1.1), or null.</summary>
    public ISequenceNumberStore? AsSequenceNumberStore { get; init; }

    /// <summary>
    /// The context for the AS when the caller derived it, e.g. after re-keying with the AS (RFC 8613 Appendix B.2,
    /// <see cref="AsRekeying"/>): requests to the AS then carry its ID Context as 'kid context', and the client
    /// disposes it. Null to derive it from the credential with <see cref="AsSequenceNumberStore"/>.
    /// </summary>
    public SecurityContext? AsContext { get; init; }

    /// <summary>Makes the transport of each new CoAP client (e.g. on a <see cref="LossyNetwork"/>), or null for UDP.</summary>
    public Func<ICoapTransport>? TransportFactory { get; init; }

    /// <summary>Called on each step the client takes (token asked, received, posted, refreshed, hints followed).</summary>
    public Action<AceClientEvent>? Events { get; init; }

    /// <summary>
    /// For coap_dtls tokens: the psk_identity form (RFC 9202 §3.3): <see cref="DtlsPskIdentityForm.Kid"/> (the default;
    /// the token is POSTed to the RS's plain /authz-info first) or <see cref="DtlsPskIdentityForm.Token"/>.
    /// </summary>
    public DtlsPskIdentityForm DtlsIdentityForm { get; init; } = DtlsPskIdentityForm.Kid;

    /// <summary>
    /// For coap_dtls in RPK mode (RFC 9202 §3.2): the client's EC2 P-256 key pair (<c>popiot key new --kty EC2</c>). Every
    /// token request then carries its public key in req_cnf, the token is posted to the RS's plain /authz-info, and the
    /// DTLS handshake uses raw public keys both ways, the RS's checked against rs_cnf. Null for PSK mode and OSCORE. The
    /// caller keeps and disposes the key.
    /// </summary>
    public CoseKey? RawPublicKey { get; init; }

    /// <summary>Called with each step of an RPK handshake and the server key check (key thumbprints only), or null.</summary>
    public Action<string>? DtlsTrace { get; init; }
}
