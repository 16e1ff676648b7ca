using PopIoT.Core.Cbor;

namespace PopIoT.Core.Cwt;

/// <summary>
/// The parse itself (RFC 8392 §3, RFC 7519 §4.1): one walk of the claims map, each known claim checked for its type and
/// read into its slice or time.
/// </summary>
public sealed partial class CwtClaims
{
    private CwtError ParseCore(byte[] buffer, int offset, int count)
    {
        _clean = false;
        ErrorClaim = 0;
        CborReader r = _reader;
        r.Reset(buffer, offset, count);

        // RFC 8392 §7.2 step 9: the payload must be a claims set, i.e. a CBOR map.
        if (r.PeekState() != CborReaderState.StartMap)
        {
            return CwtError.Malformed;
        }

        r.ReadStartMap();
        int pairs = 0;
        while (true)
        {
            CborReaderState ks = r.PeekState();
            if (ks == CborReaderState.EndMap)
            {
                break;
            }

            if (++pairs > CwtLimits.MaxClaims)
            {
                return CwtError.LimitExceeded;
            }

            int keyAt = r.Position;
            if (ks == CborReaderState.TextString)
            {
                // RFC 8392 §3: keys are int or tstr; text keys are never the registered claims.
                int to;
                int tl;
                r.ReadTextString(out to, out tl);
                CwtError te = AddUnknown(buffer, keyAt, 0, to, tl, r);
                if (te != CwtError.None)
                {
                    return te;
                }

                continue;
            }

            if (ks != CborReaderState.UnsignedInteger && ks != CborReaderState.NegativeInteger)
            {
                return CwtError.Malformed;
            }

            long key;
            if (!ReadLong(r, ks, out key))
            {
                // A key below -2^63 cannot be compared or named; no registered claim is near it.
                return CwtError.Malformed;
            }

            int bit = CwtClaimKey.Bit(key);
            if (bit == 0)
            {
                CwtError ue = AddUnknown(buffer, keyAt, key, 0, -1, r);
                if (ue != CwtError.None)
                {
                    return ue;
                }

                continue;
            }

            if ((_present & bit) != 0)
            {
                ErrorClaim = key;
                return CwtError.DuplicateClaim;
            }

            _present |= bit;
            if (!ReadKnown(r, (int)key))
            {
                ErrorClaim = key;
                return CwtError.InvalidClaim;
            }
        }

        r.ReadEndMap();
        if (r.PeekState() != CborReaderState.Finished)
        {
            return CwtError.Malformed;
        }

        Buffer = buffer;
        MapOffset = offset;
        MapLength = count;
        Count = pairs;
        return CwtError.None;
    }

    // Reads one known claim's value; false when its type is wrong (RFC 8392 §3.1, RFC 9200 §8.14).
    private bool ReadKnown(CborReader r, int key)
    {
        CborReaderState s = r.PeekState();
        int o;
        int n;
        switch (key)
        {
            case CwtClaimKey.Iss:
            case CwtClaimKey.Sub:
                if (s != CborReaderState.TextString)
                {
                    return false;
                }

                r.ReadTextString(out o, out n);
                if (key == CwtClaimKey.Iss)
                {
                    IssuerOffset = o;
                    IssuerLength = n;
                }
                else
                {
                    SubjectOffset = o;
                    SubjectLength = n;
                }

                return true;

            case CwtClaimKey.Aud:
                return ReadAudience(r, s);

            case CwtClaimKey.Exp:
            case CwtClaimKey.Nbf:
            case CwtClaimKey.Iat:
                long t;
                if (!ReadNumericDate(r, s, key == CwtClaimKey.Nbf, out t))
                {
                    return false;
                }

                if (key == CwtClaimKey.Exp)
                {
                    Expiration = t;
                }
                else if (key == CwtClaimKey.Nbf)
                {
                    NotBefore = t;
                }
                else
                {
                    IssuedAt = t;
                }

                return true;

            case CwtClaimKey.Cti:
            case CwtClaimKey.Cnonce:
                if (s != CborReaderState.ByteString)
                {
                    return false;
                }

                r.ReadByteString(out o, out n);
                if (key == CwtClaimKey.Cti)
                {
                    CtiOffset = o;
                    CtiLength = n;
                }
                else
                {
                    CnonceOffset = o;
                    CnonceLength = n;
                }

                return true;

            case CwtClaimKey.Cnf:
                // RFC 8747 §3.1: cnf is a map; its members are checked by CwtConfirmation.
                if (s != CborReaderState.StartMap)
                {
                    return false;
                }

                o = r.Position;
                if (_confirmation != null)
                {
                    _confirmation.Read(r, _reader.Buffer, _encrypted);
                }
                else
                {
                    r.SkipValue();
                }

                CnfOffset = o;
                CnfLength = r.Position - o;
                return true;

            case CwtClaimKey.Scope:
                return ReadScope(r, s);

            case CwtClaimKey.AceProfile:
                long p;
                if ((s != CborReaderState.UnsignedInteger && s != CborReaderState.NegativeInteger) || !ReadLong(r, s, out p) || p < int.MinValue || p > int.MaxValue)
                {
                    return false;
                }

                AceProfile = (int)p;
                return true;

            default:
                // exi: RFC 9200 §8.14 says unsigned integer.
                long x;
                if (s != CborReaderState.UnsignedInteger || !ReadLong(r, s, out x))
                {
                    return false;
                }

                Exi = x;
                return true;
        }
    }

    private bool ReadAudience(CborReader r, CborReaderState s)
    {
        int start = r.Position;
        int o;
        int n;
        if (s == CborReaderState.TextString)
        {
            r.ReadTextString(out o, out n);
            AudienceCount = 1;
            _aud0Offset = o;
            _aud0Length = n;
        }
        else if (s == CborReaderState.StartArray)
        {
            // RFC 7519 §4.1.3 (which RFC 8392 §3.1.3 follows): an array of StringOrURI values.
            r.ReadStartArray();
            int items = 0;
            while (r.HasNext())
            {
                if (r.PeekState() != CborReaderState.TextString)
                {
                    return false;
                }

                r.ReadTextString(out o, out n);
                items++;
            }

            r.ReadEndArray();
            AudienceIsArray = true;
            AudienceCount = items;
        }
        else
        {
            return false;
        }

        AudienceOffset = start;
        AudienceLength = r.Position - start;
        return true;
    }

    private bool ReadScope(CborReader r, CborReaderState s)
    {
        int start = r.Position;
        int o;
        int n;
        if (s == CborReaderState.TextString)
        {
            r.ReadTextString(out o, out n);
            ScopeType = CborMajorType.TextString;
        }
        else if (s == CborReaderState.ByteString)
        {
            r.ReadByteString(out o, out n);
            ScopeType = CborMajorType.ByteString;
        }
        else if (s == CborReaderState.StartArray)
        {
            // AIF (RFC 9237) and other structured scopes: kept raw, interpreted by the scope layer.
            r.ReadEncodedValue(out o, out n);
            ScopeType = CborMajorType.Array;
        }
        else
        {
            return false;
        }

        ScopeOffset = start;
        ScopeLength = r.Position - start;
        ScopeContentOffset = o;
        ScopeContentLength = n;
        return true;
    }

    // RFC 8392 §2 NumericDate: an int or a float, without the tag 1 (it MUST be omitted). Floats are
    // rounded towards the safe side (nbf up, exp/iat down); NaN, infinities and |t| ≥ 2^53 are invalid.
    private static bool ReadNumericDate(CborReader r, CborReaderState s, bool roundUp, out long value)
    {
        value = 0;
        if (s == CborReaderState.UnsignedInteger || s == CborReaderState.NegativeInteger)
        {
            return ReadLong(r, s, out value);
        }

        if (s != CborReaderState.HalfPrecisionFloat && s != CborReaderState.SinglePrecisionFloat && s != CborReaderState.DoublePrecisionFloat)
        {
            return false;
        }

        double d = r.ReadDouble();
        const double Limit = 9007199254740992.0;
        if (!(d > -Limit && d < Limit))
        {
            // Also false for NaN.
            return false;
        }

        long t = (long)d;
        if (roundUp && d > t)
        {
            t++;
        }
        else if (!roundUp && d < t)
        {
            t--;
        }

        value = t;
        return true;
    }

    // s is the state the caller has just peeked (major type 0 or 1), so it is not peeked again.
    private static bool ReadLong(CborReader r, CborReaderState s, out long value)
    {
        ulong arg = s == CborReaderState.UnsignedInteger ? r.ReadUInt64() : r.ReadNegativeIntegerArgument();
        if (arg > long.MaxValue)
        {
            value = 0;
            return false;
        }

        value = s == CborReaderState.UnsignedInteger ? (long)arg : -1 - (long)arg;
        return true;
    }
}
