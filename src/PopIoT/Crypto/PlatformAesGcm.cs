using System;
using System.Security.Cryptography;

namespace PopIoT.Crypto;

/// <summary>
/// AES-GCM (NIST SP 800-38D) from System.Security.Cryptography with a 12-byte nonce and a 16-byte tag, as COSE
/// A128GCM and A256GCM require (RFC 9053 §4.1); the <see cref="Core.Crypto.IAeadCipher"/> shape is <see cref="PlatformNonce12Aead"/>'s.
/// </summary>
public sealed class PlatformAesGcm : PlatformNonce12Aead
{
    private readonly AesGcm _gcm;

    private PlatformAesGcm(AesGcm gcm)
        : base(gcm, gcm.Decrypt, "AES-GCM (RFC 9053 §4.1)")
    {
        _gcm = gcm;
    }

    /// <summary>Creates AES-GCM with a copy of the key.</summary>
    /// <param name="key">The array holding the key.</param>
    /// <param name="offset">Where the key starts.</param>
    /// <param name="length">The key length: 16, 24 or 32 bytes.</param>
    /// <exception cref="ArgumentException">The key size is wrong or the range does not fit.</exception>
    public PlatformAesGcm(byte[] key, int offset, int length)
        : this(Create(key, offset, length))
    {
    }

    /// <summary>True when the platform has AES-GCM.</summary>
    public static bool IsSupported => AesGcm.IsSupported;

    /// <inheritdoc/>
    protected override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData) =>
        _gcm.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);

    private static AesGcm Create(byte[] key, int offset, int length)
    {
        if (length is not (16 or 24 or 32))
        {
            throw new ArgumentException($"An AES key must be 16, 24 or 32 bytes; {length} bytes were given.");
        }

        PlatformArguments.CheckBuffer(key, offset, length, nameof(key));
        return new AesGcm(key.AsSpan(offset, length), Tag);
    }
}
