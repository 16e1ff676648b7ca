using System.Text;
using PopIoT.Cbor;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;

namespace PopIoT.Cose;

/// <summary>
/// Prints a CWT or COSE message in extended diagnostic notation (RFC 8949 §8, with the
/// <c>&lt;&lt; &gt;&gt;</c> embedded-CBOR and <c>/ comment /</c> forms of RFC 8610 Appendix G):
/// tags, message parts, header labels, algorithm names, claim names and <c>cnf</c> members
/// are named, and byte strings that hold CBOR (protected headers, claims, nested messages) are
/// opened. Secret key parameters (COSE_Key <c>k</c> and <c>d</c>) are hidden unless asked for.
/// Malformed input throws <see cref="CborException"/> with the offset.
/// </summary>
public sealed class AnnotatedDiagnostic
{
    private const int MaxNesting = 8;

    private readonly byte[] _data;
    private readonly bool _showSecrets;
    private readonly Decryptor? _decrypt;
    private readonly StringBuilder _out = new();

    private AnnotatedDiagnostic(byte[] data, bool showSecrets, Decryptor? decrypt)
    {
        _data = data;
        _showSecrets = showSecrets;
        _decrypt = decrypt;
    }

    /// <summary>
    /// Opens a COSE_Encrypt0 given as a slice of <paramref name="buffer"/> (without its tag);
    /// returns the plaintext, or null when it does not decrypt.
    /// </summary>
    public delegate byte[]? Decryptor(byte[] buffer, int offset, int count);

    /// <summary>Formats one encoded CWT or COSE message (tagged or untagged).</summary>
    /// <param name="encoded">The token or message.</param>
    /// <param name="showSecrets">Print symmetric and private key bytes instead of hiding them.</param>
    /// <returns>The annotated notation, several lines.</returns>
    /// <param name="decrypt">Opens COSE_Encrypt0 layers so their plaintext is shown too; null shows only the ciphertext.</param>
    public static string Format(byte[] encoded, bool showSecrets = false, Decryptor? decrypt = null)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        CborReader.Validate(encoded, 0, encoded.Length);
        var d = new AnnotatedDiagnostic(encoded, showSecrets, decrypt);
        d.Message(0, encoded.Length, 0, 0);
        return d._out.ToString();
    }

    // A COSE message, possibly inside tags (61 CWT, 16/17/18 COSE), or a bare claims set.
    private void Message(int offset, int length, int indent, int nesting)
    {
        var r = new CborReader(_data, offset, length);
        int tags = 0;
        ulong lastTag = 0;
        while (r.PeekState() == CborReaderState.Tag)
        {
            lastTag = r.ReadTag();
            _out.Append(lastTag).Append('(').Append(TagComment(lastTag));
            tags++;
        }

        r.ReadEncodedValue(out int itemOffset, out int itemLength);
        var inner = new CborReader(_data, itemOffset, itemLength);
        CborReaderState state = inner.PeekState();
        if (state == CborReaderState.StartArray && nesting < MaxNesting)
        {
            int count = inner.ReadStartArray();
            string[]? parts = PartNames(lastTag, count);
            if (parts != null)
            {
                CoseArray(inner, parts, indent, nesting, itemOffset, itemLength);
            }
            else
            {
                Leaf(itemOffset, itemLength);
            }
        }
        else if (state == CborReaderState.StartMap)
        {
            Map(itemOffset, itemLength, indent, MapKind.Claims, nesting);
        }
        else
        {
            Leaf(itemOffset, itemLength);
        }

        _out.Append(')', tags);
    }

    private void CoseArray(CborReader r, string[] parts, int indent, int nesting, int messageOffset, int messageLength)
    {
        _out.Append("[\n");
        for (int i = 0; i < parts.Length; i++)
        {
            Indent(indent + 1);
            _out.Append("/ ").Append(parts[i]).Append(" / ");
            r.ReadEncodedValue(out int off, out int len);
            switch (parts[i])
            {
                case "protected":
                    Embedded(off, len, indent + 1, MapKind.Header, nesting);
                    break;
                case "unprotected":
                    Map(off, len, indent + 1, MapKind.Header, nesting);
                    break;
                case "payload":
                    Embedded(off, len, indent + 1, MapKind.Claims, nesting);
                    break;
                case "ciphertext":
                    Leaf(off, len);
                    Plaintext(messageOffset, messageLength, indent + 1, nesting);
                    break;
                default:
                    Leaf(off, len);
                    break;
            }

            _out.Append(i + 1 < parts.Length ? ",\n" : "\n");
        }

        Indent(indent);
        _out.Append(']');
    }

    // RFC 8392 §7.1: an encrypted CWT holds the claims, or a nested tagged CWT, as its plaintext.
    private void Plaintext(int messageOffset, int messageLength, int indent, int nesting)
    {
        if (_decrypt == null)
        {
            return;
        }

        byte[]? plaintext = _decrypt(_data, messageOffset, messageLength);
        _out.Append('\n');
        Indent(indent);
        if (plaintext == null)
        {
            _out.Append("/ the --key given does not decrypt this layer /");
            return;
        }

        _out.Append("/ plaintext (decrypted with --key) / ");
        try
        {
            CborReader.Validate(plaintext, 0, plaintext.Length);
            var inner = new AnnotatedDiagnostic(plaintext, _showSecrets, _decrypt);
            inner.Message(0, plaintext.Length, indent, nesting + 1);
            _out.Append(inner._out);
        }
        catch (CborException)
        {
            _out.Append(CborDiagnostic.ToDiagnosticString(EncodeByteString(plaintext)));
        }
        finally
        {
            Array.Clear(plaintext);
        }
    }

    private static byte[] EncodeByteString(byte[] content)
    {
        byte[] buffer = new byte[content.Length + 9];
        var w = new CborWriter(buffer, 0, buffer.Length);
        w.WriteByteString(content, 0, content.Length);
        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }

    // A byte string that may hold CBOR: shown as << item >> when it holds exactly one item.
    private void Embedded(int offset, int length, int indent, MapKind kind, int nesting)
    {
        var r = new CborReader(_data, offset, length);
        if (r.PeekState() != CborReaderState.ByteString)
        {
            Leaf(offset, length);
            return;
        }

        r.ReadByteString(out int off, out int len);
        if (len == 0 || !HoldsOneItem(off, len))
        {
            Leaf(offset, length);
            return;
        }

        // Only structures are opened: a payload of raw bytes that happens to parse as one
        // small CBOR item (h'00' is the integer 0) is shown as the bytes it is.
        var inner = new CborReader(_data, off, len);
        CborReaderState s = inner.PeekState();
        if (s is not (CborReaderState.StartMap or CborReaderState.Tag or CborReaderState.StartArray))
        {
            Leaf(offset, length);
            return;
        }

        _out.Append("<< ");
        if (s == CborReaderState.StartMap)
        {
            Map(off, len, indent, kind, nesting + 1);
        }
        else
        {
            Message(off, len, indent, nesting + 1);
        }

        _out.Append(" >>");
    }

    private bool HoldsOneItem(int offset, int length)
    {
        try
        {
            CborReader.Validate(_data, offset, length);
            return true;
        }
        catch (CborException)
        {
            return false;
        }
    }

    private void Map(int offset, int length, int indent, MapKind kind, int nesting)
    {
        var r = new CborReader(_data, offset, length);
        int count = r.ReadStartMap();
        if (count == 0)
        {
            _out.Append("{}");
            return;
        }

        _out.Append("{\n");
        bool first = true;
        while (r.PeekState() != CborReaderState.EndMap)
        {
            if (!first)
            {
                _out.Append(",\n");
            }

            first = false;
            Indent(indent + 1);
            long label = 0;
            bool intLabel = r.PeekState() is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger;
            r.ReadEncodedValue(out int keyOff, out int keyLen);
            if (intLabel)
            {
                label = new CborReader(_data, keyOff, keyLen).ReadInt64();
            }

            Leaf(keyOff, keyLen);
            string? name = intLabel ? LabelName(kind, label) : null;
            if (kind == MapKind.CoseKey && label == -1)
            {
                // RFC 9053 §7.1, §7.2, §6.1: -1 is k (bstr) for Symmetric keys and crv for EC2/OKP.
                name = r.PeekState() == CborReaderState.ByteString ? "k" : "crv";
            }

            if (name != null)
            {
                _out.Append(" /").Append(name).Append('/');
            }

            _out.Append(": ");
            r.ReadEncodedValue(out int valOff, out int valLen);
            Value(kind, intLabel ? label : long.MinValue, valOff, valLen, indent + 1, nesting);
        }

        _out.Append('\n');
        Indent(indent);
        _out.Append('}');
    }

    private void Value(MapKind kind, long label, int offset, int length, int indent, int nesting)
    {
        var r = new CborReader(_data, offset, length);
        CborReaderState state = r.PeekState();
        switch (kind)
        {
            case MapKind.Header when label == CoseHeaderLabel.Alg && state is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger:
            case MapKind.CoseKey when label == CoseKeyLabel.Alg && state is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger:
                Leaf(offset, length);
                AppendAlgorithmName(r.ReadInt64());
                return;
            case MapKind.Claims when label == 8 && state == CborReaderState.StartMap: // cnf (RFC 8747 §3.1)
                Map(offset, length, indent, MapKind.Confirmation, nesting);
                return;
            case MapKind.Confirmation when label == 1 && state == CborReaderState.StartMap: // COSE_Key
                Map(offset, length, indent, MapKind.CoseKey, nesting);
                return;
            case MapKind.Confirmation when label == 2 && nesting < MaxNesting: // Encrypted_COSE_Key
                Message(offset, length, indent, nesting + 1);
                return;
            case MapKind.Confirmation when label == 4 && state == CborReaderState.StartMap: // OSCORE_Input_Material
                Map(offset, length, indent, MapKind.OscoreInputMaterial, nesting);
                return;
            case MapKind.CoseKey when (label == -1 || label == -4) && state == CborReaderState.ByteString && !_showSecrets:
                r.ReadByteString(out _, out int secretLength);
                _out.Append("/ ").Append(secretLength).Append(" secret bytes hidden; --show-secrets prints them /");
                return;
            case MapKind.OscoreInputMaterial when label == 2 && state == CborReaderState.ByteString && !_showSecrets:
                r.ReadByteString(out _, out int msLength);
                _out.Append("/ ").Append(msLength).Append("-byte master secret hidden; --show-secrets prints it /");
                return;
            case MapKind.OscoreInputMaterial when label == 4 && state is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger:
                Leaf(offset, length);
                AppendAlgorithmName(r.ReadInt64());
                return;
            default:
                Leaf(offset, length);
                return;
        }
    }

    private void AppendAlgorithmName(long id)
    {
        CoseAlgorithm? alg = id is >= int.MinValue and <= int.MaxValue ? CoseAlgorithm.FromId((int)id) : null;
        if (alg != null)
        {
            _out.Append(" /").Append(alg.Name).Append('/');
        }
    }

    private void Leaf(int offset, int length) => _out.Append(CborDiagnostic.ToDiagnosticString(_data, offset, length));

    private void Indent(int level) => _out.Append(' ', level * 2);

    private static string TagComment(ulong tag) => tag switch
    {
        61 => "/CWT/ ",
        16 => "/COSE_Encrypt0/ ",
        17 => "/COSE_Mac0/ ",
        18 => "/COSE_Sign1/ ",
        _ => "",
    };

    private static string[]? PartNames(ulong tag, int count) => (tag, count) switch
    {
        (17, 4) => ["protected", "unprotected", "payload", "tag"],
        (18, 4) => ["protected", "unprotected", "payload", "signature"],
        (16, 3) => ["protected", "unprotected", "ciphertext"],
        (0, 4) => ["protected", "unprotected", "payload", "tag or signature"],
        (0, 3) => ["protected", "unprotected", "ciphertext"],
        _ => null,
    };

    private static string? LabelName(MapKind kind, long label) => kind switch
    {
        // RFC 9052 §3.1 (common header parameters).
        MapKind.Header => label switch { 1 => "alg", 2 => "crit", 3 => "content type", 4 => "kid", 5 => "IV", 6 => "Partial IV", _ => null },
        // RFC 8392 §9.1 and RFC 9200 §8.14 (CWT claims).
        MapKind.Claims => label switch
        {
            1 => "iss", 2 => "sub", 3 => "aud", 4 => "exp", 5 => "nbf", 6 => "iat", 7 => "cti",
            8 => "cnf", 9 => "scope", 38 => "ace_profile", 39 => "cnonce", 40 => "exi", _ => null,
        },
        // RFC 8747 §3.1 and RFC 9203 §3.2.1 (cnf members).
        MapKind.Confirmation => label switch { 1 => "COSE_Key", 2 => "Encrypted_COSE_Key", 3 => "kid", 4 => "osc", _ => null },
        // RFC 9052 §7.1 and RFC 9053 §7 (COSE_Key parameters; -1 is k for Symmetric, crv for EC2/OKP).
        MapKind.CoseKey => label switch { 1 => "kty", 2 => "kid", 3 => "alg", 4 => "key_ops", 5 => "Base IV", -2 => "x", -3 => "y", -4 => "d", _ => null },
        // RFC 9203 §3.2.1 (OSCORE_Input_Material).
        MapKind.OscoreInputMaterial => label switch { 0 => "id", 1 => "version", 2 => "ms", 3 => "hkdf", 4 => "alg", 5 => "salt", 6 => "contextId", _ => null },
        _ => null,
    };

    private enum MapKind
    {
        Header,
        Claims,
        Confirmation,
        CoseKey,
        OscoreInputMaterial,
    }
}
