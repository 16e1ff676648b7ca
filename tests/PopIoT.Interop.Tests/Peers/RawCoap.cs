using System.Buffers.Binary;
using System.Text;

namespace PopIoT.Interop.Tests.Peers;

/// <summary>
/// A CoAP message as raw bytes (RFC 7252 §3), written here by hand and not with PopIoT's codec: the DTLS peers
/// (openssl s_client/s_server, gnutls-cli) move application data as opaque bytes, so the tests build the CoAP requests
/// they feed them and read the responses they print with this small independent encoder and parser.
/// </summary>
internal sealed record RawCoap(int Type, int Code, ushort MessageId, byte[] Token, IReadOnlyList<(int Number, byte[] Value)> Options, byte[] Payload)
{
    public const int Con = 0;
    public const int Ack = 2;
    public const int Observe = 6;
    public const int UriPath = 11;
    public const int Block2 = 23;
    public const int Block1 = 27;
    public const int Size1 = 60;

    public static int CodeOf(int cls, int detail) => (cls << 5) | detail;

    public string CodeText => (Code >> 5) + "." + (Code & 0x1F).ToString("00", System.Globalization.CultureInfo.InvariantCulture);

    public string UriPathText => string.Join('/', Options.Where(o => o.Number == UriPath).Select(o => Encoding.UTF8.GetString(o.Value)));

    /// <summary>A request with the path's segments as Uri-Path options, then <paramref name="extra"/> (sorted in).</summary>
    public static RawCoap Request(int code, ushort messageId, byte[] token, string path, byte[] payload, params (int Number, byte[] Value)[] extra)
    {
        var options = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => (UriPath, Encoding.UTF8.GetBytes(s))).ToList();
        options.AddRange(extra);
        return new RawCoap(Con, code, messageId, token, options.OrderBy(o => o.Item1).ToList(), payload);
    }

    /// <summary>The piggybacked response to <paramref name="request"/> (RFC 7252 §5.2.1).</summary>
    public static RawCoap AckFor(RawCoap request, int code, byte[] payload, params (int Number, byte[] Value)[] options) =>
        new(Ack, code, request.MessageId, request.Token, options.OrderBy(o => o.Number).ToList(), payload);

    public byte[] Option(int number) => Options.FirstOrDefault(o => o.Number == number).Value ?? throw new InvalidOperationException("no option " + number + " in " + this);

    public bool Has(int number) => Options.Any(o => o.Number == number);

    /// <summary>The uint value of an option (RFC 7252 §3.2), shortest form.</summary>
    public static byte[] Uint(uint value)
    {
        int n = value == 0 ? 0 : value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x1000000 ? 3 : 4;
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++)
        {
            b[n - 1 - i] = (byte)(value >> (8 * i));
        }

        return b;
    }

    public static uint ReadUint(byte[] value)
    {
        uint v = 0;
        foreach (byte b in value)
        {
            v = (v << 8) | b;
        }

        return v;
    }

    /// <summary>A Block1/Block2 value (RFC 7959 §2.2): NUM, M, SZX.</summary>
    public static byte[] Block(uint num, bool more, int szx) => Uint((num << 4) | (more ? 8u : 0u) | (uint)szx);

    public static (uint Num, bool More, int Szx) ReadBlock(byte[] value)
    {
        uint v = ReadUint(value);
        return (v >> 4, (v & 8) != 0, (int)(v & 7));
    }

    public byte[] Encode()
    {
        var b = new List<byte> { (byte)(0x40 | (Type << 4) | Token.Length), (byte)Code, (byte)(MessageId >> 8), (byte)MessageId };
        b.AddRange(Token);
        int last = 0;
        foreach ((int number, byte[] value) in Options)
        {
            int delta = number - last;
            last = number;
            (int dn, byte[] dx) = Nibble(delta);
            (int ln, byte[] lx) = Nibble(value.Length);
            b.Add((byte)((dn << 4) | ln));
            b.AddRange(dx);
            b.AddRange(lx);
            b.AddRange(value);
        }

        if (Payload.Length > 0)
        {
            b.Add(0xFF);
            b.AddRange(Payload);
        }

        return [.. b];
    }

    /// <summary>Parses one whole message; null when the bytes are not one well-formed CoAP message.</summary>
    public static RawCoap? TryParse(ReadOnlySpan<byte> m)
    {
        if (m.Length < 4 || (m[0] >> 6) != 1 || (m[0] & 0x0F) > 8 || m.Length < 4 + (m[0] & 0x0F))
        {
            return null;
        }

        int tkl = m[0] & 0x0F;
        var options = new List<(int, byte[])>();
        int at = 4 + tkl, number = 0;
        byte[] payload = [];
        while (at < m.Length)
        {
            if (m[at] == 0xFF)
            {
                if (at + 1 == m.Length)
                {
                    return null;
                }

                payload = m[(at + 1)..].ToArray();
                break;
            }

            int dn = m[at] >> 4, ln = m[at] & 0x0F;
            at++;
            if (!Extended(m, ref at, dn, out int delta) || !Extended(m, ref at, ln, out int length) || at + length > m.Length)
            {
                return null;
            }

            number += delta;
            options.Add((number, m.Slice(at, length).ToArray()));
            at += length;
        }

        return new RawCoap((m[0] >> 4) & 3, m[1], BinaryPrimitives.ReadUInt16BigEndian(m[2..]), m.Slice(4, tkl).ToArray(), options, payload);
    }

    public override string ToString() =>
        "T" + Type + " " + CodeText + " mid " + MessageId + " token " + Convert.ToHexString(Token) + " options ["
        + string.Join(", ", Options.Select(o => o.Number + "=" + Convert.ToHexString(o.Value))) + "] payload " + Payload.Length + " B";

    private static (int Nibble, byte[] Extra) Nibble(int v) =>
        v < 13 ? (v, []) : v < 269 ? (13, [(byte)(v - 13)]) : (14, [(byte)((v - 269) >> 8), (byte)(v - 269)]);

    private static bool Extended(ReadOnlySpan<byte> m, ref int at, int nibble, out int value)
    {
        value = nibble;
        if (nibble == 15)
        {
            return false;
        }

        if (nibble == 13)
        {
            if (at >= m.Length)
            {
                return false;
            }

            value = 13 + m[at++];
        }
        else if (nibble == 14)
        {
            if (at + 1 >= m.Length)
            {
                return false;
            }

            value = 269 + ((m[at] << 8) | m[at + 1]);
            at += 2;
        }

        return true;
    }
}
