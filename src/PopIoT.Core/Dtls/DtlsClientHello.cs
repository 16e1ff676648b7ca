namespace PopIoT.Core.Dtls;

/// <summary>
/// The fields of a received ClientHello body (RFC 6347 §4.2.1, RFC 5246 §7.4.1.2) as offsets into the datagram, and
/// what the server needs from its extensions: extended_master_secret (RFC 7627 §5.1) and the renegotiation signal
/// (RFC 5746 §3.3, §3.6). <see cref="Parse"/> checks every length against the body; nothing is copied.
/// </summary>
internal struct DtlsClientHello
{
    internal const int ExtendedMasterSecretExtension = 0x0017;
    internal const int RenegotiationInfoExtension = 0xFF01;

    internal int Version;
    internal int RandomAt;
    internal int CookieLengthAt;
    internal int CookieAt;
    internal int CookieLength;
    internal int SuitesAt;
    internal int SuitesLength;
    internal bool NullCompression;
    internal bool ExtendedMasterSecret;
    internal bool SecureRenegotiation;
    internal bool BadRenegotiationInfo;

    /// <summary>Reads a ClientHello body; false when a length runs past it or it has bytes left over.</summary>
    internal static bool Parse(ByteRange body, out DtlsClientHello hello)
    {
        hello = new DtlsClientHello();
        byte[] b = body.Buffer;
        int p = body.Offset;
        int end = body.Offset + body.Count;

        // client_version(2) random(32) session_id<0..32>
        if (end - p < 35)
        {
            return false;
        }

        hello.Version = DtlsWire.Read16(b, p);
        hello.RandomAt = p + 2;
        int sessionId = b[p + 34];
        p += 35;
        if (sessionId > 32 || end - p < sessionId + 1)
        {
            return false;
        }

        // cookie<0..2^8-1> (RFC 6347 §4.2.1)
        p += sessionId;
        hello.CookieLengthAt = p;
        hello.CookieLength = b[p];
        hello.CookieAt = p + 1;
        p += 1 + hello.CookieLength;

        // cipher_suites<2..2^16-2>
        if (end - p < 2)
        {
            return false;
        }

        hello.SuitesLength = DtlsWire.Read16(b, p);
        hello.SuitesAt = p + 2;
        p += 2;
        if (hello.SuitesLength < 2 || (hello.SuitesLength & 1) != 0 || end - p < hello.SuitesLength + 1)
        {
            return false;
        }

        for (int i = 0; i < hello.SuitesLength; i += 2)
        {
            if (DtlsWire.Read16(b, p + i) == DtlsCipherSuite.EmptyRenegotiationInfoScsv)
            {
                hello.SecureRenegotiation = true;
            }
        }

        // compression_methods<1..2^8-1>
        p += hello.SuitesLength;
        int compression = b[p];
        p++;
        if (compression < 1 || end - p < compression)
        {
            return false;
        }

        for (int i = 0; i < compression; i++)
        {
            hello.NullCompression |= b[p + i] == 0;
        }

        p += compression;
        if (p == end)
        {
            return true;
        }

        return ParseExtensions(b, p, end, ref hello);
    }

    /// <summary>True when the suite is among the client's offered suites.</summary>
    internal bool Offers(byte[] b, int suite)
    {
        for (int i = 0; i < SuitesLength; i += 2)
        {
            if (DtlsWire.Read16(b, SuitesAt + i) == suite)
            {
                return true;
            }
        }

        return false;
    }

    private static bool ParseExtensions(byte[] b, int p, int end, ref DtlsClientHello hello)
    {
        // extensions<0..2^16-1>, each extension_type(2) extension_data<0..2^16-1> (RFC 5246 §7.4.1.4).
        if (end - p < 2 || DtlsWire.Read16(b, p) != end - p - 2)
        {
            return false;
        }

        p += 2;
        while (p < end)
        {
            if (end - p < 4)
            {
                return false;
            }

            int type = DtlsWire.Read16(b, p);
            int length = DtlsWire.Read16(b, p + 2);
            p += 4;
            if (end - p < length)
            {
                return false;
            }

            if (type == ExtendedMasterSecretExtension)
            {
                // RFC 7627 §5.1: the extension_data is empty.
                hello.ExtendedMasterSecret = length == 0;
            }
            else if (type == RenegotiationInfoExtension)
            {
                // RFC 5746 §3.6: on an initial handshake renegotiated_connection must be empty.
                bool empty = length == 1 && b[p] == 0;
                hello.SecureRenegotiation |= empty;
                hello.BadRenegotiationInfo |= !empty;
            }

            p += length;
        }

        return true;
    }
}
