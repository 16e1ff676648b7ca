using System.Globalization;
using System.Text.Json;

namespace PopIoT.Ace;

/// <summary>
/// The scope of an access token (RFC 9200 §5.8.1), the one model of client, minter and AS: either text scope-tokens
/// separated by spaces (RFC 6749 §3.3, e.g. <c>read admin</c>) or an AIF-REST scope (RFC 9237 §3: <c>[[path, methods], ...]</c>,
/// see <see cref="AifEntry"/> for the method set). Written on the command line as (docs/device.md, "Scopes"):
/// <list type="bullet">
/// <item><c>read admin</c> — a text scope;</item>
/// <item><c>[["/temp",1],["/led",5]]</c> or <c>[["/led","GET|PUT"]]</c> — AIF as JSON, methods as a number or names
/// (<c>Dynamic-GET</c> for the dynamic bits);</item>
/// <item><c>cbor:8282652f74656d700182642f6c656405</c> — the CBOR encoding in hex (an AIF array or a text string).</item>
/// </list>
/// The device evaluates the same encoding with Core's fixed-memory scope table. Immutable.
/// </summary>
public sealed partial class AccessScope : IEquatable<AccessScope>
{
    /// <summary>The longest scope <see cref="TryDecode"/> accepts, encoded (a token request is small; this bounds parsing work).</summary>
    public const int MaxEncodedBytes = 1024;

    /// <summary>The most scope-tokens or AIF entries in one scope <see cref="TryDecode"/> accepts.</summary>
    public const int MaxEntries = 64;

    // RFC 9237 §3: GET..iPATCH are bits 0-6 (method code − 1); Dynamic-X is X's bit plus the Dynamic-Offset 32.
    private const int DynamicOffset = 32;
    private const ulong KnownMethods = 0x7FUL | (0x7FUL << DynamicOffset);
    private static readonly string[] MethodNames = ["GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "iPATCH"];

    private readonly string[] _tokens;
    private readonly AifEntry[] _entries;

    private AccessScope(string[] tokens, AifEntry[] entries)
    {
        _tokens = tokens;
        _entries = entries;
    }

    /// <summary>Whether this is an AIF scope (otherwise text).</summary>
    public bool IsAif => _entries.Length > 0;

    /// <summary>The text scope (its tokens joined by one space), or null for an AIF scope.</summary>
    public string? Text => IsAif ? null : string.Join(' ', _tokens);

    /// <summary>The scope-tokens of a text scope, in order (empty for AIF).</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>The AIF entries (RFC 9237), in order, or null for a text scope.</summary>
    public IReadOnlyList<AifEntry>? Aif => IsAif ? _entries : null;

    /// <summary>A text scope.</summary>
    /// <param name="text">Space-separated scope tokens (RFC 6749 §3.3: printable ASCII without " and \).</param>
    /// <returns>The scope.</returns>
    /// <exception cref="FormatException">Empty, repeated tokens, or a character RFC 6749 §3.3 forbids.</exception>
    public static AccessScope FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] tokens = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return CheckTokens(tokens) is string error ? throw new FormatException(error) : new AccessScope(tokens, []);
    }

    /// <summary>An AIF scope.</summary>
    /// <param name="entries">At least one (path, methods) pair.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="FormatException">No entries, a bad path, a path twice, or an empty or unknown method set.</exception>
    public static AccessScope FromAif(IEnumerable<AifEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        AifEntry[] list = entries.ToArray();
        return CheckEntries(list) is string error ? throw new FormatException(error) : new AccessScope([], list);
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

        if (!t.StartsWith('['))
        {
            return FromText(t);
        }

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
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 2 || item[0].ValueKind != JsonValueKind.String
                || item[1].ValueKind is not (JsonValueKind.Number or JsonValueKind.String))
            {
                throw new FormatException("each AIF entry must be [\"/path\", methods] with methods a number (GET 1, POST 2, PUT 4, DELETE 8 ...) or names like \"GET|PUT\", not " + item.GetRawText());
            }

            ulong methods = item[1].ValueKind == JsonValueKind.String ? ParseMethodNames(item[1].GetString()!)
                : item[1].TryGetUInt64(out ulong n) ? n
                : throw new FormatException("each AIF entry must be [\"/path\", methods] with methods an unsigned integer, not " + item.GetRawText());
            entries.Add(new AifEntry(item[0].GetString()!, methods));
        }

        return FromAif(entries);
    }

    /// <summary>
    /// What both allow (RFC 9200 §5.8.1: the AS may narrow the scope): for text the tokens in both (in this scope's
    /// order), for AIF the paths in both with the AND of their method sets. Null when nothing is left or the kinds differ.
    /// </summary>
    /// <param name="other">The other scope (e.g. what policy grants).</param>
    /// <returns>The intersection, or null.</returns>
    public AccessScope? Intersect(AccessScope other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (IsAif != other.IsAif)
        {
            return null;
        }

        string[] tokens = _tokens.Where(t => other._tokens.Contains(t, StringComparer.Ordinal)).ToArray();
        AifEntry[] entries = _entries
            .Select(e => new AifEntry(e.Path, e.Methods & (other._entries.FirstOrDefault(o => o.Path == e.Path)?.Methods ?? 0)))
            .Where(e => e.Methods != 0).ToArray();
        return tokens.Length + entries.Length == 0 ? null : new AccessScope(tokens, entries);
    }

    /// <summary>What either allows (several grants for one audience add up). Null when the kinds differ.</summary>
    /// <param name="other">The other scope.</param>
    /// <returns>The union, or null.</returns>
    public AccessScope? Union(AccessScope other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (IsAif != other.IsAif)
        {
            return null;
        }

        string[] tokens = _tokens.Concat(other._tokens).Distinct(StringComparer.Ordinal).ToArray();
        AifEntry[] entries = _entries.Concat(other._entries).GroupBy(e => e.Path, StringComparer.Ordinal)
            .Select(g => new AifEntry(g.Key, g.Aggregate(0UL, (m, e) => m | e.Methods))).ToArray();
        return new AccessScope(tokens, entries);
    }

    /// <summary>Writes the JSON form (a string, or [[path, methods], ...] with the methods as a number).</summary>
    /// <param name="w">The writer.</param>
    public void WriteJson(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (!IsAif)
        {
            w.WriteStringValue(Text);
            return;
        }

        w.WriteStartArray();
        foreach (AifEntry e in _entries)
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
    public override string ToString() => IsAif
        ? "[" + string.Join(',', _entries.Select(e => "[" + JsonSerializer.Serialize(e.Path) + ",\"" + MethodText(e.Methods) + "\"]")) + "]"
        : Text!;

    /// <summary>Method names of a REST-method set joined by '|', e.g. "GET|PUT" or "POST|Dynamic-GET".</summary>
    /// <param name="methods">The RFC 9237 bitmask.</param>
    /// <returns>The names.</returns>
    public static string MethodText(ulong methods)
    {
        var names = new List<string>();
        for (int bit = 0; bit < 64; bit++)
        {
            if ((methods & (1UL << bit)) != 0)
            {
                names.Add(MethodName(bit));
            }
        }

        return string.Join('|', names);
    }

    /// <inheritdoc/>
    public bool Equals(AccessScope? other) =>
        other != null && _tokens.SequenceEqual(other._tokens) && _entries.SequenceEqual(other._entries);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as AccessScope);

    /// <inheritdoc/>
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    private static string MethodName(int bit) =>
        bit < MethodNames.Length ? MethodNames[bit]
        : bit >= DynamicOffset && bit - DynamicOffset < MethodNames.Length ? "Dynamic-" + MethodNames[bit - DynamicOffset]
        : "bit" + bit.ToString(CultureInfo.InvariantCulture);

    private static ulong ParseMethodNames(string text)
    {
        ulong mask = 0;
        foreach (string name in text.Split(['|', ',', '+', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            int bit = Enumerable.Range(0, 64).FirstOrDefault(b => string.Equals(MethodName(b), name, StringComparison.OrdinalIgnoreCase), -1);
            if (bit < 0 || (KnownMethods & (1UL << bit)) == 0)
            {
                throw new FormatException("unknown CoAP method \"" + name + "\" in an AIF scope; use " + string.Join(", ", MethodNames) + " or Dynamic-X (RFC 9237 §3)");
            }

            mask |= 1UL << bit;
        }

        return mask;
    }

    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by spaces.
    private static string? CheckTokens(string[] tokens)
    {
        if (tokens.Length == 0)
        {
            return "a text scope must hold at least one scope token";
        }

        foreach (string t in tokens)
        {
            foreach (char c in t)
            {
                if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
                {
                    return "scope token \"" + t + "\" has a character RFC 6749 §3.3 does not allow (U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) + ", outside %x21 / %x23-5B / %x5D-7E)";
                }
            }
        }

        return tokens.Distinct(StringComparer.Ordinal).Count() != tokens.Length ? "scope repeats a token" : null;
    }

    private static string? CheckEntries(AifEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return "an AIF scope needs at least one [path, methods] entry (RFC 9237 §3)";
        }

        foreach (AifEntry e in entries)
        {
            if (e.Path.Length == 0 || e.Path[0] != '/' || e.Path.Length > 255)
            {
                return "AIF path \"" + e.Path + "\" must be a URI local part starting with '/', at most 255 characters (RFC 9237 §2.1)";
            }

            if (e.Methods == 0 || (e.Methods & ~KnownMethods) != 0)
            {
                return "AIF methods for \"" + e.Path + "\" must be a non-empty set of GET 1, POST 2, PUT 4, DELETE 8, FETCH 16, PATCH 32, iPATCH 64, or those shifted by 32 for Dynamic-X (RFC 9237 §3)";
            }
        }

        return entries.Select(e => e.Path).Distinct(StringComparer.Ordinal).Count() != entries.Length ? "AIF scope names a path twice" : null;
    }
}
