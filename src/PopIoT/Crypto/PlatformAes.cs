using System;
using System.Security.Cryptography;

using PopIoT.Core.Crypto;

namespace PopIoT.Crypto;

/// <summary>
/// The AES forward block cipher from System.Security.Cryptography (hardware AES where the CPU has
/// it, and free of the table-lookup timing channel of the managed Core <see cref="Core.Crypto.Aes"/>).
/// One ECB encryptor is created per key and reused for every block: <c>TransformBlock</c> does not
/// allocate, while <c>Aes.EncryptEcb</c> allocated 64 bytes per block and was about 8 times slower
/// on .NET 10 / OpenSSL 3 (measured with CryptoBenchmarks).
/// </summary>
public sealed class PlatformAes : IBlockCipher
{
    private readonly System.Security.Cryptography.Aes _aes;
    private readonly ICryptoTransform _encryptor;
    private bool _disposed;

    /// <summary>Creates the cipher from a copy of a 16-, 24- or 32-byte key.</summary>
    /// <param name="key">The array holding the key.</param>
    /// <param name="offset">Where the key starts.</param>
    /// <param name="length">The key length: 16, 24 or 32 bytes.</param>
    /// <exception cref="ArgumentException">The key is not 16, 24 or 32 bytes, or does not fit.</exception>
    public PlatformAes(byte[] key, int offset, int length)
    {
        if (length is not (16 or 24 or 32))
        {
            throw new ArgumentException($"An AES key must be 16, 24 or 32 bytes; {length} bytes were given.");
        }

        PlatformArguments.CheckBuffer(key, offset, length, nameof(key));
        byte[] copy = key.AsSpan(offset, length).ToArray();
        try
        {
            _aes = System.Security.Cryptography.Aes.Create();
            _aes.Mode = CipherMode.ECB;
            _aes.Padding = PaddingMode.None;
            _aes.Key = copy;
            _encryptor = _aes.CreateEncryptor();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }

    /// <inheritdoc/>
    public int BlockSize => 16;

    /// <inheritdoc/>
    public void EncryptBlock(byte[] input, int inputOffset, byte[] output, int outputOffset)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PlatformArguments.CheckBuffer(input, inputOffset, 16, nameof(input));
        PlatformArguments.CheckBuffer(output, outputOffset, 16, nameof(output));
        _encryptor.TransformBlock(input, inputOffset, 16, output, outputOffset);
    }

    /// <summary>Releases the platform key objects, which erase the key. Further use throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _encryptor.Dispose();
            _aes.Dispose();
        }
    }
}
