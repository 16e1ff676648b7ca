using PopIoT.Core.Cbor;

namespace PopIoT.Core.Ace;

/// <summary>
/// The psk_identity of an RFC 9202 §3.3.2 handshake, read as CBOR: either the kid form, a map whose only element is
/// cnf holding a symmetric COSE_Key with a kid (<c>{8: {1: {1: 4, 2: kid}}}</c>, the RFC's 17-byte example
/// <c>A1 08 A1 01 A2 01 04 02 48 3D 02 78 33 FC 62 67 CE</c>), naming a token already posted to /authz-info; or the
/// access token itself (anything that is not a map: a COSE message, tagged or not), which goes to the token intake.
/// The identity is opaque bytes with a length everywhere (DESIGN.md §5a). Reuse one instance; parsing allocates nothing
/// and never throws for bad input.
/// </summary>
public sealed class AceDtlsIdentity
{
    private readonly CborReader _reader = new CborReader(new byte[1], 0, 0, 4) { ThrowOnError = false };

    /// <summary>Where the kid starts in the identity's buffer (after <see cref="ParseKid"/> returned true).</summary>
    public int KidOffset { get; private set; }

    /// <summary>The kid's length.</summary>
    public int KidLength { get; private set; }

    /// <summary>Whether the identity is in the kid form's shape (a CBOR map), so it names a token rather than carrying one.</summary>
    /// <param name="identity">The psk_identity.</param>
    /// <returns>True for a map.</returns>
    public static bool IsKidForm(ByteRange identity)
    {
        return identity.Count > 0 && (identity.Buffer[identity.Offset] >> 5) == (int)CborMajorType.Map;
    }

    /// <summary>
    /// Reads the kid form: a map with exactly the key cnf (8), holding a map with exactly the key COSE_Key (1), a
    /// COSE_Key with kty symmetric (4) and a kid of 1 to <paramref name="maxKidLength"/> bytes (other COSE_Key
    /// parameters are skipped), and nothing after it.
    /// </summary>
    /// <param name="identity">The psk_identity.</param>
    /// <param name="maxKidLength">The longest kid accepted.</param>
    /// <returns>True with <see cref="KidOffset"/> and <see cref="KidLength"/> set; false for anything else.</returns>
    public bool ParseKid(ByteRange identity, int maxKidLength)
    {
        KidOffset = 0;
        KidLength = 0;
        if (!IsKidForm(identity))
        {
            return false;
        }

        CborReader r = _reader;
        r.Reset(identity);
        bool ok = r.ReadStartMap() == 1 && r.PeekState() == CborReaderState.UnsignedInteger && r.ReadUInt64() == 8
            && r.PeekState() == CborReaderState.StartMap && r.ReadStartMap() == 1
            && r.PeekState() == CborReaderState.UnsignedInteger && r.ReadUInt64() == 1
            && r.PeekState() == CborReaderState.StartMap && ReadCoseKey(r, r.ReadStartMap());
        if (ok)
        {
            // The COSE_Key, cnf and outer maps close in turn.
            r.ReadEndMap();
            r.ReadEndMap();
            r.ReadEndMap();
        }

        ok = ok && r.Error == CborError.None && r.BytesRemaining == 0 && KidLength >= 1 && KidLength <= maxKidLength;
        if (!ok)
        {
            KidOffset = 0;
            KidLength = 0;
        }

        return ok;
    }

    // RFC 9052 §7: kty (1) must be symmetric (4, RFC 9053 §6.1); kid (2) a byte string; labels given twice refused.
    private bool ReadCoseKey(CborReader r, int count)
    {
        bool kty = false;
        bool kid = false;
        for (int i = 0; i < count && r.Error == CborError.None; i++)
        {
            CborReaderState label = r.PeekState();
            long key = label == CborReaderState.UnsignedInteger || label == CborReaderState.NegativeInteger ? r.ReadInt64() : 0;
            if (label != CborReaderState.UnsignedInteger && label != CborReaderState.NegativeInteger)
            {
                r.SkipValue();
                r.SkipValue();
                continue;
            }

            if (key == 1)
            {
                if (kty || r.PeekState() != CborReaderState.UnsignedInteger || r.ReadUInt64() != 4)
                {
                    return false;
                }

                kty = true;
            }
            else if (key == 2)
            {
                if (kid || r.PeekState() != CborReaderState.ByteString)
                {
                    return false;
                }

                int offset;
                int length;
                r.ReadByteString(out offset, out length);
                KidOffset = offset;
                KidLength = length;
                kid = true;
            }
            else
            {
                r.SkipValue();
            }
        }

        return kty && kid && r.Error == CborError.None;
    }
}
