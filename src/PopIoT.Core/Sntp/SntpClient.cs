using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Sntp;

/// <summary>
/// A sans-IO SNTP client (RFC 4330, the simple subset of NTPv4, RFC 5905): it writes the 48-byte request and checks
/// the reply; the host moves the datagrams to UDP port 123 and gives the monotonic time of each step. One request is
/// outstanding at a time. Its transmit timestamp is random rather than the (unknown) time, so that only a party that
/// saw the request can answer it: the reply must echo it in its originate timestamp (RFC 4330 §5). The time of the
/// reply is the server's transmit time plus half the round trip net of the server's own processing (RFC 4330 §5,
/// the delay formula with the client's timestamps taken from the monotonic clock). Allocates only at construction.
/// </summary>
public sealed class SntpClient
{
    /// <summary>The length of an NTP header without extensions or authenticator (RFC 4330 §4).</summary>
    public const int PacketLength = 48;

    /// <summary>The NTP server port (RFC 4330 §4).</summary>
    public const int ServerPort = 123;

    /// <summary>Seconds from the NTP prime epoch (1900-01-01) to the Unix epoch (1970-01-01) (RFC 5905 §6).</summary>
    public const long NtpEraOffsetSeconds = 2208988800L;

    private const int OriginateOffset = 24;
    private const int ReceiveOffset = 32;
    private const int TransmitOffset = 40;
    private const int ModeClient = 3;
    private const int ModeServer = 4;
    private const int Version = 4;

    private readonly IRandomSource _random;
    private readonly byte[] _transmit = new byte[8];
    private long _sentAtMs;
    private bool _pending;

    /// <summary>Creates a client.</summary>
    /// <param name="random">The CSPRNG for the transmit timestamp (DESIGN.md §5: randomness only from the host's source).</param>
    /// <exception cref="ArgumentException">No random source.</exception>
    public SntpClient(IRandomSource random)
    {
        if (random == null)
        {
            throw new ArgumentException("SNTP needs a random source for its transmit timestamp.");
        }

        _random = random;
    }

    /// <summary>Whether a request is waiting for its reply.</summary>
    public bool Pending
    {
        get { return _pending; }
    }

    /// <summary>
    /// Writes a fresh request (LI 0, version 4, mode 3, a random transmit timestamp, everything else zero, RFC 4330
    /// §5) and makes it the one outstanding request; a reply to an earlier one is no longer accepted.
    /// </summary>
    /// <param name="buffer">Where the request goes.</param>
    /// <param name="offset">Its first byte; <see cref="PacketLength"/> bytes must fit.</param>
    /// <param name="nowMs">The monotonic time the request is sent at.</param>
    /// <returns><see cref="PacketLength"/>.</returns>
    /// <exception cref="ArgumentException">The buffer has no room.</exception>
    public int WriteRequest(byte[] buffer, int offset, long nowMs)
    {
        if (buffer == null || offset < 0 || offset > buffer.Length - PacketLength)
        {
            throw new ArgumentException("an SNTP request needs 48 bytes of room");
        }

        for (int i = 0; i < PacketLength; i++)
        {
            buffer[offset + i] = 0;
        }

        buffer[offset] = (byte)((Version << 3) | ModeClient);
        _random.GetBytes(_transmit, 0, 8);

        // A zero transmit timestamp is the one value a server never echoes usefully; draw again.
        if (IsZero(_transmit, 0))
        {
            _transmit[7] = 1;
        }

        Array.Copy(_transmit, 0, buffer, offset + TransmitOffset, 8);
        _sentAtMs = nowMs;
        _pending = true;
        return PacketLength;
    }

    /// <summary>
    /// Checks a datagram against the outstanding request. A reply that does not echo the request leaves the request
    /// outstanding (a spoofed datagram cannot cancel the real answer); any reply that does echo it ends the request,
    /// accepted or not, so a duplicate is <see cref="SntpError.Unsolicited"/>.
    /// </summary>
    /// <param name="buffer">The datagram.</param>
    /// <param name="offset">Its first byte.</param>
    /// <param name="count">Its length; bytes past the 48-byte header (extensions, authenticator) are ignored.</param>
    /// <param name="nowMs">The monotonic time it was received at.</param>
    /// <param name="unixMilliseconds">The wall time at <paramref name="nowMs"/>, in milliseconds since 1970-01-01T00:00:00Z; 0 unless accepted.</param>
    /// <returns>Why it was refused, or <see cref="SntpError.None"/>.</returns>
    public SntpError ReadReply(byte[] buffer, int offset, int count, long nowMs, out long unixMilliseconds)
    {
        unixMilliseconds = 0;
        if (buffer == null || offset < 0 || count < 0 || count > buffer.Length - offset)
        {
            return SntpError.InvalidArgument;
        }

        if (count < PacketLength)
        {
            return SntpError.TooShort;
        }

        if (!_pending)
        {
            return SntpError.Unsolicited;
        }

        if (!CryptoBytes.FixedTimeEquals(buffer, offset + OriginateOffset, _transmit, 0, 8))
        {
            return SntpError.OriginateMismatch;
        }

        _pending = false;
        SntpError e = Check(buffer, offset);
        if (e != SntpError.None)
        {
            return e;
        }

        if (nowMs < _sentAtMs)
        {
            return SntpError.InvalidArgument;
        }

        long t2 = ToUnixMilliseconds(buffer, offset + ReceiveOffset);
        long t3 = ToUnixMilliseconds(buffer, offset + TransmitOffset);

        // RFC 4330 §5: delay = (T4 - T1) - (T3 - T2); the reply left the server at T3 and took half the delay.
        long processing = t3 - t2;
        if (processing < 0 || IsZero(buffer, offset + ReceiveOffset))
        {
            processing = 0;
        }

        long delay = (nowMs - _sentAtMs) - processing;
        if (delay < 0)
        {
            delay = 0;
        }

        unixMilliseconds = t3 + (delay / 2);
        return SntpError.None;
    }

    /// <summary>
    /// Converts a 64-bit NTP timestamp to Unix milliseconds. The era follows RFC 4330 §3: with the top bit set the
    /// seconds count from 1900 (1968..2036), without it from 2036-02-07T06:28:16Z (2036..2104).
    /// </summary>
    /// <param name="buffer">The array holding the timestamp (big-endian seconds, then the binary fraction).</param>
    /// <param name="offset">Its first byte.</param>
    /// <returns>Milliseconds since 1970-01-01T00:00:00Z.</returns>
    public static long ToUnixMilliseconds(byte[] buffer, int offset)
    {
        long seconds = ReadUInt32(buffer, offset);
        long fraction = ReadUInt32(buffer, offset + 4);
        if ((seconds & 0x80000000L) == 0)
        {
            seconds += 0x100000000L;
        }

        return ((seconds - NtpEraOffsetSeconds) * 1000) + ((fraction * 1000) >> 32);
    }

    private static SntpError Check(byte[] b, int o)
    {
        int leap = b[o] >> 6;
        int version = (b[o] >> 3) & 7;
        int mode = b[o] & 7;
        int stratum = b[o + 1];
        if (mode != ModeServer)
        {
            return SntpError.NotServerMode;
        }

        if (version != 3 && version != 4)
        {
            return SntpError.UnsupportedVersion;
        }

        if (stratum == 0)
        {
            return SntpError.KissOfDeath;
        }

        if (leap == 3)
        {
            return SntpError.Unsynchronized;
        }

        if (stratum > 15)
        {
            return SntpError.InvalidStratum;
        }

        return IsZero(b, o + TransmitOffset) ? SntpError.ZeroTransmitTime : SntpError.None;
    }

    private static bool IsZero(byte[] b, int o)
    {
        int acc = 0;
        for (int i = 0; i < 8; i++)
        {
            acc |= b[o + i];
        }

        return acc == 0;
    }

    private static long ReadUInt32(byte[] b, int o)
    {
        return ((long)b[o] << 24) | ((long)b[o + 1] << 16) | ((long)b[o + 2] << 8) | b[o + 3];
    }
}
