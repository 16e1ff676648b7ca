namespace PopIoT.Core.Dtls;

/// <summary>Big-endian integers of the TLS presentation language (RFC 5246 §4.4) and the DTLS record header (RFC 6347 §4.1).</summary>
internal static class DtlsWire
{
    /// <summary>type(1) version(2) epoch(2) sequence_number(6) length(2) (RFC 6347 §4.1).</summary>
    internal const int RecordHeaderLength = 13;

    /// <summary>msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3) (RFC 6347 §4.2.2).</summary>
    internal const int HandshakeHeaderLength = 12;

    /// <summary>DTLS 1.2 on the wire, {254, 253} (RFC 6347 §4.1).</summary>
    internal const int Version12 = 0xFEFD;

    /// <summary>DTLS 1.0, {254, 255}, which a HelloVerifyRequest carries (RFC 6347 §4.2.1).</summary>
    internal const int Version10 = 0xFEFF;

    /// <summary>The largest 48-bit sequence number (RFC 6347 §4.1).</summary>
    internal const long MaxSequence = 0xFFFFFFFFFFFFL;

    internal static int Read16(byte[] b, int at)
    {
        return (b[at] << 8) | b[at + 1];
    }

    internal static int Read24(byte[] b, int at)
    {
        return (b[at] << 16) | (b[at + 1] << 8) | b[at + 2];
    }

    internal static long Read48(byte[] b, int at)
    {
        long v = 0;
        for (int i = 0; i < 6; i++)
        {
            v = (v << 8) | b[at + i];
        }

        return v;
    }

    internal static void Write16(byte[] b, int at, int value)
    {
        b[at] = (byte)(value >> 8);
        b[at + 1] = (byte)value;
    }

    internal static void Write24(byte[] b, int at, int value)
    {
        b[at] = (byte)(value >> 16);
        b[at + 1] = (byte)(value >> 8);
        b[at + 2] = (byte)value;
    }

    internal static void Write48(byte[] b, int at, long value)
    {
        for (int i = 5; i >= 0; i--)
        {
            b[at + i] = (byte)value;
            value >>= 8;
        }
    }

    /// <summary>Writes a record header (RFC 6347 §4.1).</summary>
    internal static void WriteRecordHeader(byte[] b, int at, int type, int version, int epoch, long sequence, int length)
    {
        b[at] = (byte)type;
        Write16(b, at + 1, version);
        Write16(b, at + 3, epoch);
        Write48(b, at + 5, sequence);
        Write16(b, at + 11, length);
    }

    /// <summary>Writes a handshake header for a fragment (RFC 6347 §4.2.2).</summary>
    internal static void WriteHandshakeHeader(byte[] b, int at, int type, int length, int messageSeq, int fragmentOffset, int fragmentLength)
    {
        b[at] = (byte)type;
        Write24(b, at + 1, length);
        Write16(b, at + 4, messageSeq);
        Write24(b, at + 6, fragmentOffset);
        Write24(b, at + 9, fragmentLength);
    }
}
