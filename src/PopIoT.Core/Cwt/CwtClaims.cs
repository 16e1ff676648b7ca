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
public sealed partial class CwtClaims
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
