using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// The portable <see cref="ICryptoProvider"/>: managed SHA-256, HMAC-SHA256, AES and AES-CCM
    /// from this namespace. Core has no random generator of its own, so the host must supply a
    /// cryptographically secure <see cref="IRandomSource"/> (the operating system's CSPRNG on the
    /// desktop, the board's TRNG on a device).
    /// </summary>
    public sealed class ManagedCryptoProvider : ICryptoProvider, IRekeyableAeadProvider
    {
        private readonly IRandomSource _random;

        /// <summary>Creates the provider around the host's random source.</summary>
        /// <param name="random">A cryptographically secure random source supplied by the host.</param>
        /// <exception cref="ArgumentException"><paramref name="random"/> is null.</exception>
        public ManagedCryptoProvider(IRandomSource random)
        {
            if (random == null)
            {
                throw new ArgumentException("A random source must be supplied by the host; Core has no CSPRNG of its own.");
            }

            _random = random;
        }

        /// <inheritdoc/>
        public IRandomSource Random
        {
            get { return _random; }
        }

        /// <inheritdoc/>
        public IBlockCipher CreateAes(byte[] key, int offset, int length)
        {
            return new Aes(key, offset, length);
        }

        /// <inheritdoc/>
        public IMac CreateHmacSha256(byte[] key, int offset, int length)
        {
            return new HmacSha256(key, offset, length);
        }

        /// <inheritdoc/>
        public IHash CreateSha256()
        {
            return new Sha256();
        }

        /// <inheritdoc/>
        public IAeadCipher CreateAesCcm(byte[] key, int offset, int length, int tagSize, int lengthSize)
        {
            return new AesCcm(key, offset, length, tagSize, lengthSize);
        }

        /// <inheritdoc/>
        public IRekeyableAead CreateRekeyableAesCcm(int lengthSize)
        {
            return new AesCcm(lengthSize);
        }
    }
}
