using System.Globalization;
using System.Text;
using PopIoT.Core.Cbor;

namespace PopIoT.AuthorizationServer.Policy;

/// <summary>
/// A scope as the AS handles it: either text scope-tokens separated by spaces (RFC 6749 §3.3, RFC 9200 §5.8.1), or an
/// AIF-REST data item (RFC 9237 §3): pairs of a local path and a REST method set, where bit n-1 stands for the CoAP
/// method with code 0.0n (GET 1, POST 2, PUT 4, DELETE 8, FETCH 16, PATCH 32, iPATCH 64). Immutable.
/// </summary>
public sealed class AceScope : IEquatable<AceScope>
{
    /// <summary>The longest scope accepted, encoded (a token request is small; this bounds parsing work).</summary>
    public const int MaxEncodedBytes = 1024;

    /// <summary>The most scope-tokens or AIF entries in one scope.</summary>
    public const int MaxEntries = 64;

    private readonly string[] _tokens;
    private readonly (string Path, ulong Methods)[] _entries;

    private AceScope(string[] tokens, (string Path, ulong Methods)[] entries, bool isAif)
    {
        _tokens = tokens;
        _entries = entries;
        IsAif = isAif;
    }

    /// <summary>Whether this is an AIF scope (otherwise text).</summary>
    public bool IsAif { get; }

    /// <summary>The scope-tokens of a text scope, in order (empty for AIF).</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>The (path, method set) entries of an AIF scope, in order (empty for text).</summary>
    public IReadOnlyList<(string Path, ulong Methods)> Entries => _entries;

    /// <summary>
    /// Parses the command-line syntax: AIF written as JSON, <c>[["/temp",1],["/led",5]]</c>, or a text scope,
    /// <c>read write</c>. Text that starts with '[' is taken as AIF.
    /// </summary>
    /// <param name="text">The scope.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="FormatException">The syntax is wrong; the message says where.</exception>
    public static AceScope Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        if (t.StartsWith('['))
        {
            return ParseAifJson(t);
        }

        string[] tokens = t.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string? error = CheckTokens(tokens);
        if (error != null)
        {
            throw new FormatException(error);
        }

        return new AceScope(tokens, [], false);
    }

    /// <summary>
    /// Decodes the scope parameter or claim (RFC 9200 §5.8.1): a text string, an AIF array (RFC 9237 §3), or a byte
    /// string holding one encoded AIF array. Never throws for bad input.
    /// </summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">Where the data item starts.</param>
    /// <param name="count">Its length.</param>
    /// <param name="scope">The scope.</param>
    /// <param name="error">Why it was refused.</param>
    /// <returns>True when well formed.</returns>
    public static bool TryDecode(byte[] buffer, int offset, int count, out AceScope? scope, out string? error)
    {
        scope = null;
        if (count > MaxEncodedBytes)
        {
            error = "scope is " + count.ToString(CultureInfo.InvariantCulture) + " bytes; at most " + MaxEncodedBytes.ToString(CultureInfo.InvariantCulture) + " accepted";
            return false;
        }

        try
        {
            var r = new CborReader(buffer, offset, count, 4);
            CborReaderState state = r.PeekState();
            if (state == CborReaderState.TextString)
            {
                string[] tokens = r.ReadTextString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                error = CheckTokens(tokens);
                if (error == null)
                {
                    scope = new AceScope(tokens, [], false);
                }

                return error == null;
            }

            if (state == CborReaderState.ByteString)
            {
                r.ReadByteString(out int o, out int n);
                if (n == 0 || (buffer[o] >> 5) != (int)CborMajorType.Array)
                {
                    error = "a byte-string scope must hold an encoded AIF array (RFC 9237)";
                    return false;
                }

                return TryDecode(buffer, o, n, out scope, out error);
            }

            if (state != CborReaderState.StartArray)
            {
                error = "scope must be a text string or an AIF array, not " + state.ToString();
                return false;
            }

            int items = r.ReadStartArray();
            if (items < 0 || items > MaxEntries)
            {
                error = "an AIF scope must be a definite-length array of 1.." + MaxEntries.ToString(CultureInfo.InvariantCulture) + " entries";
                return false;
            }

            var entries = new (string, ulong)[items];
            for (int i = 0; i < items; i++)
            {
                if (r.PeekState() != CborReaderState.StartArray || r.ReadStartArray() != 2)
                {
                    error = "AIF entry " + i.ToString(CultureInfo.InvariantCulture) + " must be [path, methods] (RFC 9237 §3)";
                    return false;
                }

                if (r.PeekState() != CborReaderState.TextString)
                {
                    error = "AIF entry " + i.ToString(CultureInfo.InvariantCulture) + ": the path must be a text string";
                    return false;
                }

                string path = r.ReadTextString();
                if (r.PeekState() != CborReaderState.UnsignedInteger)
                {
                    error = "AIF entry " + i.ToString(CultureInfo.InvariantCulture) + ": the method set must be an unsigned integer";
                    return false;
                }

                entries[i] = (path, r.ReadUInt64());
                r.ReadEndArray();
            }

            r.ReadEndArray();
            if (r.BytesRemaining != 0)
            {
                error = "trailing bytes after the scope";
                return false;
            }

            error = CheckEntries(entries);
            if (error == null)
            {
                scope = new AceScope([], entries, true);
            }

            return error == null;
        }
        catch (CborException e)
        {
            error = "scope is not well-formed CBOR (" + e.Message + ")";
            return false;
        }
    }

    /// <summary>Decodes an encoding made by <see cref="Encode"/>.</summary>
    /// <param name="encoded">The CBOR.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="FormatException">Not a scope.</exception>
    public static AceScope Decode(byte[] encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return TryDecode(encoded, 0, encoded.Length, out AceScope? s, out string? e) ? s! : throw new FormatException(e);
    }

    /// <summary>
    /// What both allow (RFC 9200 §5.8.1: the AS may narrow the scope): for text the tokens in both (in this scope's
    /// order), for AIF the paths in both with the AND of their method sets. Null when nothing is left or the kinds differ.
    /// </summary>
    /// <param name="other">The other scope (e.g. what policy grants).</param>
    /// <returns>The intersection, or null.</returns>
    public AceScope? Intersect(AceScope other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (IsAif != other.IsAif)
        {
            return null;
        }

        if (!IsAif)
        {
            string[] both = _tokens.Where(t => Array.IndexOf(other._tokens, t) >= 0).ToArray();
            return both.Length == 0 ? null : new AceScope(both, [], false);
        }

        var entries = new List<(string, ulong)>();
        foreach ((string path, ulong methods) in _entries)
        {
            foreach ((string p, ulong m) in other._entries)
            {
                if (p == path && (methods & m) != 0)
                {
                    entries.Add((path, methods & m));
                }
            }
        }

        return entries.Count == 0 ? null : new AceScope([], entries.ToArray(), true);
    }

    /// <summary>What either allows (several grants for one audience add up). Null when the kinds differ.</summary>
    /// <param name="other">The other scope.</param>
    /// <returns>The union, or null.</returns>
    public AceScope? Union(AceScope other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (IsAif != other.IsAif)
        {
            return null;
        }

        if (!IsAif)
        {
            return new AceScope(_tokens.Concat(other._tokens.Where(t => Array.IndexOf(_tokens, t) < 0)).ToArray(), [], false);
        }

        var entries = _entries.ToList();
        foreach ((string p, ulong m) in other._entries)
        {
            int i = entries.FindIndex(e => e.Path == p);
            if (i >= 0)
            {
                entries[i] = (p, entries[i].Methods | m);
            }
            else
            {
                entries.Add((p, m));
            }
        }

        return new AceScope([], entries.ToArray(), true);
    }

    /// <summary>The scope as a CBOR data item: a text string or an AIF array (the form put in tokens and responses).</summary>
    /// <returns>The encoding.</returns>
    public byte[] Encode()
    {
        byte[] buffer = new byte[MaxEncodedBytes * 2];
        var w = new CborWriter(buffer);
        if (!IsAif)
        {
            w.WriteTextString(string.Join(' ', _tokens));
        }
        else
        {
            w.WriteStartArray(_entries.Length);
            foreach ((string path, ulong methods) in _entries)
            {
                w.WriteStartArray(2);
                w.WriteTextString(path);
                w.WriteUInt64(methods);
            }
        }

        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }

    /// <summary>The command-line form: the text, or AIF as JSON.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        if (!IsAif)
        {
            return string.Join(' ', _tokens);
        }

        var sb = new StringBuilder("[");
        for (int i = 0; i < _entries.Length; i++)
        {
            sb.Append(i == 0 ? "[" : ",[").Append(System.Text.Json.JsonSerializer.Serialize(_entries[i].Path)).Append(',')
              .Append(_entries[i].Methods.ToString(CultureInfo.InvariantCulture)).Append(']');
        }

        return sb.Append(']').ToString();
    }

    /// <inheritdoc/>
    public bool Equals(AceScope? other) =>
        other != null && IsAif == other.IsAif && _tokens.SequenceEqual(other._tokens) && _entries.SequenceEqual(other._entries);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as AceScope);

    /// <inheritdoc/>
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
    private static string? CheckTokens(string[] tokens)
    {
        if (tokens.Length == 0)
        {
            return "scope is empty";
        }

        if (tokens.Length > MaxEntries)
        {
            return "scope has " + tokens.Length.ToString(CultureInfo.InvariantCulture) + " tokens; at most " + MaxEntries.ToString(CultureInfo.InvariantCulture);
        }

        foreach (string t in tokens)
        {
            foreach (char c in t)
            {
                if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
                {
                    return "scope token \"" + t + "\" has a character outside %x21 / %x23-5B / %x5D-7E (RFC 6749 §3.3)";
                }
            }
        }

        return tokens.Distinct(StringComparer.Ordinal).Count() != tokens.Length ? "scope repeats a token" : null;
    }

    private static string? CheckEntries((string Path, ulong Methods)[] entries)
    {
        if (entries.Length == 0)
        {
            return "an AIF scope needs at least one [path, methods] entry";
        }

        foreach ((string path, ulong methods) in entries)
        {
            if (!path.StartsWith('/') || path.Length > 255)
            {
                return "AIF path \"" + path + "\" must start with '/' and be at most 255 characters (RFC 9237 §2.1: local-part of a URI)";
            }

            if (methods == 0)
            {
                return "AIF entry for \"" + path + "\" allows no method (the method set must not be 0)";
            }
        }

        return entries.Select(e => e.Path).Distinct(StringComparer.Ordinal).Count() != entries.Length ? "AIF scope names a path twice" : null;
    }

    private static AceScope ParseAifJson(string text)
    {
        System.Text.Json.JsonDocument doc;
        try
        {
            doc = System.Text.Json.JsonDocument.Parse(text);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new FormatException("AIF scope is not valid JSON (" + e.Message + "); write it like [[\"/temp\",1],[\"/led\",5]]");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Array || root.GetArrayLength() > MaxEntries)
            {
                throw new FormatException("AIF scope must be a JSON array of [path, methods] pairs");
            }

            var entries = new List<(string, ulong)>();
            foreach (var e in root.EnumerateArray())
            {
                if (e.ValueKind != System.Text.Json.JsonValueKind.Array || e.GetArrayLength() != 2
                    || e[0].ValueKind != System.Text.Json.JsonValueKind.String || !e[1].TryGetUInt64(out ulong m))
                {
                    throw new FormatException("AIF entry " + e.GetRawText() + " must be [\"/path\", methods] with methods an unsigned integer (GET 1, POST 2, PUT 4, DELETE 8)");
                }

                entries.Add((e[0].GetString()!, m));
            }

            string? error = CheckEntries(entries.ToArray());
            return error == null ? new AceScope([], entries.ToArray(), true) : throw new FormatException(error);
        }
    }
}
