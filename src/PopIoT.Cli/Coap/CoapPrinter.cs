using System.Globalization;
using System.Text;
using PopIoT.Coap;
using PopIoT.Core.Coap;

namespace PopIoT.Cli.Coap;

/// <summary>Prints a CoAP response the way <c>popiot coap</c> shows it: code line, one line per option, blank line, payload.</summary>
internal static class CoapPrinter
{
    private static readonly (int Number, string Name)[] Formats =
    [
        (0, "text/plain"), (16, "application/cose; cose-type=\"cose-encrypt0\""), (17, "application/cose; cose-type=\"cose-mac0\""),
        (18, "application/cose; cose-type=\"cose-sign1\""), (19, "application/ace+cbor"), (40, "application/link-format"),
        (41, "application/xml"), (42, "application/octet-stream"), (47, "application/exi"), (50, "application/json"),
        (60, "application/cbor"), (61, "application/cwt"),
    ];

    // libcoap coap-client -t/-A accept these short names as well as numbers.
    private static readonly Dictionary<string, int> ShortNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["text"] = 0, ["text/plain"] = 0, ["plain"] = 0, ["link"] = 40, ["link-format"] = 40, ["application/link-format"] = 40,
        ["xml"] = 41, ["application/xml"] = 41, ["octet"] = 42, ["binary"] = 42, ["octet-stream"] = 42, ["application/octet-stream"] = 42,
        ["exi"] = 47, ["json"] = 50, ["application/json"] = 50, ["cbor"] = 60, ["application/cbor"] = 60, ["cwt"] = 61,
        ["ace+cbor"] = 19, ["cose-encrypt0"] = 16, ["cose-mac0"] = 17, ["cose-sign1"] = 18,
    };

    public static int ParseContentFormat(string text, string option)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n <= 65535)
        {
            return n;
        }

        return ShortNames.TryGetValue(text, out int v)
            ? v
            : throw new CliUsageException(option + " must be a Content-Format number 0..65535 or a name (text, link, xml, octet, exi, json, cbor, cwt), not '" + text + "'");
    }

    public static void Print(TextWriter output, CoapResponse r)
    {
        output.WriteLine(r.CodeText + (r.CodeName.Length > 0 ? " " + r.CodeName : ""));
        foreach (CoapOptionValue o in r.Options)
        {
            output.WriteLine(o.Name + ": " + Value(o));
        }

        if (r.Payload.Length > 0)
        {
            output.WriteLine();
            output.WriteLine(Payload(r));
        }
    }

    public static string Value(CoapOptionValue o)
    {
        if (o.Number is CoapOptionNumber.Block1 or CoapOptionNumber.Block2 && o.AsUInt() is uint b)
        {
            // libcoap's notation: NUM/M/SIZE.
            return BlockOption.Num(b).ToString(CultureInfo.InvariantCulture) + "/" + (BlockOption.More(b) ? "1" : "0") + "/"
                + (BlockOption.Szx(b) == 7 ? "?" : BlockOption.Size(BlockOption.Szx(b)).ToString(CultureInfo.InvariantCulture));
        }

        if (o.Number is CoapOptionNumber.ContentFormat or CoapOptionNumber.Accept && o.AsUInt() is uint cf)
        {
            string? name = Formats.FirstOrDefault(f => f.Number == cf).Name;
            return cf.ToString(CultureInfo.InvariantCulture) + (name != null ? " (" + name + ")" : "");
        }

        if (CoapOptionNames.IsUInt(o.Number) && o.AsUInt() is uint u)
        {
            return u.ToString(CultureInfo.InvariantCulture);
        }

        if (CoapOptionNames.IsString(o.Number))
        {
            return o.AsString();
        }

        return o.Value.Length == 0 ? "(empty)" : "0x" + Convert.ToHexString(o.Value).ToLowerInvariant();
    }

    private static string Payload(CoapResponse r)
    {
        byte[] p = r.Payload.ToArray();
        bool textual = r.ContentFormat is null or 0 or 40 or 41 or 50;
        if (textual && IsPrintableUtf8(p))
        {
            return Encoding.UTF8.GetString(p).TrimEnd('\n');
        }

        return Convert.ToHexString(p).ToLowerInvariant();
    }

    private static bool IsPrintableUtf8(byte[] p)
    {
        try
        {
            string s = new UTF8Encoding(false, true).GetString(p);
            return s.All(c => !char.IsControl(c) || c is '\n' or '\r' or '\t');
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
