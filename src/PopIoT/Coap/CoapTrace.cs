using System.Globalization;
using System.Text;
using PopIoT.Core.Coap;

namespace PopIoT.Coap;

/// <summary>
/// One CoAP datagram as a line, in the notation libcoap's <c>coap-client -v</c> prints
/// (<c>v:1 t:CON c:GET i:7b3c {01} [ Uri-Path:time ] :: 5 bytes</c>), for tracing what goes over the wire.
/// </summary>
public static class CoapTrace
{
    private static readonly string[] Types = ["CON", "NON", "ACK", "RST"];

    /// <summary>Describes the first <paramref name="length"/> bytes of <paramref name="datagram"/>; a datagram that does not parse says why.</summary>
    /// <param name="datagram">The bytes.</param>
    /// <param name="length">How many of them.</param>
    /// <returns>The line.</returns>
    public static string Describe(byte[] datagram, int length)
    {
        ArgumentNullException.ThrowIfNull(datagram);
        var m = new CoapMessage(64, 1024);
        CoapParseError error = m.Parse(datagram, 0, length);
        if (error is CoapParseError.TooShort or CoapParseError.UnknownVersion)
        {
            return "not CoAP (" + error + ", " + length.ToString(CultureInfo.InvariantCulture) + " bytes)";
        }

        var b = new StringBuilder();
        b.Append("v:1 t:").Append(Types[(int)m.Type & 3]);
        b.Append(" c:").Append(CoapCode.IsRequest(m.Code) ? Method(m.Code) : CoapResponse.FormatCode(m.Code));
        b.Append(" i:").Append(m.MessageId.ToString("x4", CultureInfo.InvariantCulture));
        byte[] token = new byte[CoapMessage.MaxTokenLength];
        int tokenLength = m.GetToken(token, 0);
        b.Append(" {").Append(Convert.ToHexStringLower(token, 0, tokenLength)).Append('}');
        if (error != CoapParseError.None)
        {
            return b.Append(" malformed: ").Append(error).ToString();
        }

        b.Append(" [");
        for (int i = 0; i < m.OptionCount; i++)
        {
            int number = m.GetOptionNumber(i);
            var value = new CoapOptionValue(number, m.GetOptionBuffer(i).AsSpan(m.GetOptionOffset(i), m.GetOptionLength(i)).ToArray());
            b.Append(i == 0 ? " " : ", ").Append(value.Name).Append(':').Append(Value(value));
        }

        b.Append(" ]");
        if (m.PayloadLength > 0)
        {
            b.Append(" :: ").Append(m.PayloadLength.ToString(CultureInfo.InvariantCulture)).Append(" bytes");
        }

        return b.ToString();
    }

    private static string Method(byte code) => code switch
    {
        CoapCode.Get => "GET",
        CoapCode.Post => "POST",
        CoapCode.Put => "PUT",
        CoapCode.Delete => "DELETE",
        CoapCode.Fetch => "FETCH",
        CoapCode.Patch => "PATCH",
        CoapCode.IPatch => "iPATCH",
        _ => "0." + (code & 31).ToString("00", CultureInfo.InvariantCulture),
    };

    // libcoap's forms: Block options as NUM/M/SIZE, uints as numbers, strings as text, the rest as hex.
    private static string Value(CoapOptionValue o)
    {
        if (o.Number is CoapOptionNumber.Block1 or CoapOptionNumber.Block2 && o.AsUInt() is uint block)
        {
            int szx = BlockOption.Szx(block);
            return BlockOption.Num(block).ToString(CultureInfo.InvariantCulture) + "/" + (BlockOption.More(block) ? "M" : "_") + "/"
                + (szx == 7 ? "BERT" : BlockOption.Size(szx).ToString(CultureInfo.InvariantCulture));
        }

        if (CoapOptionNames.IsUInt(o.Number) && o.AsUInt() is uint n)
        {
            return n.ToString(CultureInfo.InvariantCulture);
        }

        return CoapOptionNames.IsString(o.Number) ? o.AsString() : "0x" + Convert.ToHexStringLower(o.Value);
    }
}
