using System;
using System.Security.Cryptography;

using PopIoT.Core.Crypto;

namespace PopIoT.Crypto;

/// <summary>HMAC-SHA256 from System.Security.Cryptography (<see cref="IncrementalHash"/>), reused across messages without allocating.</summary>
public sealed class PlatformHmacSha256 : IMac
{
    private readonly IncrementalHash _hmac;
    private readonly byte[] _scratch = new byte[32];
    private bool _disposed;

    /// <summary>Creates HMAC-SHA256 with a copy of the given key, of any length.</summary>
    /// <param name="key">The array holding the key; may be null when <paramref name="length"/> is 0.</param>
    /// <param name="offset">Where the key starts.</param>
    /// <param name="length">The key length.</param>
    /// <exception cref="ArgumentException">The key range does not fit.</exception>
    public PlatformHmacSha256(byte[]? key, int offset, int length)
    {
        PlatformArguments.CheckRange(key, offset, length, nameof(key));
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, PlatformArguments.Span(key, offset, length));
    }

    /// <inheritdoc/>
    public int MacSize => 32;

    /// <inheritdoc/>
    public void Update(byte[]? data, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PlatformArguments.CheckRange(data, offset, count, nameof(data));
        _hmac.AppendData(PlatformArguments.Span(data, offset, count));
    }

    /// <inheritdoc/>
    public void Final(byte[] output, int offset)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PlatformArguments.CheckBuffer(output, offset, 32, nameof(output));
        _hmac.GetHashAndReset(output.AsSpan(offset, 32));
    }

    /// <inheritdoc/>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _hmac.GetHashAndReset(_scratch);
        CryptographicOperations.ZeroMemory(_scratch);
    }

    /// <summary>Releases the platform HMAC, which erases the key. Further use throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _hmac.Dispose();
        }
    }
}
