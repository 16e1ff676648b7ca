using Org.BouncyCastle.Crypto.Parameters;

namespace PopIoT.Dtls;

/// <summary>Settings of a <see cref="DtlsRpkCoapTransport"/>: this side's key pair, the server's key, and the limits.</summary>
public sealed class DtlsRpkClientOptions
{
    /// <summary>The client's private key (P-256), the one whose public key the token's cnf holds (RFC 9202 §3.2.1).</summary>
    public required ECPrivateKeyParameters PrivateKey { get; init; }

    /// <summary>The client's public key, presented as its raw public key (RFC 7250).</summary>
    public required ECPublicKeyParameters PublicKey { get; init; }

    /// <summary>The resource server's public key from rs_cnf: the handshake fails unless the server presents it.</summary>
    public required ECPublicKeyParameters ServerKey { get; init; }

    /// <summary>The overall handshake limit (DESIGN.md §5a: BouncyCastle's default has none).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many received datagrams may wait for the CoAP endpoint; more are dropped (CON retransmission recovers).</summary>
    public int ReceiveQueueCapacity { get; init; } = 64;

    /// <summary>Called with each handshake step and the server key check (key thumbprints only), or null.</summary>
    public Action<string>? Trace { get; init; }
}
