using System;
using PopIoT.Core.Cbor;

namespace PopIoT.Core.Cwt;

/// <summary>
/// A parsed CWT claims set (RFC 8392 §3): slices of the token (or of the decrypted payload), never
/// copies, plus presence flags and integer times. Reusable: <see cref="CwtValidator"/> fills the one
/// inside each <see cref="CwtValidationResult"/> and allocates nothing. Unknown claims are kept (as
/// encoded key and value slices) and are never an error (RFC 8392 §7.2 step 9 only asks for a valid
/// map); a duplicate key or a known claim with the wrong type is. Times: a float NumericDate is
/// accepted (RFC 8392 §2 allows it, A.7 uses one) and rounded to whole seconds in the safe direction:
/// exp and iat down (floor), nbf up (ceiling), so rounding never extends validity.
/// </summary>
public sealed class CwtClaims
{
    private readonly CborReader _reader = new CborReader(new byte[1], 0, 0, CwtLimits.MaxDepth) { ThrowOnError = false };

    // Unknown claims: integer keys (value in _unknownInt, text length -1) or text keys (content slice).
    private readonly long[] _unknownInt = new long[CwtLimits.MaxClaims];
    private readonly int[] _unknownTextOffset = new int[CwtLimits.MaxClaims];
    private readonly int[] _unknownTextLength = new int[CwtLimits.MaxClaims];
    private readonly int[] _unknownKeyOffset = new int[CwtLimits.MaxClaims];
    private readonly int[] _unknownValueOffset = new int[CwtLimits.MaxClaims];
    private readonly int[] _unknownValueLength = new int[CwtLimits.MaxClaims];
    private int _present;
    private CwtConfirmation _confirmation;
    private bool _encrypted;
    private bool _clean;
    private int _aud0Offset;
    private int _aud0Length;

    /// <summary>Creates an empty claims set.</summary>
    public CwtClaims()
    {
        Reset();
    }

    /// <summary>The array holding the claims set (the token, or the result's plaintext buffer for Encrypt0); null when empty.</summary>
    public byte[] Buffer { get; private set; }

    /// <summary>Where the encoded claims map starts in <see cref="Buffer"/>.</summary>
    public int MapOffset { get; private set; }

    /// <summary>The length of the encoded claims map (all claims, known and unknown).</summary>
    public int MapLength { get; private set; }

    /// <summary>The number of claims (map pairs).</summary>
    public int Count { get; private set; }

    /// <summary>iss content (UTF-8) in <see cref="Buffer"/>.</summary>
    public int IssuerOffset { get; private set; }

    /// <summary>iss length.</summary>
    public int IssuerLength { get; private set; }

    /// <summary>sub content (UTF-8).</summary>
    public int SubjectOffset { get; private set; }

    /// <summary>sub length.</summary>
    public int SubjectLength { get; private set; }

    /// <summary>The encoded aud value: a text string or an array of text strings.</summary>
    public int AudienceOffset { get; private set; }

    /// <summary>Length of the encoded aud value.</summary>
    public int AudienceLength { get; private set; }

    /// <summary>True when aud is an array (RFC 7519 §4.1.3); then <see cref="AudienceCount"/> may be any number.</summary>
    public bool AudienceIsArray { get; private set; }

    /// <summary>How many audiences aud names (1 for a text string).</summary>
    public int AudienceCount { get; private set; }

    /// <summary>exp in whole seconds (floor of a float).</summary>
    public long Expiration { get; private set; }

    /// <summary>nbf in whole seconds (ceiling of a float).</summary>
    public long NotBefore { get; private set; }

    /// <summary>iat in whole seconds (floor of a float).</summary>
    public long IssuedAt { get; private set; }

    /// <summary>cti content.</summary>
    public int CtiOffset { get; private set; }

    /// <summary>cti length.</summary>
    public int CtiLength { get; private set; }

    /// <summary>The encoded cnf map (parsed into <see cref="CwtValidationResult.Confirmation"/>).</summary>
    public int CnfOffset { get; private set; }

    /// <summary>Length of the encoded cnf map.</summary>
    public int CnfLength { get; private set; }

    /// <summary>The encoded scope value, whatever its type (raw slice, e.g. for AIF).</summary>
    public int ScopeOffset { get; private set; }

    /// <summary>Length of the encoded scope value.</summary>
    public int ScopeLength { get; private set; }

    /// <summary>The scope's CBOR major type: <see cref="CborMajorType.TextString"/>, <see cref="CborMajorType.ByteString"/> or <see cref="CborMajorType.Array"/>.</summary>
    public CborMajorType ScopeType { get; private set; }

    /// <summary>For a text or byte string scope: its content; for an array: same as <see cref="ScopeOffset"/>.</summary>
    public int ScopeContentOffset { get; private set; }

    /// <summary>Length of <see cref="ScopeContentOffset"/>'s slice.</summary>
    public int ScopeContentLength { get; private set; }

    /// <summary>ace_profile (RFC 9200 §5.10.1.1).</summary>
    public int AceProfile { get; private set; }

    /// <summary>cnonce content.</summary>
    public int CnonceOffset { get; private set; }

    /// <summary>cnonce length.</summary>
    public int CnonceLength { get; private set; }

    /// <summary>exi in seconds (RFC 9200 §5.10.3).</summary>
    public long Exi { get; private set; }

    /// <summary>How many claims have keys other than the twelve known ones.</summary>
    public int UnknownCount { get; private set; }

    /// <summary>The key of the claim that made <see cref="Parse"/> fail, or 0.</summary>
    public long ErrorClaim { get; private set; }

    /// <summary>True when the claim with this key is present (any key; unknown integer keys too).</summary>
    /// <param name="key">The claim key, e.g. <see cref="CwtClaimKey.Aud"/>.</param>
    /// <returns>Whether it is present.</returns>
    public bool Has(long key)
    {
        int bit = CwtClaimKey.Bit(key);
        if (bit != 0)
        {
            return (_present & bit) != 0;
        }

        return FindUnknownInt(key) >= 0;
    }

    /// <summary>Gets an unknown claim as slices of <see cref="Buffer"/>: the encoded key and the encoded value.</summary>
    /// <param name="index">0 to <see cref="UnknownCount"/> − 1.</param>
    /// <param name="keyOffset">Where the encoded key starts.</param>
    /// <param name="keyLength">Its length.</param>
    /// <param name="valueOffset">Where the encoded value starts.</param>
    /// <param name="valueLength">Its length.</param>
    /// <exception cref="ArgumentException">The index is out of range.</exception>
    public void GetUnknown(int index, out int keyOffset, out int keyLength, out int valueOffset, out int valueLength)
    {
        if (index < 0 || index >= UnknownCount)
        {
            throw new ArgumentException("index is out of range.");
        }

        keyOffset = _unknownKeyOffset[index];
        keyLength = _unknownValueOffset[index] - keyOffset;
        valueOffset = _unknownValueOffset[index];
        valueLength = _unknownValueLength[index];
    }

    /// <summary>True when aud equals these UTF-8 bytes or is an array containing them (RFC 7519 §4.1.3). Allocates nothing.</summary>
    /// <param name="utf8">The array holding the audience.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="length">Its length.</param>
    /// <returns>Whether the token is for this audience; false when aud is absent.</returns>
    public bool AudienceContains(byte[] utf8, int offset, int length)
    {
        if ((_present & CwtClaimKey.Bit(CwtClaimKey.Aud)) == 0 || utf8 == null)
        {
            return false;
        }

        if (!AudienceIsArray)
        {
            return _aud0Length == length && SliceEquals(Buffer, _aud0Offset, utf8, offset, length);
        }

        for (int i = 0; i < AudienceCount; i++)
        {
            int o;
            int n;
            GetAudience(i, out o, out n);
            if (n == length && SliceEquals(Buffer, o, utf8, offset, length))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The UTF-8 content of one audience.</summary>
    /// <param name="index">0 to <see cref="AudienceCount"/> − 1.</param>
    /// <param name="offset">Where it starts in <see cref="Buffer"/>.</param>
    /// <param name="length">Its length.</param>
    /// <exception cref="ArgumentException">The index is out of range.</exception>
    public void GetAudience(int index, out int offset, out int length)
    {
        if (index < 0 || index >= AudienceCount)
        {
            throw new ArgumentException("index is out of range.");
        }

        // Already validated by Parse, so the reader cannot fail here.
        CborReader r = _reader;
        r.Reset(Buffer, AudienceOffset, AudienceLength);
        if (AudienceIsArray)
        {
            r.ReadStartArray();
            for (int i = 0; i < index; i++)
            {
                r.SkipValue();
            }
        }

        r.ReadTextString(out offset, out length);
    }

    /// <summary>iss as a string (allocates; for tools), or null.</summary>
    /// <returns>The issuer.</returns>
    public string GetIssuer()
    {
        return Text(CwtClaimKey.Iss, IssuerOffset, IssuerLength);
    }

    /// <summary>sub as a string (allocates), or null.</summary>
    /// <returns>The subject.</returns>
    public string GetSubject()
    {
        return Text(CwtClaimKey.Sub, SubjectOffset, SubjectLength);
    }

    /// <summary>One audience as a string (allocates).</summary>
    /// <param name="index">0 to <see cref="AudienceCount"/> − 1.</param>
    /// <returns>The audience.</returns>
    public string GetAudience(int index)
    {
        int o;
        int n;
        GetAudience(index, out o, out n);
        return Utf8.Decode(Buffer, o, n);
    }

    /// <summary>A text scope as a string (allocates), or null when scope is absent or not text.</summary>
    /// <returns>The scope.</returns>
    public string GetScopeText()
    {
        return ScopeType == CborMajorType.TextString ? Text(CwtClaimKey.Scope, ScopeContentOffset, ScopeContentLength) : null;
    }

    /// <summary>A copy of cti (allocates), or null.</summary>
    /// <returns>The CWT ID.</returns>
    public byte[] GetCti()
    {
        return Copy(CwtClaimKey.Cti, CtiOffset, CtiLength);
    }

    /// <summary>A copy of cnonce (allocates), or null.</summary>
    /// <returns>The nonce.</returns>
    public byte[] GetCnonce()
    {
        return Copy(CwtClaimKey.Cnonce, CnonceOffset, CnonceLength);
    }

    /// <summary>
    /// Parses a claims set. Never throws for bad input: returns the reason, and
    /// <see cref="ErrorClaim"/> names the claim for <see cref="CwtError.InvalidClaim"/> and
    /// <see cref="CwtError.DuplicateClaim"/>.
    /// </summary>
    /// <param name="buffer">The array holding the claims set.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="count">Its length: exactly one map.</param>
    /// <returns>Why it was refused, or <see cref="CwtError.None"/>.</returns>
    /// <exception cref="ArgumentException">The window does not fit the buffer.</exception>
    public CwtError Parse(byte[] buffer, int offset, int count)
    {
        if (buffer == null || offset < 0 || count < 0 || count > buffer.Length - offset)
        {
            throw new ArgumentException("The window does not fit the buffer.");
        }

        return ParseToken(new ByteRange(buffer, offset, count), null, false);
    }

    // The validator's form: the cnf map is read into `confirmation` where it stands (one walk of the token), its
    // outcome kept for CwtConfirmation.Finish. `encrypted`: the token was an Encrypt0 (RFC 8747 §3.2).
    internal CwtError ParseToken(ByteRange claims, CwtConfirmation confirmation, bool encrypted)
    {
        Reset();
        ErrorClaim = 0;
        _confirmation = confirmation;
        _encrypted = encrypted;
        CwtError e = ParseCore(claims.Buffer, claims.Offset, claims.Count);
        _confirmation = null;
        if (_reader.Error != CborError.None)
        {
            // The sticky error outranks what was concluded from the neutral values read after it.
            e = CwtError.Malformed;
        }

        if (e != CwtError.None)
        {
            Reset();
        }

        return e;
    }

    /// <summary>Forgets the parsed claims (the slices; the bytes belong to their buffer).</summary>
    public void Reset()
    {
        if (_clean)
        {
            // Nothing was set since the last reset (the validator resets the result, then parses).
            return;
        }

        _clean = true;
        long keepError = ErrorClaim;
        Buffer = null;
        MapOffset = 0;
        MapLength = 0;
        Count = 0;
        _present = 0;
        IssuerOffset = IssuerLength = SubjectOffset = SubjectLength = 0;
        AudienceOffset = AudienceLength = AudienceCount = 0;
        AudienceIsArray = false;
        Expiration = NotBefore = IssuedAt = 0;
        CtiOffset = CtiLength = CnfOffset = CnfLength = 0;
        ScopeOffset = ScopeLength = ScopeContentOffset = ScopeContentLength = 0;
        ScopeType = CborMajorType.UnsignedInteger;
        AceProfile = 0;
        CnonceOffset = CnonceLength = 0;
        Exi = 0;
        UnknownCount = 0;
        ErrorClaim = keepError;
    }

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

    private CwtError AddUnknown(byte[] buffer, int keyAt, long intKey, int textOffset, int textLength, CborReader r)
    {
        if (FindUnknown(buffer, intKey, textOffset, textLength) >= 0)
        {
            ErrorClaim = textLength < 0 ? intKey : 0;
            return CwtError.DuplicateClaim;
        }

        int vo;
        int vl;
        r.ReadEncodedValue(out vo, out vl);
        RecordUnknown(intKey, textOffset, textLength, keyAt, vo, vl);
        return CwtError.None;
    }

    // An unknown claim with this integer key (textLength -1) or text key (a slice of buffer), or -1.
    private int FindUnknown(byte[] buffer, long intKey, int textOffset, int textLength)
    {
        for (int i = 0; i < UnknownCount; i++)
        {
            bool same = textLength < 0
                ? _unknownTextLength[i] < 0 && _unknownInt[i] == intKey
                : _unknownTextLength[i] == textLength && SliceEquals(buffer, _unknownTextOffset[i], buffer, textOffset, textLength);
            if (same)
            {
                return i;
            }
        }

        return -1;
    }

    private void RecordUnknown(long intKey, int textOffset, int textLength, int keyAt, int valueOffset, int valueLength)
    {
        int k = UnknownCount;
        _unknownInt[k] = intKey;
        _unknownTextOffset[k] = textOffset;
        _unknownTextLength[k] = textLength;
        _unknownKeyOffset[k] = keyAt;
        _unknownValueOffset[k] = valueOffset;
        _unknownValueLength[k] = valueLength;
        UnknownCount = k + 1;
    }

    private int FindUnknownInt(long key)
    {
        for (int i = 0; i < UnknownCount; i++)
        {
            if (_unknownTextLength[i] < 0 && _unknownInt[i] == key)
            {
                return i;
            }
        }

        return -1;
    }

    private string Text(int key, int offset, int length)
    {
        return Has(key) ? Utf8.Decode(Buffer, offset, length) : null;
    }

    private byte[] Copy(int key, int offset, int length)
    {
        if (!Has(key))
        {
            return null;
        }

        byte[] copy = new byte[length];
        Array.Copy(Buffer, offset, copy, 0, length);
        return copy;
    }

    // Not constant-time: it compares public values (audiences, claim names).
    internal static bool SliceEquals(byte[] a, int aOffset, byte[] b, int bOffset, int length)
    {
        if (length >= 8)
        {
            // Eight bytes at a time; the last eight are compared from length - 8, overlapping.
            for (int k = 0; k < length - 8; k += 8)
            {
                if (BitConverter.ToUInt64(a, aOffset + k) != BitConverter.ToUInt64(b, bOffset + k))
                {
                    return false;
                }
            }

            return BitConverter.ToUInt64(a, aOffset + length - 8) == BitConverter.ToUInt64(b, bOffset + length - 8);
        }

        for (int i = 0; i < length; i++)
        {
            if (a[aOffset + i] != b[bOffset + i])
            {
                return false;
            }
        }

        return true;
    }
}
