using System.Buffers.Binary;

namespace PopIoT.Device;

/// <summary>
/// Where a datagram that opens a DTLS handshake goes on a device that serves the coap_dtls profile in both modes
/// (docs/ace-dtls.md, "RPK mode (desktop)"): a ClientHello (RFC 6347 §4.2.2, RFC 5246 §7.4.1.2) that offers
/// TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 and no PSK suite Core serves is for the raw-public-key server (RFC 7250); every
/// other datagram stays with Core's DTLS engine. Reads the record without copying; never throws.
/// </summary>
public static class DtlsClientHelloRoute
{
    /// <summary>TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 7251 §2), RFC 9202 §3.2's suite.</summary>
    public const int EcdheEcdsaAes128Ccm8 = 0xC0AE;

    /// <summary>TLS_PSK_WITH_AES_128_CCM_8 (RFC 6655 §4), the suite of Core's PSK mode.</summary>
    public const int PskAes128Ccm8 = 0xC0A8;

    /// <summary>TLS_PSK_WITH_AES_128_CCM (RFC 6655 §4), Core's optional PSK suite.</summary>
    public const int PskAes128Ccm = 0xC0A4;

    private const int RecordHeaderLength = 13;
    private const int HandshakeHeaderLength = 12;
    private const byte Handshake = 22;
    private const byte ClientHello = 1;

    /// <summary>
    /// Whether <paramref name="datagram"/> starts with a whole (unfragmented) epoch-0 ClientHello whose cipher suites
    /// include <see cref="EcdheEcdsaAes128Ccm8"/> and neither PSK suite.
    /// </summary>
    /// <param name="datagram">The datagram as received.</param>
    /// <returns>True when it is for the raw-public-key server.</returns>
    public static bool IsRawPublicKeyHello(ReadOnlySpan<byte> datagram)
    {
        if (!TryGetCipherSuites(datagram, out ReadOnlySpan<byte> suites))
        {
            return false;
        }

        bool rpk = false;
        for (int i = 0; i + 1 < suites.Length; i += 2)
        {
            int suite = BinaryPrimitives.ReadUInt16BigEndian(suites[i..]);
            if (suite is PskAes128Ccm8 or PskAes128Ccm)
            {
                return false;
            }

            rpk |= suite == EcdheEcdsaAes128Ccm8;
        }

        return rpk;
    }

    /// <summary>The cipher_suites vector of a whole epoch-0 ClientHello at the start of the datagram.</summary>
    /// <param name="datagram">The datagram.</param>
    /// <param name="suites">The suites' bytes (two per suite).</param>
    /// <returns>False when the datagram does not start with such a ClientHello.</returns>
    public static bool TryGetCipherSuites(ReadOnlySpan<byte> datagram, out ReadOnlySpan<byte> suites)
    {
        suites = default;

        // RFC 6347 §4.1: type, version (a DTLS one: 0xFE..), epoch 0, 48-bit sequence number, length.
        if (datagram.Length < RecordHeaderLength + HandshakeHeaderLength || datagram[0] != Handshake || datagram[1] != 0xFE
            || datagram[3] != 0 || datagram[4] != 0)
        {
            return false;
        }

        int recordLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[11..]);
        if (recordLength > datagram.Length - RecordHeaderLength || recordLength < HandshakeHeaderLength)
        {
            return false;
        }

        // RFC 6347 §4.2.2: msg_type, length, message_seq, fragment_offset, fragment_length; a whole message only.
        ReadOnlySpan<byte> hs = datagram.Slice(RecordHeaderLength, recordLength);
        int length = Uint24(hs[1..]);
        if (hs[0] != ClientHello || Uint24(hs[6..]) != 0 || Uint24(hs[9..]) != length || length > hs.Length - HandshakeHeaderLength)
        {
            return false;
        }

        // RFC 6347 §4.2.1: client_version, random (32), session_id <0..32>, cookie <0..2^8-1>, cipher_suites <2..2^16-2>.
        ReadOnlySpan<byte> body = hs.Slice(HandshakeHeaderLength, length);
        int at = 2 + 32;
        if (!Skip8(body, ref at) || !Skip8(body, ref at) || at + 2 > body.Length)
        {
            return false;
        }

        int n = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
        if (n < 2 || n % 2 != 0 || at + 2 + n > body.Length)
        {
            return false;
        }

        suites = body.Slice(at + 2, n);
        return true;
    }

    private static int Uint24(ReadOnlySpan<byte> b) => (b[0] << 16) | (b[1] << 8) | b[2];

    // A vector with a one-byte length.
    private static bool Skip8(ReadOnlySpan<byte> body, ref int at)
    {
        if (at >= body.Length)
        {
            return false;
        }

        int n = body[at];
        at += 1 + n;
        return at <= body.Length;
    }
}
