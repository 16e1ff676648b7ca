using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// HMAC-SHA256 (RFC 2104, with SHA-256 of FIPS 180-4), incremental, in managed code. The keyed
    /// inner and outer SHA-256 states are computed once by the constructor, so each message costs
    /// only its own blocks plus two; per-message calls do not allocate.
    /// </summary>
    public sealed class HmacSha256 : IMac
    {
        /// <summary>The MAC size in bytes.</summary>
        public const int Size = 32;

        // RFC 2104 §2: B, the byte length of a hash block.
        private const int B = Sha256.BlockSizeBytes;

        private readonly Sha256 _inner = new Sha256();
        private readonly Sha256 _outer = new Sha256();
        internal readonly uint[] _innerState = new uint[8];
        internal readonly uint[] _outerState = new uint[8];
        private readonly byte[] _pad = new byte[B];
        private readonly byte[] _digest = new byte[Size];
        private bool _disposed;

        /// <summary>Creates HMAC-SHA256 with a copy of the given key, of any length.</summary>
        /// <param name="key">The array holding the key; may be null when <paramref name="length"/> is 0.</param>
        /// <param name="offset">Where the key starts.</param>
        /// <param name="length">The key length in bytes. Keys longer than 64 bytes are hashed first (RFC 2104 §2).</param>
        /// <exception cref="ArgumentException">The key range does not fit.</exception>
        public HmacSha256(byte[] key, int offset, int length)
        {
            SetKey(key, offset, length);
        }

        /// <inheritdoc/>
        public int MacSize
        {
            get { return Size; }
        }

        /// <inheritdoc/>
        public void Update(byte[] data, int offset, int count)
        {
            ThrowIfDisposed();
            _inner.Update(data, offset, count);
        }

        /// <inheritdoc/>
        public void Final(byte[] output, int offset)
        {
            ThrowIfDisposed();
            CryptoBytes.CheckBuffer(output, offset, Size, "output");

            // RFC 2104 §2: H(K XOR opad, H(K XOR ipad, text)).
            _inner.Final(_digest, 0);
            _outer.ImportState(_outerState, B);
            _outer.Update(_digest, 0, Size);
            _outer.Final(output, offset);
            Array.Clear(_digest, 0, Size);
            _inner.ImportState(_innerState, B);
        }

        /// <inheritdoc/>
        public void Reset()
        {
            ThrowIfDisposed();
            _inner.Reset();
            _inner.ImportState(_innerState, B);
        }

        /// <summary>Erases the key and all key-derived state. Further use throws <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            _disposed = true;
            Array.Clear(_innerState, 0, 8);
            Array.Clear(_outerState, 0, 8);
            Array.Clear(_pad, 0, B);
            Array.Clear(_digest, 0, Size);
            _inner.Dispose();
            _outer.Dispose();
        }

        /// <summary>Replaces the key without allocating (used by <see cref="Hkdf"/>).</summary>
        internal void SetKey(byte[] key, int offset, int length)
        {
            CryptoBytes.CheckRange(key, offset, length, "key");
            _disposed = false;
            Array.Clear(_pad, 0, B);
            if (length > B)
            {
                // RFC 2104 §2: keys longer than B bytes are first hashed.
                _inner.Reset();
                _inner.Update(key, offset, length);
                _inner.Final(_pad, 0);
            }
            else if (length > 0)
            {
                // RFC 2104 §2 step (1): append zeros to the end of K to create a B byte string.
                Array.Copy(key, offset, _pad, 0, length);
            }

            // RFC 2104 §2 steps (2) and (5): K XOR ipad (0x36) and K XOR opad (0x5C); the keyed states are cached.
            for (int i = 0; i < B; i++)
            {
                _pad[i] ^= 0x36;
            }

            _inner.Reset();
            _inner.Update(_pad, 0, B);
            _inner.ExportState(_innerState);
            for (int i = 0; i < B; i++)
            {
                _pad[i] ^= 0x36 ^ 0x5c;
            }

            _outer.Reset();
            _outer.Update(_pad, 0, B);
            _outer.ExportState(_outerState);
            Array.Clear(_pad, 0, B);
            _outer.Reset();
            _inner.Reset();
            _inner.ImportState(_innerState, B);
        }

        private void ThrowIfDisposed()
        {
            if (_disposed)
            {
                throw new ObjectDisposedException("HmacSha256");
            }
        }
    }
}
