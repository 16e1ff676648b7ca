using PopIoT.Core.Cbor;

namespace PopIoT.Core.Cwt;

/// <summary>
/// OSCORE_Input_Material (RFC 9203 §3.2.1), the osc (4) cnf method, parsed as slices of the buffer
/// holding the cnf (the decrypted token). id and ms are required (RFC 9203 §3.2: "MUST be
/// communicated"); other absent fields read as absent (length -1 or 0 values), and the defaults of
/// RFC 8613 §3.2 apply at context derivation, not here. Unknown labels are ignored (the CDDL's
/// <c>* (int / tstr) =&gt; any</c>). Holds the Master Secret: erase it with the owning
/// <see cref="CwtValidationResult"/>'s Clear.
/// </summary>
public sealed class OscoreInputMaterial
{
    /// <summary>id label (bstr).</summary>
    public const int LabelId = 0;

    /// <summary>version label (uint).</summary>
    public const int LabelVersion = 1;

    /// <summary>ms label, the Master Secret (bstr).</summary>
    public const int LabelMs = 2;

    /// <summary>hkdf label (tstr / int).</summary>
    public const int LabelHkdf = 3;

    /// <summary>alg label, the AEAD algorithm (tstr / int).</summary>
    public const int LabelAlg = 4;

    /// <summary>salt label, the Master Salt (bstr).</summary>
    public const int LabelSalt = 5;

    /// <summary>contextId label, the ID Context (bstr).</summary>
    public const int LabelContextId = 6;

    internal OscoreInputMaterial()
    {
        Reset();
    }

    /// <summary>The array holding the slices.</summary>
    public byte[] Buffer { get; private set; }

    /// <summary>id content.</summary>
    public int IdOffset { get; private set; }

    /// <summary>id length.</summary>
    public int IdLength { get; private set; }

    /// <summary>version, or -1 when absent (RFC 9203 §3.2.1 default: 1).</summary>
    public long Version { get; private set; }

    /// <summary>Master Secret content.</summary>
    public int MasterSecretOffset { get; private set; }

    /// <summary>Master Secret length.</summary>
    public int MasterSecretLength { get; private set; }

    /// <summary>hkdf as an integer (COSE algorithm number), or 0 when absent or text (see <see cref="HkdfTextLength"/>).</summary>
    public int Hkdf { get; private set; }

    /// <summary>hkdf as text: its content offset.</summary>
    public int HkdfTextOffset { get; private set; }

    /// <summary>hkdf as text: its length, or -1 when not text.</summary>
    public int HkdfTextLength { get; private set; }

    /// <summary>alg as an integer (COSE algorithm number), or 0 when absent or text.</summary>
    public int Algorithm { get; private set; }

    /// <summary>alg as text: its content offset.</summary>
    public int AlgorithmTextOffset { get; private set; }

    /// <summary>alg as text: its length, or -1 when not text.</summary>
    public int AlgorithmTextLength { get; private set; }

    /// <summary>salt content.</summary>
    public int SaltOffset { get; private set; }

    /// <summary>salt length, or -1 when absent.</summary>
    public int SaltLength { get; private set; }

    /// <summary>contextId content.</summary>
    public int ContextIdOffset { get; private set; }

    /// <summary>contextId length, or -1 when absent.</summary>
    public int ContextIdLength { get; private set; }

    /// <summary>Never prints the secret.</summary>
    /// <returns>A description without key bytes.</returns>
    public override string ToString()
    {
        return "OSCORE_Input_Material(id " + IdLength.ToString() + " bytes, ms " + MasterSecretLength.ToString() + " bytes)";
    }

    internal void Reset()
    {
        Buffer = null;
        IdOffset = IdLength = 0;
        Version = -1;
        MasterSecretOffset = MasterSecretLength = 0;
        Hkdf = Algorithm = 0;
        HkdfTextOffset = AlgorithmTextOffset = 0;
        HkdfTextLength = AlgorithmTextLength = -1;
        SaltOffset = ContextIdOffset = 0;
        SaltLength = ContextIdLength = -1;
    }

    // The reader is positioned at the map. Returns None, InvalidCnf, or LimitExceeded.
    internal CwtError Parse(CborReader r, byte[] buffer)
    {
        Reset();
        if (r.PeekState() != CborReaderState.StartMap)
        {
            return CwtError.InvalidCnf;
        }

        r.ReadStartMap();
        int seen = 0;
        int pairs = 0;
        while (r.HasNext())
        {
            if (++pairs > CwtLimits.MaxKeyLabels)
            {
                return CwtError.LimitExceeded;
            }

            CborReaderState ks = r.PeekState();
            if (ks != CborReaderState.UnsignedInteger)
            {
                if (ks != CborReaderState.NegativeInteger && ks != CborReaderState.TextString)
                {
                    return CwtError.InvalidCnf;
                }

                r.SkipValue();
                r.SkipValue();
                continue;
            }

            ulong label = r.ReadUInt64();
            if (label > LabelContextId)
            {
                r.SkipValue();
                continue;
            }

            int bit = 1 << (int)label;
            if ((seen & bit) != 0)
            {
                return CwtError.InvalidCnf;
            }

            seen |= bit;
            if (!ReadField(r, (int)label))
            {
                return CwtError.InvalidCnf;
            }
        }

        r.ReadEndMap();

        // RFC 9203 §3.2: the Master Secret and the identifier MUST be communicated.
        if ((seen & (1 << LabelMs)) == 0 || (seen & (1 << LabelId)) == 0)
        {
            return CwtError.InvalidCnf;
        }

        Buffer = buffer;
        return CwtError.None;
    }

    private bool ReadField(CborReader r, int label)
    {
        CborReaderState s = r.PeekState();
        int o;
        int n;
        switch (label)
        {
            case LabelVersion:
                if (s != CborReaderState.UnsignedInteger)
                {
                    return false;
                }

                ulong v = r.ReadUInt64();
                if (v > int.MaxValue)
                {
                    return false;
                }

                Version = (long)v;
                return true;

            case LabelHkdf:
            case LabelAlg:
                if (s == CborReaderState.TextString)
                {
                    r.ReadTextString(out o, out n);
                    if (label == LabelHkdf)
                    {
                        HkdfTextOffset = o;
                        HkdfTextLength = n;
                    }
                    else
                    {
                        AlgorithmTextOffset = o;
                        AlgorithmTextLength = n;
                    }

                    return true;
                }

                if (s != CborReaderState.UnsignedInteger && s != CborReaderState.NegativeInteger)
                {
                    return false;
                }

                ulong arg = s == CborReaderState.UnsignedInteger ? r.ReadUInt64() : r.ReadNegativeIntegerArgument();
                if (arg > int.MaxValue)
                {
                    return false;
                }

                int value = s == CborReaderState.UnsignedInteger ? (int)arg : -1 - (int)arg;
                if (label == LabelHkdf)
                {
                    Hkdf = value;
                }
                else
                {
                    Algorithm = value;
                }

                return true;

            default:
                if (s != CborReaderState.ByteString)
                {
                    return false;
                }

                r.ReadByteString(out o, out n);
                if (label == LabelId)
                {
                    IdOffset = o;
                    IdLength = n;
                }
                else if (label == LabelMs)
                {
                    MasterSecretOffset = o;
                    MasterSecretLength = n;
                }
                else if (label == LabelSalt)
                {
                    SaltOffset = o;
                    SaltLength = n;
                }
                else
                {
                    ContextIdOffset = o;
                    ContextIdLength = n;
                }

                return true;
        }
    }
}
