using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// HKDF with HMAC-SHA256 (RFC 5869), as used by OSCORE (RFC 8613 §3.2.1) and EDHOC. Uses the
    /// managed <see cref="HmacSha256"/>, re-keyed in place, so after construction no call allocates.
    /// Not thread-safe: use one instance per thread.
    /// </summary>
    public sealed class Hkdf : IDisposable
    {
        /// <summary>HashLen for SHA-256 in bytes; also the size of a pseudorandom key.</summary>
        public const int HashLength = 32;

        /// <summary>The longest output Expand may produce: 255 · HashLen (RFC 5869 §2.3).</summary>
        public const int MaxOutputLength = 255 * HashLength;

        private readonly HmacSha256 _hmac = new HmacSha256(null, 0, 0);
        private readonly byte[] _t = new byte[HashLength];
        private readonly byte[] _prk = new byte[HashLength];
        private readonly byte[] _counter = new byte[1];
        private bool _disposed;

        /// <summary>
        /// HKDF-Extract (RFC 5869 §2.2): PRK = HMAC-Hash(salt, IKM). An absent salt (null or length 0)
        /// acts as HashLen zero bytes, as the RFC specifies.
        /// </summary>
        /// <param name="salt">The salt (may be empty).</param>
        /// <param name="ikm">The input keying material (may be empty).</param>
        /// <param name="prk">The array that receives the 32-byte PRK.</param>
        /// <param name="prkOffset">Where to write it.</param>
        /// <exception cref="ArgumentException">A range does not fit.</exception>
        public void Extract(ByteRange salt, ByteRange ikm, byte[] prk, int prkOffset)
        {
            ThrowIfDisposed();
            CryptoBytes.CheckBuffer(prk, prkOffset, HashLength, "prk");

            // RFC 5869 §2.2: a zero-length HMAC key is padded to HashLen zeros, the same as the default salt.
            _hmac.SetKey(salt.Buffer, salt.Offset, salt.Count);
            _hmac.Update(ikm.Buffer, ikm.Offset, ikm.Count);
            _hmac.Final(prk, prkOffset);
            _hmac.SetKey(null, 0, 0);
        }

        /// <summary>
        /// HKDF-Expand (RFC 5869 §2.3): OKM = first L bytes of T(1) | T(2) | ..., with
        /// T(i) = HMAC-Hash(PRK, T(i-1) | info | i).
        /// </summary>
        /// <param name="prk">The pseudorandom key, at least HashLen = 32 bytes (RFC 5869 §2.3).</param>
        /// <param name="info">Context and application specific information (may be empty).</param>
        /// <param name="okm">The array that receives the output keying material.</param>
        /// <param name="okmOffset">Where to write it.</param>
        /// <param name="okmLength">L, the output length: 0 to 8160 bytes.</param>
        /// <exception cref="ArgumentException">The PRK is shorter than 32 bytes, L is above 255·32, or a range does not fit.</exception>
        public void Expand(ByteRange prk, ByteRange info, byte[] okm, int okmOffset, int okmLength)
        {
            ThrowIfDisposed();
            if (prk.Count < HashLength)
            {
                throw new ArgumentException("The PRK must be at least 32 bytes (RFC 5869 §2.3); " + prk.Count + " bytes were given.");
            }

            // RFC 5869 §2.3: L <= 255*HashLen.
            if (okmLength < 0 || okmLength > MaxOutputLength)
            {
                throw new ArgumentException("The HKDF output length must be 0 to " + MaxOutputLength + " bytes (RFC 5869 §2.3); " + okmLength + " was given.");
            }

            CryptoBytes.CheckRange(okm, okmOffset, okmLength, "okm");
            if (CryptoBytes.Overlaps(okm, okmOffset, okmLength, info.Buffer, info.Offset, info.Count))
            {
                throw new ArgumentException("okm must not overlap info.");
            }

            _hmac.SetKey(prk.Buffer, prk.Offset, prk.Count);
            int done = 0;
            int previous = 0;
            for (int i = 1; done < okmLength; i++)
            {
                // RFC 5869 §2.3: T(i) = HMAC-Hash(PRK, T(i-1) | info | i), T(0) empty.
                _hmac.Update(_t, 0, previous);
                _hmac.Update(info.Buffer, info.Offset, info.Count);
                _counter[0] = (byte)i;
                _hmac.Update(_counter, 0, 1);
                _hmac.Final(_t, 0);
                previous = HashLength;
                int n = okmLength - done;
                if (n > HashLength)
                {
                    n = HashLength;
                }

                Array.Copy(_t, 0, okm, okmOffset + done, n);
                done += n;
            }

            Array.Clear(_t, 0, HashLength);
            _hmac.SetKey(null, 0, 0);
        }

        /// <summary>Extract then Expand (RFC 5869 §2), keeping the PRK inside this object and erasing it.</summary>
        /// <param name="salt">The salt (may be empty).</param>
        /// <param name="ikm">The input keying material.</param>
        /// <param name="info">The info string (may be empty).</param>
        /// <param name="okm">The array that receives the output keying material.</param>
        /// <param name="okmOffset">Where to write it.</param>
        /// <param name="okmLength">The output length: 0 to 8160 bytes.</param>
        /// <exception cref="ArgumentException">A length is out of range or a range does not fit.</exception>
        public void DeriveKey(ByteRange salt, ByteRange ikm, ByteRange info, byte[] okm, int okmOffset, int okmLength)
        {
            Extract(salt, ikm, _prk, 0);
            try
            {
                Expand(ByteRange.Of(_prk), info, okm, okmOffset, okmLength);
            }
            finally
            {
                Array.Clear(_prk, 0, HashLength);
            }
        }

        /// <summary>Erases all key-dependent state. Further use throws <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            _disposed = true;
            Array.Clear(_t, 0, HashLength);
            Array.Clear(_prk, 0, HashLength);
            _hmac.Dispose();
        }

        private void ThrowIfDisposed()
        {
            if (_disposed)
            {
                throw new ObjectDisposedException("Hkdf");
            }
        }
    }
}
