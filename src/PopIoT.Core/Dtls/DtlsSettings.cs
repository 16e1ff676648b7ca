using System;

namespace PopIoT.Core.Dtls;

/// <summary>
/// The parameters and table sizes of a <see cref="DtlsEngine"/>, read once by its constructor (docs/dtls.md). The
/// defaults follow RFC 6347 §4.2.4.1 (timers from 1 s doubling to 60 s; here 2 s, CoAP's ACK_TIMEOUT), RFC 7925 §4.2
/// (CCM_8 first) and the IPv6 minimum MTU (RFC 8200 §5: 1280 − 40 − 8 bytes of UDP payload).
/// </summary>
public sealed class DtlsSettings
{
    /// <summary>The session table: established and handshaking associations together.</summary>
    public int MaxSessions { get; set; } = 4;

    /// <summary>The handshake pool, which is also the cap on half-open handshakes.</summary>
    public int MaxHandshakes { get; set; } = 2;

    /// <summary>The largest datagram sent (the path MTU less IP and UDP headers); every flight and record fits it.</summary>
    public int DatagramSize { get; set; } = 1232;

    /// <summary>The largest PSK identity accepted or sent, in bytes.</summary>
    public int MaxIdentityLength { get; set; } = 128;

    /// <summary>The largest pre-shared key, in bytes.</summary>
    public int MaxPskLength { get; set; } = 64;

    /// <summary>The first retransmission timeout of a flight (RFC 6347 §4.2.4.1).</summary>
    public int InitialRetransmitMs { get; set; } = 2000;

    /// <summary>The ceiling of the doubling retransmission timeout (RFC 6347 §4.2.4.1: 60 s).</summary>
    public int MaxRetransmitMs { get; set; } = 60000;

    /// <summary>How long a handshake may take in all before it is abandoned.</summary>
    public int HandshakeTimeoutMs { get; set; } = 120000;

    /// <summary>How often the cookie secret changes; a cookie is accepted for at most two periods (RFC 6347 §4.2.1).</summary>
    public int CookieRotationMs { get; set; } = 60000;

    /// <summary>Datagrams the outbox holds before it drops.</summary>
    public int OutboxCapacity { get; set; } = 8;

    /// <summary>Handshake messages held that arrive before their turn (RFC 6347 §4.2.2).</summary>
    public int OutOfOrderMessages { get; set; } = 2;

    /// <summary>The server's suites in order of preference (RFC 6655 §4); CCM_8 first by default.</summary>
    public int[] CipherSuites { get; set; } = new int[] { DtlsCipherSuite.PskAes128Ccm8, DtlsCipherSuite.PskAes128Ccm };

    /// <summary>A PSK identity hint to send in ServerKeyExchange, or null to send none (RFC 4279 §2, RFC 7925 §4.2).</summary>
    public byte[] IdentityHint { get; set; }

    /// <summary>The largest handshake message body the engine reassembles.</summary>
    public int MaxHandshakeMessage
    {
        get { return MaxIdentityLength + 256; }
    }

    /// <summary>Throws <see cref="ArgumentException"/> for a value out of range.</summary>
    public void Validate()
    {
        Check(MaxSessions >= 1, "MaxSessions must be at least 1.");
        Check(MaxHandshakes >= 1 && MaxHandshakes <= MaxSessions, "MaxHandshakes must be 1 to MaxSessions.");
        Check(DatagramSize >= 128 && DatagramSize <= 16384, "DatagramSize must be 128 to 16384 bytes.");
        Check(MaxIdentityLength >= 1 && MaxIdentityLength <= 0xFFFF, "MaxIdentityLength must be 1 to 65535 (RFC 4279 §5.3).");
        Check(MaxPskLength >= 1 && MaxPskLength <= 0xFFFF, "MaxPskLength must be 1 to 65535.");
        Check(InitialRetransmitMs >= 1 && MaxRetransmitMs >= InitialRetransmitMs, "The retransmission timers must be positive and the maximum not below the initial one.");
        Check(HandshakeTimeoutMs >= InitialRetransmitMs, "HandshakeTimeoutMs must not be below InitialRetransmitMs.");
        Check(CookieRotationMs >= 1, "CookieRotationMs must be positive.");
        Check(OutboxCapacity >= 2 && OutOfOrderMessages >= 0, "OutboxCapacity must be at least 2 and OutOfOrderMessages not negative.");
        Check(CipherSuites != null && CipherSuites.Length >= 1, "CipherSuites must name at least one suite.");
        for (int i = 0; i < CipherSuites.Length; i++)
        {
            Check(DtlsCipherSuite.TagSize(CipherSuites[i]) != 0, "Only TLS_PSK_WITH_AES_128_CCM_8 and TLS_PSK_WITH_AES_128_CCM are supported.");
        }

        Check(IdentityHint == null || IdentityHint.Length <= MaxIdentityLength, "The identity hint must not exceed MaxIdentityLength.");
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
