using System;
using System.Security.Cryptography;

using PopIoT.Core;
using PopIoT.Core.Crypto;

namespace PopIoT.Crypto;

/// <summary>
/// AES-GCM (NIST SP 800-38D) from System.Security.Cryptography with a 12-byte nonce and a 16-byte
/// tag, as COSE A128GCM and A256GCM require (RFC 9053 §4.1), in the <see cref="IAeadCipher"/> shape:
/// caller buffers, a bool for a bad tag, and a zeroed plaintext region when the tag fails.
/// </summary>
public sealed class PlatformAesGcm : IAeadCipher
{
    private const int Nonce = 12;
    private const int Tag = 16;
    private readonly AesGcm _gcm;
    private readonly PlatformArguments.SpanDecrypt _gcmDecrypt;
    private bool _disposed;

    /// <summary>Creates AES-GCM with a copy of the key.</summary>
    /// <param name="key">The array holding the key.</param>
    /// <param name="offset">Where the key starts.</param>
    /// <param name="length">The key length: 16, 24 or 32 bytes.</param>
    /// <exception cref="ArgumentException">The key size is wrong or the range does not fit.</exception>
    public PlatformAesGcm(byte[] key, int offset, int length)
    {
        if (length is not (16 or 24 or 32))
        {
            throw new ArgumentException($"An AES key must be 16, 24 or 32 bytes; {length} bytes were given.");
        }

        PlatformArguments.CheckBuffer(key, offset, length, nameof(key));
        _gcm = new AesGcm(key.AsSpan(offset, length), Tag);
        _gcmDecrypt = _gcm.Decrypt;
    }

    /// <summary>True when the platform has AES-GCM.</summary>
    public static bool IsSupported => AesGcm.IsSupported;

    /// <inheritdoc/>
    public int NonceSize => Nonce;

    /// <inheritdoc/>
    public int TagSize => Tag;

    /// <inheritdoc/>
    public int MaxMessageLength => int.MaxValue;

    /// <inheritdoc/>
    public void Encrypt(ByteRange nonce, ByteRange plaintext, byte[]? ciphertext, int ciphertextOffset, byte[] tag, int tagOffset, ByteRange associatedData)
    {
        CheckNonce(nonce);
        PlatformArguments.CheckOutput(plaintext, ciphertext, ciphertextOffset, nameof(ciphertext), tag, tagOffset, Tag);
        _gcm.Encrypt(
            nonce.AsSpan(),
            plaintext.AsSpan(),
            PlatformArguments.WritableSpan(ciphertext, ciphertextOffset, plaintext.Count),
            tag.AsSpan(tagOffset, Tag),
            associatedData.AsSpan());
    }

    /// <inheritdoc/>
    public bool Decrypt(ByteRange nonce, ByteRange ciphertext, byte[] tag, int tagOffset, byte[]? plaintext, int plaintextOffset, ByteRange associatedData)
    {
        CheckNonce(nonce);
        PlatformArguments.CheckOutput(ciphertext, plaintext, plaintextOffset, nameof(plaintext), tag, tagOffset, Tag);
        Span<byte> output = PlatformArguments.WritableSpan(plaintext, plaintextOffset, ciphertext.Count);
        return PlatformArguments.Open(_gcmDecrypt, nonce, ciphertext, tag.AsSpan(tagOffset, Tag), output, associatedData);
    }

    /// <summary>Releases the platform cipher, which erases the key.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _gcm.Dispose();
        }
    }

    private void CheckNonce(ByteRange nonce)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (nonce.Count != Nonce || nonce.Buffer is null)
        {
            throw new ArgumentException($"The AES-GCM nonce must be {Nonce} bytes here (RFC 9053 §4.1); {nonce.Count} bytes were given.");
        }
    }
}
