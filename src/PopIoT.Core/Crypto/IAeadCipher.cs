using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// A keyed authenticated cipher with associated data whose parameters (key, tag size, nonce
    /// size) are fixed when it is created, such as AES-CCM (RFC 3610). The key is erased by
    /// <see cref="IDisposable.Dispose"/>. The managed <see cref="AesCcm"/> allocates nothing per call.
    /// </summary>
    /// <remarks>
    /// Plaintext and ciphertext may be the same region of the same array (in-place); any other
    /// overlap between the buffers is refused with <see cref="ArgumentException"/>.
    /// A nonce must never be used twice with the same key.
    /// </remarks>
    public interface IAeadCipher : IDisposable
    {
        /// <summary>The nonce size in bytes this cipher was created for (15 − L for AES-CCM).</summary>
        int NonceSize { get; }

        /// <summary>The authentication tag size in bytes (M for AES-CCM).</summary>
        int TagSize { get; }

        /// <summary>The largest plaintext length accepted (less than 2^(8L) for AES-CCM, at most <see cref="int.MaxValue"/>).</summary>
        int MaxMessageLength { get; }

        /// <summary>Encrypts and authenticates a message.</summary>
        /// <param name="nonce">The nonce; its count must equal <see cref="NonceSize"/>.</param>
        /// <param name="plaintext">The message; the ciphertext has the same length.</param>
        /// <param name="ciphertext">The array that receives the ciphertext.</param>
        /// <param name="ciphertextOffset">Where to write the ciphertext.</param>
        /// <param name="tag">The array that receives the <see cref="TagSize"/>-byte tag.</param>
        /// <param name="tagOffset">Where to write the tag.</param>
        /// <param name="associatedData">Data authenticated but not encrypted (may be empty).</param>
        /// <exception cref="ArgumentException">A length is wrong, a buffer is too small, or buffers overlap.</exception>
        /// <exception cref="ObjectDisposedException">The cipher was disposed.</exception>
        void Encrypt(ByteRange nonce, ByteRange plaintext, byte[] ciphertext, int ciphertextOffset, byte[] tag, int tagOffset, ByteRange associatedData);

        /// <summary>
        /// Verifies and decrypts a message. Returns false, and leaves the plaintext region all zero,
        /// when the tag does not match: no unauthenticated plaintext is ever released.
        /// </summary>
        /// <param name="nonce">The nonce; its count must equal <see cref="NonceSize"/>.</param>
        /// <param name="ciphertext">The ciphertext (without the tag).</param>
        /// <param name="tag">The array holding the received <see cref="TagSize"/>-byte tag.</param>
        /// <param name="tagOffset">Where the tag starts.</param>
        /// <param name="plaintext">The array that receives the plaintext.</param>
        /// <param name="plaintextOffset">Where to write the plaintext.</param>
        /// <param name="associatedData">The associated data (may be empty).</param>
        /// <returns>True when the tag is valid; false otherwise (plaintext region zeroed).</returns>
        /// <exception cref="ArgumentException">A length is wrong, a buffer is too small, or buffers overlap.</exception>
        /// <exception cref="ObjectDisposedException">The cipher was disposed.</exception>
        bool Decrypt(ByteRange nonce, ByteRange ciphertext, byte[] tag, int tagOffset, byte[] plaintext, int plaintextOffset, ByteRange associatedData);
    }
}
