using System;
using System.Security.Cryptography;

using PopIoT.Core;
using PopIoT.Core.Crypto;

namespace PopIoT.Crypto;

/// <summary>
/// ChaCha20/Poly1305 (RFC 8439) from System.Security.Cryptography with a 32-byte key, a 12-byte nonce and a 16-byte
/// tag, as COSE algorithm 24 requires (RFC 9053 §4.3), in the <see cref="IAeadCipher"/> shape: caller buffers, a bool
/// for a bad tag, and a zeroed plaintext region when the tag fails.
/// </summary>
public sealed class PlatformChaCha20Poly1305 : IAeadCipher
{
    private const int Nonce = 12;
    private const int Tag = 16;
    private readonly System.Security.Cryptography.ChaCha20Poly1305 _aead;
    private readonly PlatformArguments.SpanDecrypt _aeadDecrypt;
    private bool _disposed;

    /// <summary>Creates ChaCha20/Poly1305 with a copy of the key.</summary>
    /// <param name="key">The array holding the key.</param>
    /// <param name="offset">Where the key starts.</param>
    /// <param name="length">The key length: 32 bytes.</param>
    /// <exception cref="ArgumentException">The key size is wrong or the range does not fit.</exception>
    public PlatformChaCha20Poly1305(byte[] key, int offset, int length)
    {
        if (length != 32)
        {
            throw new ArgumentException($"A ChaCha20/Poly1305 key must be 32 bytes (RFC 8439 §2.8); {length} bytes were given.");
        }

        PlatformArguments.CheckBuffer(key, offset, length, nameof(key));
        _aead = new System.Security.Cryptography.ChaCha20Poly1305(key.AsSpan(offset, length));
        _aeadDecrypt = _aead.Decrypt;
    }

    /// <summary>True when the platform has ChaCha20/Poly1305.</summary>
    public static bool IsSupported => System.Security.Cryptography.ChaCha20Poly1305.IsSupported;

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
        _aead.Encrypt(
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
        return PlatformArguments.Open(_aeadDecrypt, nonce, ciphertext, tag.AsSpan(tagOffset, Tag), output, associatedData);
    }

    /// <summary>Releases the platform cipher, which erases the key.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _aead.Dispose();
        }
    }

    private void CheckNonce(ByteRange nonce)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (nonce.Count != Nonce || nonce.Buffer is null)
        {
            throw new ArgumentException($"The ChaCha20/Poly1305 nonce must be {Nonce} bytes here (RFC 9053 §4.3); {nonce.Count} bytes were given.");
        }
    }
}
