using PopIoT.Core.Crypto;
using PopIoT.Core.Dtls;

namespace PopIoT.Coap;

/// <summary>Settings of a <see cref="DtlsCoapTransport"/>: the engine's sizes and the PSK credentials of each role (docs/dtls.md).</summary>
public sealed class DtlsCoapTransportOptions
{
    /// <summary>
    /// The engine's sizes and timers. Null: <see cref="ForHost"/> (a desktop's tables, the RFC 6347 timers).
    /// </summary>
    public DtlsSettings? Settings { get; set; }

    /// <summary>The client's psk_identity, opaque bytes (RFC 4279 §2); with <see cref="Psk"/> the transport opens sessions.</summary>
    public byte[]? Identity { get; set; }

    /// <summary>The client's pre-shared key; copied by the transport and erased when it is disposed.</summary>
    public byte[]? Psk { get; set; }

    /// <summary>The server's key lookup; with it the transport accepts handshakes (and may still open its own).</summary>
    public IDtlsPskStore? PskStore { get; set; }

    /// <summary>Datagrams held for a destination while its handshake runs; more are dropped (CoAP retransmits them). 32 by default.</summary>
    public int MaxQueuedPerPeer { get; set; } = 32;

    /// <summary>Randomness for the handshake and cookies; the platform CSPRNG when null.</summary>
    public IRandomSource? Random { get; set; }

    /// <summary>
    /// Engine settings for a desktop host: 64 sessions, 16 handshakes in progress, a 64-datagram outbox; the
    /// handshake gives up after 60 s (less than the CoAP exchange lifetime, so a waiting request hears why).
    /// </summary>
    /// <returns>New settings.</returns>
    public static DtlsSettings ForHost() => new()
    {
        MaxSessions = 64,
        MaxHandshakes = 16,
        OutboxCapacity = 64,
        HandshakeTimeoutMs = 60000,
    };

    /// <summary>
    /// Engine settings for a client that talks to one server (a socket connected to it): one session, one handshake,
    /// a 16-datagram outbox; the handshake gives up after 60 s.
    /// </summary>
    /// <returns>New settings.</returns>
    public static DtlsSettings ForClient() => new()
    {
        MaxSessions = 1,
        MaxHandshakes = 1,
        OutboxCapacity = 16,
        HandshakeTimeoutMs = 60000,
    };
}
