#nullable disable
using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Firmware;

/// <summary>
/// Core's incremental <see cref="IMac"/> over a one-shot native HMAC (<see cref="IHmacSha256Function"/>): the data is
/// gathered in a buffer sized at construction (the largest message the runtime MACs: a token's MAC_structure) and
/// MACed at <see cref="Final"/>. Data beyond the buffer moves the computation to Core's managed HMAC-SHA256 for the
/// rest of that message, so the result is always right. The native call takes arrays of exact length, so
/// <see cref="Final"/> allocates the data's copy and receives the native result array; both are erased after use.
/// </summary>
public sealed class BufferedHmacSha256 : IMac
{
    private readonly IHmacSha256Function _native;
    private readonly byte[] _key;
    private readonly byte[] _data;
    private int _count;
    private HmacSha256 _fallback;
    private bool _disposed;

    /// <summary>Creates the MAC with a copy of the key.</summary>
    /// <param name="native">The one-shot native HMAC.</param>
    /// <param name="key">The array holding the key; may be null when <paramref name="length"/> is 0.</param>
    /// <param name="offset">Where the key starts.</param>
    /// <param name="length">The key length.</param>
    /// <param name="capacity">The most bytes MACed natively in one message.</param>
    public BufferedHmacSha256(IHmacSha256Function native, byte[] key, int offset, int length, int capacity)
    {
        if (native == null || capacity < 0 || length < 0 || (length > 0 && (key == null || offset < 0 || offset > key.Length - length)))
        {
            throw new ArgumentException("HMAC-SHA256: a native function, a key within its array and a capacity are needed.");
        }

        _native = native;
        _key = new byte[length];
        if (length > 0)
        {
            Array.Copy(key, offset, _key, 0, length);
        }

        _data = new byte[capacity];
    }

    /// <inheritdoc/>
    public int MacSize
    {
        get { return HmacSha256.Size; }
    }

    /// <summary>Whether the current message has outgrown the buffer and runs on the managed HMAC (tests).</summary>
    public bool UsingFallback
    {
        get { return _fallback != null; }
    }

    /// <inheritdoc/>
    public void Update(byte[] data, int offset, int count)
    {
        CheckNotDisposed();
        if (count == 0)
        {
            return;
        }

        if (data == null || offset < 0 || count < 0 || offset > data.Length - count)
        {
            throw new ArgumentException("HMAC-SHA256: the data range is outside its array.");
        }

        if (_fallback == null && count <= _data.Length - _count)
        {
            Array.Copy(data, offset, _data, _count, count);
            _count += count;
            return;
        }

        if (_fallback == null)
        {
            _fallback = new HmacSha256(_key, 0, _key.Length);
            _fallback.Update(_data, 0, _count);
            CryptoBytes.Clear(_data, 0, _count);
            _count = 0;
        }

        _fallback.Update(data, offset, count);
    }

    /// <inheritdoc/>
    public void Final(byte[] output, int offset)
    {
        CheckNotDisposed();
        if (output == null || offset < 0 || offset > output.Length - HmacSha256.Size)
        {
            throw new ArgumentException("HMAC-SHA256: the output needs 32 bytes of room.");
        }

        if (_fallback != null)
        {
            _fallback.Final(output, offset);
            Reset();
            return;
        }

        byte[] exact = new byte[_count];
        Array.Copy(_data, 0, exact, 0, _count);
        byte[] mac = _native.Compute(_key, exact);
        CryptoBytes.Clear(exact);
        if (mac == null || mac.Length != HmacSha256.Size)
        {
            throw new InvalidOperationException("the native HMAC-SHA256 returned no 32-byte MAC");
        }

        Array.Copy(mac, 0, output, offset, HmacSha256.Size);
        CryptoBytes.Clear(mac);
        Reset();
    }

    /// <inheritdoc/>
    public void Reset()
    {
        CryptoBytes.Clear(_data, 0, _count);
        _count = 0;
        if (_fallback != null)
        {
            _fallback.Dispose();
            _fallback = null;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Reset();
        CryptoBytes.Clear(_key);
        _disposed = true;
    }

    private void CheckNotDisposed()
    {
        if (_disposed)
        {
            throw new ObjectDisposedException("BufferedHmacSha256");
        }
    }
}
