using System;
using PopIoT.Core.Crypto;

using CipherMode = System.Security.Cryptography.CipherMode;
using NativeAes = System.Security.Cryptography.Aes;

namespace PopIoT.Firmware;

/// <summary>
/// The forward AES block (FIPS 197) on nanoFramework's native AES in ECB mode (nanoFramework.System.Security.Cryptography,
/// mbedTLS underneath); Core builds AES-CCM over it (RFC 3610 §2 needs only the forward direction). nanoFramework's
/// <c>Aes.Encrypt</c> returns a new array per call: that array is erased after each block. The key array is ours
/// and the native object refers to it, so erasing it on dispose erases the key.
/// </summary>
internal sealed class NanoAesBlockCipher : IBlockCipher
{
    private const int Block = 16;

    private readonly NativeAes _aes;
    private readonly byte[] _key;
    private readonly byte[] _block = new byte[Block];
    private bool _disposed;

    /// <summary>Creates the cipher with a copy of the key.</summary>
    /// <param name="key">The array holding the key.</param>
    /// <param name="offset">Where it starts.</param>
    /// <param name="length">16, 24 or 32.</param>
    public NanoAesBlockCipher(byte[] key, int offset, int length)
    {
        if (key == null || (length != 16 && length != 24 && length != 32) || offset < 0 || offset > key.Length - length)
        {
            throw new ArgumentException("An AES key is 16, 24 or 32 bytes (FIPS 197).");
        }

        _key = new byte[length];
        Array.Copy(key, offset, _key, 0, length);
        _aes = new NativeAes(CipherMode.ECB);
        _aes.Key = _key;
    }

    /// <inheritdoc/>
    public int BlockSize
    {
        get { return Block; }
    }

    /// <inheritdoc/>
    public void EncryptBlock(byte[] input, int inputOffset, byte[] output, int outputOffset)
    {
        if (_disposed)
        {
            throw new ObjectDisposedException("NanoAesBlockCipher");
        }

        if (input == null || output == null || inputOffset < 0 || outputOffset < 0 || inputOffset > input.Length - Block || outputOffset > output.Length - Block)
        {
            throw new ArgumentException("An AES block is 16 bytes and must fit in its array.");
        }

        Array.Copy(input, inputOffset, _block, 0, Block);
        byte[] result = _aes.Encrypt(_block);
        Array.Copy(result, 0, output, outputOffset, Block);
        CryptoBytes.Clear(result);
        CryptoBytes.Clear(_block);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            CryptoBytes.Clear(_key);
            CryptoBytes.Clear(_block);
        }
    }
}
