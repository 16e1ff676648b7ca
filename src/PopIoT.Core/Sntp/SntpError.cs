namespace PopIoT.Core.Sntp;

/// <summary>Why an SNTP reply was refused (<see cref="SntpClient.ReadReply"/>; RFC 4330 §5).</summary>
public enum SntpError
{
    /// <summary>The reply is valid; the time was taken.</summary>
    None = 0,

    /// <summary>The buffer arguments are out of range, or the receive time is before the send time.</summary>
    InvalidArgument,

    /// <summary>Fewer than the 48 bytes of an NTP header (RFC 4330 §4).</summary>
    TooShort,

    /// <summary>No request is outstanding: a late duplicate, or a datagram nobody asked for.</summary>
    Unsolicited,

    /// <summary>The originate timestamp does not echo the request's transmit timestamp (RFC 4330 §5): spoofed or stale.</summary>
    OriginateMismatch,

    /// <summary>The mode is not 4 (server) (RFC 4330 §5).</summary>
    NotServerMode,

    /// <summary>The version is not 3 or 4 (RFC 4330 §5).</summary>
    UnsupportedVersion,

    /// <summary>The leap indicator is 3: the server's clock is not synchronized (RFC 4330 §5).</summary>
    Unsynchronized,

    /// <summary>Stratum 0: a kiss-o'-death; the client must not use this server for now (RFC 4330 §8).</summary>
    KissOfDeath,

    /// <summary>Stratum above 15 (RFC 4330 §5: 16..255 are reserved or unsynchronized).</summary>
    InvalidStratum,

    /// <summary>The transmit timestamp is zero (RFC 4330 §5).</summary>
    ZeroTransmitTime,
}
