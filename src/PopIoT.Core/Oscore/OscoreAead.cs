using PopIoT.Core.Crypto;

namespace PopIoT.Core.Oscore
{
    /// <summary>
    /// The AEAD algorithms an OSCORE Security Context can use (RFC 8613 §3.2.1, §5.2) and their parameters: the
    /// AES-CCM-16-* of RFC 9053 §4.2 (10, 11, 30, 31: 13-byte nonce), which every provider has, and the optional
    /// A128GCM (1), A256GCM (3) (§4.1) and ChaCha20/Poly1305 (24) (§4.3), with a 12-byte nonce and a 16-byte tag, from
    /// providers that implement <see cref="IAesGcmProvider"/> or <see cref="IChaCha20Poly1305Provider"/>.
    /// </summary>
    internal static class OscoreAead
    {
        /// <summary>The nonce length of AES-CCM-16-* (RFC 9053 §4.2: L = 2, 15 − L = 13).</summary>
        public const int CcmNonceLength = 13;

        private const int ShortNonceLength = 12;
        private const int A128Gcm = 1;
        private const int A256Gcm = 3;
        private const int ChaCha20Poly1305 = 24;

        public static bool IsAesCcm(int algorithm)
        {
            return algorithm == 10 || algorithm == 11 || algorithm == 30 || algorithm == 31;
        }

        public static bool IsOptional(int algorithm)
        {
            return algorithm == A128Gcm || algorithm == A256Gcm || algorithm == ChaCha20Poly1305;
        }

        public static int NonceLength(int algorithm)
        {
            return IsOptional(algorithm) ? ShortNonceLength : CcmNonceLength;
        }

        public static int KeyLength(int algorithm)
        {
            return algorithm == 11 || algorithm == 31 || algorithm == A256Gcm || algorithm == ChaCha20Poly1305 ? 32 : 16;
        }

        public static int TagLength(int algorithm)
        {
            return algorithm == 10 || algorithm == 11 ? 8 : 16;
        }

        /// <summary>
        /// The keyed AEAD of a provider context (the algorithm is the context's, fixed when it is made, RFC 8613 §3.2.1).
        /// Throws <see cref="System.ArgumentException"/> when the provider lacks an optional algorithm.
        /// </summary>
        public static IAeadCipher CreateCipher(ICryptoProvider provider, int algorithm, byte[] key, int keyLength, int tagLength)
        {
            IAeadCipher cipher = null;
            if (algorithm == A128Gcm || algorithm == A256Gcm)
            {
                IAesGcmProvider gcm = provider as IAesGcmProvider;
                cipher = gcm == null ? null : gcm.CreateAesGcm(key, 0, keyLength);
            }
            else if (algorithm == ChaCha20Poly1305)
            {
                IChaCha20Poly1305Provider chacha = provider as IChaCha20Poly1305Provider;
                cipher = chacha == null ? null : chacha.CreateChaCha20Poly1305(key, 0, keyLength);
            }
            else
            {
                return provider.CreateAesCcm(key, 0, keyLength, tagLength, 15 - CcmNonceLength);
            }

            if (cipher == null)
            {
                throw new System.ArgumentException("The OSCORE AEAD algorithm " + algorithm.ToString() + " is not available on this platform (AES-CCM is).");
            }

            return cipher;
        }
    }
}
