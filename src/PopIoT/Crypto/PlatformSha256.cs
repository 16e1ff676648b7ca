using System;
using System.Security.Cryptography;

using PopIoT.Core.Crypto;

namespace PopIoT.Crypto;

/// <summary>SHA-256 from System.Security.Cryptography (<see cref="IncrementalHash"/>), reused across messages without allocating.</summary>
public sealed class PlatformSha256 : IHash
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _scratch = new byte[32];
    private bool _disposed;

    /// <inheritdoc/>
    public int HashSize => 32;

    /// <inheritdoc/>
    public void Update(byte[]? data, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PlatformArguments.CheckRange(data, offset, count, nameof(data));
        _hash.AppendData(PlatformArguments.Span(data, offset, count));
    }

    /// <inheritdoc/>
    public void Final(byte[] output, int offset)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PlatformArguments.CheckBuffer(output, offset, 32, nameof(output));
        _hash.GetHashAndReset(output.AsSpan(offset, 32));
    }

    /// <inheritdoc/>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _hash.GetHashAndReset(_scratch);
    }

    /// <summary>Releases the platform hash.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _hash.Dispose();
        }
    }
}
