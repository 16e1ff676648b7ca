namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// Optional part of a crypto provider: AES-GCM (NIST SP 800-38D) with a 12-byte nonce and a
    /// 16-byte tag, as COSE A128GCM and A256GCM use it (RFC 9053 §4.1). Core has no managed GCM;
    /// COSE reports the algorithm as unsupported when the provider lacks this interface.
    /// </summary>
    public interface IAesGcmProvider
    {
        /// <summary>Creates AES-GCM with a copy of the key; 12-byte nonce, 16-byte tag.</summary>
        /// <param name="key">The array holding the key.</param>
        /// <param name="offset">Where the key starts.</param>
        /// <param name="length">The key length: 16 or 32.</param>
        /// <returns>The keyed AEAD, or null when this provider cannot do AES-GCM here.</returns>
        IAeadCipher CreateAesGcm(byte[] key, int offset, int length);
    }
}
