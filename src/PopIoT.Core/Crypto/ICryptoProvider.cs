namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// The one object through which higher layers (COSE, OSCORE, DTLS) obtain primitives.
    /// Implementations: <see cref="ManagedCryptoProvider"/> (portable, in Core), the desktop
    /// platform provider, and the firmware's native bindings. Every created object copies the key
    /// it is given (the caller may erase its own copy) and erases it when disposed.
    /// </summary>
    /// <remarks>
    /// Optional capabilities are separate interfaces a provider may also implement, so that existing
    /// providers stay valid: <see cref="ISignatureProvider"/> (ECDSA P-256, Ed25519) and
    /// <see cref="IAesGcmProvider"/> (AES-GCM). COSE reports an algorithm as unsupported without them.
    /// </remarks>
    public interface ICryptoProvider
    {
        /// <summary>The cryptographically secure random source.</summary>
        IRandomSource Random { get; }

        /// <summary>Creates a forward AES cipher (FIPS 197) for a 16-, 24- or 32-byte key.</summary>
        /// <param name="key">The array holding the key.</param>
        /// <param name="offset">Where the key starts.</param>
        /// <param name="length">The key length: 16, 24 or 32.</param>
        /// <returns>The keyed cipher; dispose it to erase the key.</returns>
        IBlockCipher CreateAes(byte[] key, int offset, int length);

        /// <summary>Creates HMAC-SHA256 (RFC 2104) with a key of any length.</summary>
        /// <param name="key">The array holding the key; may be null when <paramref name="length"/> is 0.</param>
        /// <param name="offset">Where the key starts.</param>
        /// <param name="length">The key length.</param>
        /// <returns>The keyed MAC; dispose it to erase the key.</returns>
        IMac CreateHmacSha256(byte[] key, int offset, int length);

        /// <summary>Creates a SHA-256 hash (FIPS 180-4).</summary>
        /// <returns>The hash object.</returns>
        IHash CreateSha256();

        /// <summary>Creates AES-CCM (RFC 3610) with the given key and parameters.</summary>
        /// <param name="key">The array holding the key.</param>
        /// <param name="offset">Where the key starts.</param>
        /// <param name="length">The key length: 16, 24 or 32.</param>
        /// <param name="tagSize">M, the tag size in bytes: 4, 6, 8, 10, 12, 14 or 16.</param>
        /// <param name="lengthSize">L, the size of the length field in bytes, 2 to 8; the nonce is 15 − L bytes.</param>
        /// <returns>The keyed AEAD; dispose it to erase the key.</returns>
        IAeadCipher CreateAesCcm(byte[] key, int offset, int length, int tagSize, int lengthSize);
    }
}
