using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Dtls;

/// <summary>
/// The TLS 1.2 pseudorandom function with SHA-256, PRF(secret, label, seed) = P_SHA256(secret, label + seed)
/// (RFC 5246 §5), used for the master secret (RFC 7627 §4), the key block (RFC 5246 §6.3), Finished
/// (RFC 5246 §7.4.9) and the exporter (RFC 5705 §4). The label and seed are appended into a fixed buffer
/// (<see cref="Begin"/>, <see cref="Append"/>), then <see cref="Expand"/> writes the output. Nothing is allocated
/// after construction; the seed buffer and HMAC state are erased after each expansion.
/// </summary>
public sealed class DtlsPrf : IDisposable
{
    private readonly HmacSha256 _hmac;
    private readonly byte[] _seed;
    private readonly byte[] _a = new byte[HmacSha256.Size];
    private readonly byte[] _block = new byte[HmacSha256.Size];
    private int _seedLength;

    /// <summary>Creates the PRF with room for a label and seed of <paramref name="seedCapacity"/> bytes together.</summary>
    /// <param name="seedCapacity">The largest label + seed length accepted.</param>
    public DtlsPrf(int seedCapacity)
    {
        if (seedCapacity < 1)
        {
            throw new ArgumentException("seedCapacity must be positive.");
        }

        _seed = new byte[seedCapacity];
        _hmac = new HmacSha256(_a, 0, 0);
    }

    // The HMAC, keyed afresh by each expansion and unkeyed after it; the cookie borrows it between expansions
    // (DtlsCookie: one HMAC state on a device instead of three, docs/dtls.md "Memory").
    internal HmacSha256 Hmac
    {
        get { return _hmac; }
    }

    /// <summary>The largest label + seed length accepted.</summary>
    public int SeedCapacity
    {
        get { return _seed.Length; }
    }

    /// <summary>Starts a new label + seed (discarding any previous one).</summary>
    public void Begin()
    {
        Array.Clear(_seed, 0, _seedLength);
        _seedLength = 0;
    }

    /// <summary>Appends bytes to the label + seed.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>False when they do not fit (the PRF then must not be expanded).</returns>
    public bool Append(ByteRange data)
    {
        if (data.Count > _seed.Length - _seedLength)
        {
            _seedLength = _seed.Length + 1;
            return false;
        }

        data.CopyTo(_seed, _seedLength);
        _seedLength += data.Count;
        return true;
    }

    /// <summary>Appends one byte to the label + seed.</summary>
    /// <param name="value">The byte.</param>
    /// <returns>False when it does not fit.</returns>
    public bool AppendByte(int value)
    {
        if (_seedLength >= _seed.Length)
        {
            _seedLength = _seed.Length + 1;
            return false;
        }

        _seed[_seedLength++] = (byte)value;
        return true;
    }

    /// <summary>Writes PRF(secret, label + seed)[0..length) and erases the label + seed.</summary>
    /// <param name="secret">The secret (the HMAC key).</param>
    /// <param name="output">Receives the output.</param>
    /// <param name="offset">Where to write.</param>
    /// <param name="length">How many bytes.</param>
    /// <exception cref="InvalidOperationException">The label + seed overflowed the buffer.</exception>
    public void Expand(ByteRange secret, byte[] output, int offset, int length)
    {
        CryptoBytes.CheckBuffer(output, offset, length, "output");
        if (_seedLength > _seed.Length)
        {
            throw new InvalidOperationException("The PRF label and seed did not fit in " + _seed.Length + " bytes.");
        }

        _hmac.SetKey(secret.Buffer, secret.Offset, secret.Count);

        // RFC 5246 §5: A(0) = seed, A(i) = HMAC_hash(secret, A(i-1)); P_hash = HMAC_hash(secret, A(i) + seed) for i = 1, 2, ...
        _hmac.Update(_seed, 0, _seedLength);
        _hmac.Final(_a, 0);
        int done = 0;
        while (done < length)
        {
            _hmac.Update(_a, 0, HmacSha256.Size);
            _hmac.Update(_seed, 0, _seedLength);
            _hmac.Final(_block, 0);
            int n = length - done;
            if (n > HmacSha256.Size)
            {
                n = HmacSha256.Size;
            }

            Array.Copy(_block, 0, output, offset + done, n);
            done += n;
            if (done < length)
            {
                _hmac.Update(_a, 0, HmacSha256.Size);
                _hmac.Final(_a, 0);
            }
        }

        Array.Clear(_a, 0, HmacSha256.Size);
        Array.Clear(_block, 0, HmacSha256.Size);
        _hmac.SetKey(_a, 0, 0);
        Begin();
    }

    /// <summary>Erases the key state and the seed buffer.</summary>
    public void Dispose()
    {
        Array.Clear(_seed, 0, _seed.Length);
        _seedLength = 0;
        _hmac.Dispose();
    }
}
