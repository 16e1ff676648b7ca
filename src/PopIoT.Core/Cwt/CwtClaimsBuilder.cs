using System;
using PopIoT.Core.Cbor;
using PopIoT.Core.Crypto;

namespace PopIoT.Core.Cwt;

/// <summary>
/// Builds a CWT claims set (RFC 8392 §3) and encodes it deterministically (RFC 8949 §4.2.1: keys in
/// bytewise order of their encodings, so 1..9, 38, 39, 40, then negative keys), for the AS, the CLI
/// and tests. Each setter replaces an earlier value of the same claim. Values are encoded when set;
/// the builder allocates (it is not on the RS path). A cnf with key material is secret: dispose the
/// builder to erase it.
/// </summary>
public sealed partial class CwtClaimsBuilder : IDisposable
{
    private long[] _keys = new long[8];
    private byte[][] _values = new byte[8][];
    private int _count;

    /// <summary>The number of claims set.</summary>
    public int Count
    {
        get { return _count; }
    }

    /// <summary>iss (RFC 8392 §3.1.1).</summary>
    /// <param name="issuer">The issuer.</param>
    public void SetIssuer(string issuer)
    {
        SetText(CwtClaimKey.Iss, issuer);
    }

    /// <summary>sub (RFC 8392 §3.1.2).</summary>
    /// <param name="subject">The subject.</param>
    public void SetSubject(string subject)
    {
        SetText(CwtClaimKey.Sub, subject);
    }

    /// <summary>aud as one text string (RFC 8392 §3.1.3).</summary>
    /// <param name="audience">The audience.</param>
    public void SetAudience(string audience)
    {
        SetText(CwtClaimKey.Aud, audience);
    }

    /// <summary>aud as an array of text strings (RFC 7519 §4.1.3).</summary>
    /// <param name="audiences">The audiences (at least one).</param>
    /// <exception cref="ArgumentException">Null, empty, or a null element.</exception>
    public void SetAudiences(string[] audiences)
    {
        if (audiences == null || audiences.Length == 0)
        {
            throw new ArgumentException("audiences must name at least one audience.");
        }

        int size = 9;
        for (int i = 0; i < audiences.Length; i++)
        {
            if (audiences[i] == null)
            {
                throw new ArgumentException("An audience is null.");
            }

            size += 9 + Utf8.GetByteCount(audiences[i]);
        }

        byte[] buffer = new byte[size];
        CborWriter w = new CborWriter(buffer);
        w.WriteStartArray(audiences.Length);
        for (int i = 0; i < audiences.Length; i++)
        {
            w.WriteTextString(audiences[i]);
        }

        Put(CwtClaimKey.Aud, buffer, w.BytesWritten);
    }

    /// <summary>exp as an integer NumericDate (RFC 8392 §3.1.4).</summary>
    /// <param name="unixSeconds">Seconds since the epoch.</param>
    public void SetExpiration(long unixSeconds)
    {
        SetInt(CwtClaimKey.Exp, unixSeconds);
    }

    /// <summary>nbf (RFC 8392 §3.1.5).</summary>
    /// <param name="unixSeconds">Seconds since the epoch.</param>
    public void SetNotBefore(long unixSeconds)
    {
        SetInt(CwtClaimKey.Nbf, unixSeconds);
    }

    /// <summary>iat (RFC 8392 §3.1.6).</summary>
    /// <param name="unixSeconds">Seconds since the epoch.</param>
    public void SetIssuedAt(long unixSeconds)
    {
        SetInt(CwtClaimKey.Iat, unixSeconds);
    }

    /// <summary>cti (RFC 8392 §3.1.7).</summary>
    /// <param name="cti">The CWT ID (copied).</param>
    public void SetCti(byte[] cti)
    {
        SetBytes(CwtClaimKey.Cti, cti);
    }

    /// <summary>scope as a text string (RFC 9200 §5.8.1).</summary>
    /// <param name="scope">Space-separated scope tokens.</param>
    public void SetScope(string scope)
    {
        SetText(CwtClaimKey.Scope, scope);
    }

    /// <summary>scope as a byte string.</summary>
    /// <param name="scope">The scope bytes (copied).</param>
    public void SetScopeBytes(byte[] scope)
    {
        SetBytes(CwtClaimKey.Scope, scope);
    }

    /// <summary>scope as an already encoded CBOR array (e.g. AIF, RFC 9237).</summary>
    /// <param name="encodedArray">One encoded CBOR array.</param>
    /// <exception cref="ArgumentException">Not exactly one well-formed array.</exception>
    public void SetScopeEncoded(byte[] encodedArray)
    {
        if (encodedArray == null || encodedArray.Length == 0 || (encodedArray[0] >> 5) != (int)CborMajorType.Array)
        {
            throw new ArgumentException("encodedArray must be one CBOR array.");
        }

        SetClaimCore(CwtClaimKey.Scope, encodedArray);
    }

    /// <summary>ace_profile (RFC 9200 §5.10.1.1), e.g. 2 for coap_oscore.</summary>
    /// <param name="profile">The profile number.</param>
    public void SetAceProfile(int profile)
    {
        SetInt(CwtClaimKey.AceProfile, profile);
    }

    /// <summary>cnonce (RFC 9200 §5.10.1).</summary>
    /// <param name="cnonce">The nonce (copied).</param>
    public void SetCnonce(byte[] cnonce)
    {
        SetBytes(CwtClaimKey.Cnonce, cnonce);
    }

    /// <summary>exi (RFC 9200 §5.10.3); the token must then carry cti too.</summary>
    /// <param name="seconds">Lifetime in seconds from receipt (not negative).</param>
    /// <exception cref="ArgumentException">Negative.</exception>
    public void SetExi(long seconds)
    {
        if (seconds < 0)
        {
            throw new ArgumentException("exi is an unsigned integer (RFC 9200 §8.14).");
        }

        SetInt(CwtClaimKey.Exi, seconds);
    }

    /// <summary>
    /// Sets any other claim from its encoded value (e.g. a private claim). The twelve known claims have
    /// their own setters and are refused here.
    /// </summary>
    /// <param name="key">The integer claim key.</param>
    /// <param name="encodedValue">Exactly one well-formed CBOR data item (copied).</param>
    /// <exception cref="ArgumentException">A known key, or a value that is not one data item.</exception>
    public void SetClaim(long key, byte[] encodedValue)
    {
        if (CwtClaimKey.Bit(key) != 0)
        {
            throw new ArgumentException("Use the named setter for claim " + key.ToString() + ".");
        }

        if (encodedValue == null)
        {
            throw new ArgumentException("encodedValue must not be null.");
        }

        try
        {
            CborReader.Validate(encodedValue, 0, encodedValue.Length);
        }
        catch (CborException)
        {
            throw new ArgumentException("encodedValue is not one well-formed CBOR data item.");
        }

        byte[] copy = new byte[encodedValue.Length];
        Array.Copy(encodedValue, 0, copy, 0, copy.Length);
        SetClaimCore(key, copy);
    }

    /// <summary>Removes a claim.</summary>
    /// <param name="key">The claim key.</param>
    /// <returns>True when it was present.</returns>
    public bool Remove(long key)
    {
        int i = Find(key);
        if (i < 0)
        {
            return false;
        }

        CryptoBytes.Clear(_values[i]);
        for (int j = i + 1; j < _count; j++)
        {
            _keys[j - 1] = _keys[j];
            _values[j - 1] = _values[j];
        }

        _count--;
        _values[_count] = null;
        return true;
    }

    /// <summary>Encodes the claims set deterministically.</summary>
    /// <param name="destination">The output array.</param>
    /// <param name="offset">Where to write.</param>
    /// <param name="count">How many bytes may be written.</param>
    /// <returns>The encoded length.</returns>
    /// <exception cref="ArgumentException">The destination is too small.</exception>
    public int Encode(byte[] destination, int offset, int count)
    {
        if (destination == null || offset < 0 || count < 0 || count > destination.Length - offset)
        {
            throw new ArgumentException("The destination window does not fit.");
        }

        try
        {
            CborWriter w = new CborWriter(destination, offset, count);
            w.WriteStartMap(_count);
            for (int i = 0; i < _count; i++)
            {
                w.WriteInt64(_keys[i]);
                w.WriteEncodedValue(_values[i], 0, _values[i].Length);
            }

            return w.BytesWritten;
        }
        catch (CborException)
        {
            throw new ArgumentException("destination is too small for the claims set.");
        }
    }

    /// <summary>Encodes the claims set into a new array.</summary>
    /// <returns>The encoded claims set.</returns>
    public byte[] Encode()
    {
        byte[] scratch = new byte[EncodedSizeBound()];
        int n = Encode(scratch, 0, scratch.Length);
        byte[] result = new byte[n];
        Array.Copy(scratch, 0, result, 0, n);
        CryptoBytes.Clear(scratch);
        return result;
    }

    /// <summary>Erases every value (a cnf may hold key material) and removes all claims.</summary>
    public void Dispose()
    {
        for (int i = 0; i < _count; i++)
        {
            CryptoBytes.Clear(_values[i]);
            _values[i] = null;
        }

        _count = 0;
    }

    internal int EncodedSizeBound()
    {
        int size = 9;
        for (int i = 0; i < _count; i++)
        {
            size += 9 + _values[i].Length;
        }

        return size;
    }

    private void SetText(int key, string value)
    {
        if (value == null)
        {
            throw new ArgumentException("The value must not be null.");
        }

        byte[] buffer = new byte[Utf8.GetByteCount(value) + 9];
        CborWriter w = new CborWriter(buffer);
        w.WriteTextString(value);
        Put(key, buffer, w.BytesWritten);
    }

    private void SetBytes(int key, byte[] value)
    {
        if (value == null)
        {
            throw new ArgumentException("The value must not be null.");
        }

        byte[] buffer = new byte[value.Length + 9];
        CborWriter w = new CborWriter(buffer);
        w.WriteByteString(value);
        Put(key, buffer, w.BytesWritten);
    }

    private void SetInt(int key, long value)
    {
        byte[] buffer = new byte[9];
        CborWriter w = new CborWriter(buffer);
        w.WriteInt64(value);
        Put(key, buffer, w.BytesWritten);
    }

    private void Put(long key, byte[] buffer, int length)
    {
        byte[] exact = new byte[length];
        Array.Copy(buffer, 0, exact, 0, length);
        SetClaimCore(key, exact);
    }

    private void SetClaimCore(long key, byte[] value)
    {
        int i = Find(key);
        if (i >= 0)
        {
            CryptoBytes.Clear(_values[i]);
            _values[i] = value;
            return;
        }

        if (_count == _keys.Length)
        {
            long[] keys = new long[_count * 2];
            byte[][] values = new byte[_count * 2][];
            Array.Copy(_keys, 0, keys, 0, _count);
            Array.Copy(_values, 0, values, 0, _count);
            _keys = keys;
            _values = values;
        }

        // Insertion keeps RFC 8949 §4.2.1 order: bytewise order of the encoded keys.
        int at = _count;
        while (at > 0 && KeyPrecedes(key, _keys[at - 1]))
        {
            _keys[at] = _keys[at - 1];
            _values[at] = _values[at - 1];
            at--;
        }

        _keys[at] = key;
        _values[at] = value;
        _count++;
    }

    private int Find(long key)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_keys[i] == key)
            {
                return i;
            }
        }

        return -1;
    }

    // For integer keys, bytewise order of the deterministic encodings is: all unsigned before all
    // negative (major type 0 &lt; 1); within a sign, shorter heads first, i.e. increasing magnitude.
    private static bool KeyPrecedes(long a, long b)
    {
        if ((a >= 0) != (b >= 0))
        {
            return a >= 0;
        }

        return a >= 0 ? a < b : a > b;
    }
}
