using System;

using PopIoT.Core;
using PopIoT.Core.Crypto;

namespace PopIoT.Crypto;

/// <summary>
/// What the platform's AES-GCM and ChaCha20/Poly1305 share in the <see cref="IAeadCipher"/> shape: a 12-byte nonce and
/// a 16-byte tag (RFC 9053 §4.1, §4.3), caller buffers, a bool for a bad tag, and a zeroed plaintext region when the tag
/// fails. A subclass only names its cipher and hands over the platform object's two span calls.
/// </summary>
public abstract class PlatformNonce12Aead : IAeadCipher
{
    /// <summary>The nonce length.</summary>
    protected const int Nonce = 12;

    /// <summary>The tag length.</summary>
    protected const int Tag = 16;

    private readonly IDisposable _cipher;
    private readonly PlatformArguments.SpanDecrypt _decrypt;
    private readonly string _nonceRule;
    private bool _disposed;

    /// <summary>Takes the keyed platform object.</summary>
    /// <param name="cipher">The keyed platform cipher, disposed (which erases the key) with this object.</param>
    /// <param name="decrypt">Its Decrypt method.</param>
    /// <param name="nonceRule">The name and the reference used in a wrong-nonce message, e.g. "AES-GCM (RFC 9053 §4.1)".</param>
    private protected PlatformNonce12Aead(IDisposable cipher, PlatformArguments.SpanDecrypt decrypt, string nonceRule)
    {
        _cipher = cipher;
        _decrypt = decrypt;
        _nonceRule = nonceRule;
    }

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
        Seal(nonce.AsSpan(), plaintext.AsSpan(), PlatformArguments.WritableSpan(ciphertext, ciphertextOffset, plaintext.Count), tag.AsSpan(tagOffset, Tag), associatedData.AsSpan());
    }

    /// <inheritdoc/>
    public bool Decrypt(ByteRange nonce, ByteRange ciphertext, byte[] tag, int tagOffset, byte[]? plaintext, int plaintextOffset, ByteRange associatedData)
    {
        CheckNonce(nonce);
        PlatformArguments.CheckOutput(ciphertext, plaintext, plaintextOffset, nameof(plaintext), tag, tagOffset, Tag);
        Span<byte> output = PlatformArguments.WritableSpan(plaintext, plaintextOffset, ciphertext.Count);
        return PlatformArguments.Open(_decrypt, nonce, ciphertext, tag.AsSpan(tagOffset, Tag), output, associatedData);
    }

    /// <summary>Releases the platform cipher, which erases the key.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _cipher.Dispose();
        }
    }

    /// <summary>The platform object's Encrypt.</summary>
    /// <param name="nonce">The nonce.</param>
    /// <param name="plaintext">The plaintext.</param>
    /// <param name="ciphertext">Where the ciphertext goes.</param>
    /// <param name="tag">Where the tag goes.</param>
    /// <param name="associatedData">The associated data.</param>
    protected abstract void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData);

    private void CheckNonce(ByteRange nonce)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (nonce.Count != Nonce || nonce.Buffer is null)
        {
            throw new ArgumentException($"The {_nonceRule} nonce must be {Nonce} bytes here; {nonce.Count} bytes were given.");
        }
    }
}
