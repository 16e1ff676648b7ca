using System.Globalization;
using PopIoT.Core.Cbor;

namespace PopIoT.Ace;

/// <summary>The CBOR form of a scope (RFC 9200 §5.8.1: a text string; RFC 9237 §3: an AIF array): one decoder, one encoder.</summary>
public sealed partial class AccessScope
{
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
    public static bool TryDecode(byte[] buffer, int offset, int count, out AccessScope? scope, out string? error)
    {
        ArgumentNullException.ThrowIfNull(buffer);
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
            if (state == CborReaderState.ByteString)
            {
                r.ReadByteString(out int o, out int n);
                if (n == 0 || (buffer[o] >> 5) != (int)CborMajorType.Array || r.BytesRemaining != 0)
                {
                    error = "a byte-string scope must hold one encoded AIF array (RFC 9237)";
                    return false;
                }

                return TryDecode(buffer, o, n, out scope, out error);
            }

            error = state switch
            {
                CborReaderState.TextString => ReadText(r, out scope),
                CborReaderState.StartArray => ReadAif(r, out scope),
                _ => "scope must be a text string or an AIF array, not " + state.ToString(),
            };
            if (error == null && r.BytesRemaining != 0)
            {
                (scope, error) = (null, "trailing bytes after the scope");
            }

            return error == null;
        }
        catch (CborException e)
        {
            error = "scope is not well-formed CBOR (" + e.Message + ")";
            return false;
        }
    }

    /// <summary>Decodes one CBOR scope (see <see cref="TryDecode"/>).</summary>
    /// <param name="cbor">One CBOR data item.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="FormatException">Malformed, or neither form.</exception>
    public static AccessScope Decode(byte[] cbor)
    {
        ArgumentNullException.ThrowIfNull(cbor);
        return TryDecode(cbor, 0, cbor.Length, out AccessScope? s, out string? e) ? s! : throw new FormatException("CBOR scope is not a text string or an AIF array: " + e);
    }

    /// <summary>The CBOR encoding (RFC 9200 §5.8.1: a text string; RFC 9237 §3: an array), as the token's scope claim.</summary>
    /// <returns>The encoded scope.</returns>
    public byte[] Encode()
    {
        byte[] buffer = new byte[16 + _tokens.Sum(t => 1 + (t.Length * 3)) + _entries.Sum(e => 16 + (e.Path.Length * 3))];
        var w = new CborWriter(buffer);
        if (!IsAif)
        {
            w.WriteTextString(Text!);
        }
        else
        {
            w.WriteStartArray(_entries.Length);
            foreach (AifEntry e in _entries)
            {
                w.WriteStartArray(2);
                w.WriteTextString(e.Path);
                w.WriteUInt64(e.Methods);
            }
        }

        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }

    private static string? ReadAif(CborReader r, out AccessScope? scope)
    {
        scope = null;
        int items = r.ReadStartArray();
        if (items < 0 || items > MaxEntries)
        {
            return "an AIF scope must be a definite-length array of 1.." + MaxEntries.ToString(CultureInfo.InvariantCulture) + " entries";
        }

        var entries = new AifEntry[items];
        for (int i = 0; i < items; i++)
        {
            string at = "AIF entry " + i.ToString(CultureInfo.InvariantCulture);
            if (r.PeekState() != CborReaderState.StartArray || r.ReadStartArray() != 2)
            {
                return at + " must be [path, methods] (RFC 9237 §3)";
            }

            if (r.PeekState() != CborReaderState.TextString)
            {
                return at + ": the path must be a text string";
            }

            string path = r.ReadTextString();
            if (r.PeekState() != CborReaderState.UnsignedInteger)
            {
                return at + ": the method set must be an unsigned integer";
            }

            entries[i] = new AifEntry(path, r.ReadUInt64());
            r.ReadEndArray();
        }

        r.ReadEndArray();
        string? error = CheckEntries(entries);
        scope = error == null ? new AccessScope([], entries) : null;
        return error;
    }

    private static string? ReadText(CborReader r, out AccessScope? scope)
    {
        string[] tokens = r.ReadTextString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string? error = tokens.Length > MaxEntries ? "scope has more than " + MaxEntries.ToString(CultureInfo.InvariantCulture) + " tokens" : CheckTokens(tokens);
        scope = error == null ? new AccessScope(tokens, []) : null;
        return error;
    }
}
