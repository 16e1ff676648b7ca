using System;
using System.Security.Cryptography;

using PopIoT.Core;
using PopIoT.Core.Crypto;

namespace PopIoT.Crypto;

/// <summary>
/// AES-CCM from System.Security.Cryptography (<see cref="System.Security.Cryptography.AesCcm"/>,
/// OpenSSL on Linux, CNG on Windows) with the same calling shape and rules as the managed
/// <see cref="Core.Crypto.AesCcm"/>: parameters fixed at creation, caller buffers, a bool (not an
/// exception) for a bad tag, and a zeroed plaintext region when the tag fails.
/// </summary>
/// <remarks>
/// Measured on .NET 10 / OpenSSL 3.0: about 32 bytes allocated per call inside the platform, and a
/// per-call set-up cost that makes it slower than the managed CCM for short messages. A bad tag
/// costs a caught <see cref="AuthenticationTagMismatchException"/> inside this wrapper.
/// </remarks>
public sealed class PlatformAesCcm : IAeadCipher
{
    private readonly System.Security.Cryptography.AesCcm _ccm;
    private readonly PlatformArguments.SpanDecrypt _ccmDecrypt;
    private readonly int _tagSize;
    private readonly int _lengthSize;
    private bool _disposed;

    /// <summary>Creates platform AES-CCM with a copy of the key.</summary>
    /// <param name="key">The array holding the key.</param>
    /// <param name="offset">Where the key starts.</param>
    /// <param name="length">The key length: 16, 24 or 32 bytes.</param>
    /// <param name="tagSize">M, the tag size in bytes: 4, 6, 8, 10, 12, 14 or 16.</param>
    /// <param name="lengthSize">L, the length field size in bytes: 2 to 8 (nonce of 15 − L bytes).</param>
    /// <exception cref="ArgumentException">A parameter is outside RFC 3610's ranges or the key size is wrong.</exception>
    /// <exception cref="PlatformNotSupportedException">The platform has no AES-CCM or refuses these sizes (see <see cref="IsSupported"/>).</exception>
    public PlatformAesCcm(byte[] key, int offset, int length, int tagSize, int lengthSize)
    {
        CheckParameters(tagSize, lengthSize);
        if (length is not (16 or 24 or 32))
        {
            throw new ArgumentException($"An AES key must be 16, 24 or 32 bytes; {length} bytes were given.");
        }

        PlatformArguments.CheckBuffer(key, offset, length, nameof(key));
        if (!IsSupported(tagSize, lengthSize))
        {
            throw new PlatformNotSupportedException($"This platform's AES-CCM does not support M = {tagSize}, L = {lengthSize}.");
        }

        _ccm = new System.Security.Cryptography.AesCcm(key.AsSpan(offset, length));
        _ccmDecrypt = _ccm.Decrypt;
        _tagSize = tagSize;
        _lengthSize = lengthSize;
    }

    /// <summary>True when the platform has AES-CCM and accepts tag size M and nonce size 15 − L.</summary>
    /// <param name="tagSize">M in bytes.</param>
    /// <param name="lengthSize">L in bytes.</param>
    /// <returns>Whether <see cref="PlatformAesCcm"/> can be created with these sizes.</returns>
    public static bool IsSupported(int tagSize, int lengthSize) =>
        System.Security.Cryptography.AesCcm.IsSupported
        && Allows(System.Security.Cryptography.AesCcm.TagByteSizes, tagSize)
        && Allows(System.Security.Cryptography.AesCcm.NonceByteSizes, 15 - lengthSize);

    /// <inheritdoc/>
    public int NonceSize => 15 - _lengthSize;

    /// <inheritdoc/>
    public int TagSize => _tagSize;

    /// <inheritdoc/>
    public int MaxMessageLength => _lengthSize >= 4 ? int.MaxValue : (1 << (8 * _lengthSize)) - 1;

    /// <inheritdoc/>
    public void Encrypt(ByteRange nonce, ByteRange plaintext, byte[]? ciphertext, int ciphertextOffset, byte[] tag, int tagOffset, ByteRange associatedData)
    {
        CheckInput(nonce, plaintext);
        PlatformArguments.CheckOutput(plaintext, ciphertext, ciphertextOffset, nameof(ciphertext), tag, tagOffset, _tagSize);
        _ccm.Encrypt(
            nonce.AsSpan(),
            plaintext.AsSpan(),
            PlatformArguments.WritableSpan(ciphertext, ciphertextOffset, plaintext.Count),
            tag.AsSpan(tagOffset, _tagSize),
            associatedData.AsSpan());
    }

    /// <inheritdoc/>
    public bool Decrypt(ByteRange nonce, ByteRange ciphertext, byte[] tag, int tagOffset, byte[]? plaintext, int plaintextOffset, ByteRange associatedData)
    {
        CheckInput(nonce, ciphertext);
        PlatformArguments.CheckOutput(ciphertext, plaintext, plaintextOffset, nameof(plaintext), tag, tagOffset, _tagSize);
        Span<byte> output = PlatformArguments.WritableSpan(plaintext, plaintextOffset, ciphertext.Count);
        return PlatformArguments.Open(_ccmDecrypt, nonce, ciphertext, tag.AsSpan(tagOffset, _tagSize), output, associatedData);
    }

    /// <summary>Releases the platform cipher, which erases the key. Further use throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _ccm.Dispose();
        }
    }

    private static bool Allows(KeySizes sizes, int size) =>
        size >= sizes.MinSize && size <= sizes.MaxSize && (sizes.SkipSize == 0 ? size == sizes.MinSize : (size - sizes.MinSize) % sizes.SkipSize == 0);

    private static void CheckParameters(int tagSize, int lengthSize)
    {
        if (tagSize is < 4 or > 16 || (tagSize & 1) != 0)
        {
            throw new ArgumentException($"The CCM tag size M must be 4, 6, 8, 10, 12, 14 or 16 bytes (RFC 3610 §2); {tagSize} was given.");
        }

        if (lengthSize is < 2 or > 8)
        {
            throw new ArgumentException($"The CCM length field size L must be 2 to 8 bytes (RFC 3610 §2); {lengthSize} was given.");
        }
    }

    private void CheckInput(ByteRange nonce, ByteRange input)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (nonce.Count != NonceSize || nonce.Buffer is null)
        {
            throw new ArgumentException($"The nonce must be {NonceSize} bytes for L = {_lengthSize} (RFC 3610 §2); {nonce.Count} bytes were given.");
        }

        if (input.Count > MaxMessageLength)
        {
            throw new ArgumentException($"The message is {input.Count} bytes; with L = {_lengthSize} CCM allows at most {MaxMessageLength} (RFC 3610 §2: l(m) < 2^(8L)).");
        }
    }
}
