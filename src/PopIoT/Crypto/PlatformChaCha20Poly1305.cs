using System;

namespace PopIoT.Crypto;

/// <summary>
/// ChaCha20/Poly1305 (RFC 8439) from System.Security.Cryptography with a 32-byte key, a 12-byte nonce and a 16-byte
/// tag, as COSE algorithm 24 requires (RFC 9053 §4.3); the <see cref="Core.Crypto.IAeadCipher"/> shape is <see cref="PlatformNonce12Aead"/>'s.
/// </summary>
public sealed class PlatformChaCha20Poly1305 : PlatformNonce12Aead
{
    private readonly System.Security.Cryptography.ChaCha20Poly1305 _aead;

    private PlatformChaCha20Poly1305(System.Security.Cryptography.ChaCha20Poly1305 aead)
        : base(aead, aead.Decrypt, "ChaCha20/Poly1305 (RFC 9053 §4.3)")
    {
        _aead = aead;
    }

    /// <summary>Creates ChaCha20/Poly1305 with a copy of the key.</summary>
    /// <param name="key">The array holding the key.</param>
    /// <param name="offset">Where the key starts.</param>
    /// <param name="length">The key length: 32 bytes.</param>
    /// <exception cref="ArgumentException">The key size is wrong or the range does not fit.</exception>
    public PlatformChaCha20Poly1305(byte[] key, int offset, int length)
        : this(Create(key, offset, length))
    {
    }

    /// <summary>True when the platform has ChaCha20/Poly1305.</summary>
    public static bool IsSupported => System.Security.Cryptography.ChaCha20Poly1305.IsSupported;

    /// <inheritdoc/>
    protected override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData) =>
        _aead.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);

    private static System.Security.Cryptography.ChaCha20Poly1305 Create(byte[] key, int offset, int length)
    {
        if (length != 32)
        {
            throw new ArgumentException($"A ChaCha20/Poly1305 key must be 32 bytes (RFC 8439 §2.8); {length} bytes were given.");
        }

        PlatformArguments.CheckBuffer(key, offset, length, nameof(key));
        return new System.Security.Cryptography.ChaCha20Poly1305(key.AsSpan(offset, length));
    }
}
