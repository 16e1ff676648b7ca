using System.Globalization;
using System.Text;
using System.Text.Json;
using PopIoT.Core.Cbor;

namespace PopIoT.Ace;

/// <summary>
/// The scope of an access token (RFC 9200 §5.8.1): either a text scope (space-separated scope tokens, e.g.
/// <c>"read admin"</c>) or an AIF scope (RFC 9237 §3: <c>[[path, methods], ...]</c>, where methods is a bitmask with
/// bit (method code − 1) set for each CoAP method allowed: GET 1, POST 2, PUT 4, DELETE 8, FETCH 16, PATCH 32,
/// iPATCH 64). Written on the command line as (docs/device.md, "Scopes"):
/// <list type="bullet">
/// <item><c>read admin</c> — a text scope;</item>
/// <item><c>[["/temp",1],["/led",5]]</c> or <c>[["/led","GET|PUT"]]</c> — AIF as JSON, methods as a number or names;</item>
/// <item><c>cbor:8282652f74656d700182642f6c656405</c> — the CBOR encoding in hex (an AIF array or a text string).</item>
/// </list>
/// </summary>
public sealed class AccessScope
{
    private static readonly string[] MethodNames = ["GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "IPATCH"];

    private AccessScope(string? text, IReadOnlyList<AifEntry>? aif)
    {
        Text = text;
        Aif = aif;
    }

    /// <summary>The text scope, or null for an AIF scope.</summary>
    public string? Text { get; }

    /// <summary>The AIF entries (RFC 9237), or null for a text scope.</summary>
    public IReadOnlyList<AifEntry>? Aif { get; }

    /// <summary>Whether this is an AIF scope.</summary>
    public bool IsAif => Aif != null;

    /// <summary>A text scope.</summary>
    /// <param name="text">Space-separated scope tokens (RFC 6749 §3.3: printable ASCII without " and \).</param>
    /// <returns>The scope.</returns>
    /// <exception cref="FormatException">Empty or with a character RFC 6749 §3.3 forbids.</exception>
    public static AccessScope FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim().Length == 0)
        {
            throw new FormatException("a text scope must hold at least one scope token");
        }

        foreach (char c in text)
        {
            // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by spaces.
            if (c != ' ' && (c < 0x21 || c > 0x7e || c == '"' || c == '\\'))
            {
                throw new FormatException("text scope has a character RFC 6749 §3.3 does not allow: U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
        }

        return new AccessScope(text, null);
    }

    /// <summary>An AIF scope.</summary>
    /// <param name="entries">At least one (path, methods) pair.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="FormatException">No entries, a path not starting with '/', or an empty or unknown method set.</exception>
    public static AccessScope FromAif(IEnumerable<AifEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries.ToList();
        if (list.Count == 0)
        {
            throw new FormatException("an AIF scope needs at least one [path, methods] entry (RFC 9237 §3)");
        }

        foreach (AifEntry e in list)
        {
            if (e.Path.Length == 0 || e.Path[0] != '/')
            {
                throw new FormatException("AIF path \"" + e.Path + "\" must be a URI local part starting with '/' (RFC 9237 §2.1)");
            }

            if (e.Methods == 0 || e.Methods > 0x7f)
            {
                throw new FormatException("AIF methods for \"" + e.Path + "\" must be a non-empty set of GET 1, POST 2, PUT 4, DELETE 8, FETCH 16, PATCH 32, iPATCH 64 (RFC 9237 §2.2)");
            }
        }

        return new AccessScope(null, list);
    }

    /// <summary>Parses the command-line syntax described on the type.</summary>
    /// <param name="s">The scope text.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="FormatException">The message says what is wrong.</exception>
    public static AccessScope Parse(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        string t = s.Trim();
        if (t.StartsWith("cbor:", StringComparison.OrdinalIgnoreCase))
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromHexString(t[5..].Replace(" ", string.Empty, StringComparison.Ordinal));
            }
            catch (FormatException)
            {
                throw new FormatException("scope after 'cbor:' must be hex");
            }

            return Decode(bytes);
        }

        if (t.StartsWith('['))
        {
            try
            {
                using JsonDocument doc = JsonDocument.Parse(t, new JsonDocumentOptions { MaxDepth = 4 });
                return FromJson(doc.RootElement);
            }
            catch (JsonException e)
            {
                throw new FormatException("AIF scope is not valid JSON (" + e.Message + "); write it like [[\"/temp\",1],[\"/led\",\"GET|PUT\"]]");
            }
        }

        return FromText(s);
    }

    /// <summary>Reads the JSON form: a string (text scope) or an array of [path, methods] (AIF).</summary>
    /// <param name="e">The JSON value.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="FormatException">Neither form.</exception>
    public static AccessScope FromJson(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.String)
        {
            return FromText(e.GetString()!);
        }

        if (e.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("scope must be a text string or an AIF array [[path, methods], ...]");
        }

        var entries = new List<AifEntry>();
        foreach (JsonElement item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 2 || item[0].ValueKind != JsonValueKind.String)
            {
                throw new FormatException("each AIF entry must be [\"/path\", methods], not " + item.GetRawText());
            }

            entries.Add(new AifEntry(item[0].GetString()!, ParseMethods(item[1])));
        }

        return FromAif(entries);
    }

    /// <summary>Decodes a CBOR scope: a text string, or an AIF array of [tstr, uint] pairs.</summary>
    /// <param name="cbor">One CBOR data item.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="FormatException">Malformed, or neither form.</exception>
    public static AccessScope Decode(byte[] cbor)
    {
        ArgumentNullException.ThrowIfNull(cbor);
        try
        {
            CborReader.Validate(cbor, 0, cbor.Length);
            var r = new CborReader(cbor, 0, cbor.Length);
            if (r.PeekState() == CborReaderState.TextString)
            {
                return FromText(r.ReadTextString());
            }

            int n = r.ReadStartArray();
            var entries = new List<AifEntry>();
            for (int i = 0; i < n; i++)
            {
                if (r.ReadStartArray() != 2)
                {
                    throw new FormatException("each AIF entry must be a [path, methods] pair (RFC 9237 §3)");
                }

                string path = r.ReadTextString();
                long methods = r.ReadInt64();
                entries.Add(new AifEntry(path, methods is < 0 or > uint.MaxValue ? 0 : (uint)methods));
                r.ReadEndArray();
            }

            r.ReadEndArray();
            return FromAif(entries);
        }
        catch (CborException e)
        {
            throw new FormatException("CBOR scope is not a text string or an AIF array: " + e.Message);
        }
    }

    /// <summary>The CBOR encoding (RFC 9200 §5.8.1: a text string; RFC 9237 §3: an array), as the token's scope claim.</summary>
    /// <returns>The encoded scope.</returns>
    public byte[] Encode()
    {
        byte[] buffer = new byte[64 + (Text?.Length * 3 ?? 0) + (Aif?.Sum(e => 32 + (e.Path.Length * 3)) ?? 0)];
        var w = new CborWriter(buffer);
        if (Text != null)
        {
            w.WriteTextString(Text);
        }
        else
        {
            w.WriteStartArray(Aif!.Count);
            foreach (AifEntry e in Aif)
            {
                w.WriteStartArray(2);
                w.WriteTextString(e.Path);
                w.WriteInt64(e.Methods);
            }
        }

        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }

    /// <summary>Writes the JSON form (a string, or [[path, methods], ...]).</summary>
    /// <param name="w">The writer.</param>
    public void WriteJson(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (Text != null)
        {
            w.WriteStringValue(Text);
            return;
        }

        w.WriteStartArray();
        foreach (AifEntry e in Aif!)
        {
            w.WriteStartArray();
            w.WriteStringValue(e.Path);
            w.WriteNumberValue(e.Methods);
            w.WriteEndArray();
        }

        w.WriteEndArray();
    }

    /// <summary>The scope as written on the command line: the text, or AIF JSON with method names.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        if (Text != null)
        {
            return Text;
        }

        var sb = new StringBuilder("[");
        foreach (AifEntry e in Aif!)
        {
            sb.Append(sb.Length > 1 ? ",[\"" : "[\"").Append(e.Path).Append("\",\"").Append(MethodText(e.Methods)).Append("\"]");
        }

        return sb.Append(']').ToString();
    }

    /// <summary>Method names of a bitmask joined by '|', e.g. "GET|PUT".</summary>
    /// <param name="methods">The RFC 9237 bitmask.</param>
    /// <returns>The names.</returns>
    public static string MethodText(uint methods)
    {
        var names = new List<string>();
        for (int bit = 0; bit < MethodNames.Length; bit++)
        {
            if ((methods & (1u << bit)) != 0)
            {
                names.Add(MethodNames[bit] == "IPATCH" ? "iPATCH" : MethodNames[bit]);
            }
        }

        return string.Join('|', names);
    }

    private static uint ParseMethods(JsonElement m)
    {
        if (m.ValueKind == JsonValueKind.Number)
        {
            return m.TryGetUInt32(out uint n) ? n : 0;
        }

        if (m.ValueKind != JsonValueKind.String)
        {
            throw new FormatException("AIF methods must be a number (GET 1, POST 2, PUT 4, DELETE 8 ...) or names like \"GET|PUT\"");
        }

        uint mask = 0;
        foreach (string name in m.GetString()!.Split('|', ',', '+', ' '))
        {
            if (name.Length == 0)
            {
                continue;
            }

            int bit = Array.IndexOf(MethodNames, name.ToUpperInvariant());
            if (bit < 0)
            {
                throw new FormatException("unknown CoAP method \"" + name + "\" in an AIF scope; use " + string.Join(", ", MethodNames));
            }

            mask |= 1u << bit;
        }

        return mask;
    }
}
