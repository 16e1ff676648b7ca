namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// Optional part of a crypto provider: ChaCha20/Poly1305 (RFC 8439) with a 32-byte key, a 12-byte nonce and a
    /// 16-byte tag, COSE algorithm 24 (RFC 9053 §4.3). Core has no managed ChaCha20; OSCORE reports the algorithm as
    /// unavailable when the provider lacks this interface.
    /// </summary>
    public interface IChaCha20Poly1305Provider
    {
        /// <summary>Creates ChaCha20/Poly1305 with a copy of the key.</summary>
        /// <param name="key">The array holding the key.</param>
        /// <param name="offset">Where the key starts.</param>
        /// <param name="length">The key length: 32.</param>
        /// <returns>The keyed AEAD, or null when this provider cannot do ChaCha20/Poly1305 here.</returns>
        IAeadCipher CreateChaCha20Poly1305(byte[] key, int offset, int length);
    }
}
