using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// SHA-256 (FIPS 180-4 §6.2), incremental, in managed code. All buffers are allocated by the
    /// constructor; <see cref="Update"/> and <see cref="Final"/> do not allocate.
    /// </summary>
    public sealed class Sha256 : IHash
    {
        /// <summary>The digest size in bytes.</summary>
        public const int DigestSize = 32;

        /// <summary>The message block size in bytes.</summary>
        public const int BlockSizeBytes = 64;

        // FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
        private static readonly uint[] K =
        {
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
        };

        private readonly uint[] _state = new uint[8];
        // The message schedule as a ring of its last 16 words: W(t) needs only W(t-2), W(t-7), W(t-15) and W(t-16)
        // (FIPS 180-4 §6.2.2 step 1), so 16 words do what 64 would, a quarter of the memory on a device
        // (docs/firmware.md, "Device budgets").
        private readonly uint[] _schedule = new uint[16];
        private readonly byte[] _block = new byte[BlockSizeBytes];
        private int _blockUsed;
        private long _totalBytes;

        /// <summary>Creates a SHA-256 object ready to hash a message.</summary>
        public Sha256()
        {
            Reset();
        }

        /// <inheritdoc/>
        public int HashSize
        {
            get { return DigestSize; }
        }

        /// <inheritdoc/>
        public void Reset()
        {
            // FIPS 180-4 §5.3.3: the initial hash value H(0).
            _state[0] = 0x6a09e667;
            _state[1] = 0xbb67ae85;
            _state[2] = 0x3c6ef372;
            _state[3] = 0xa54ff53a;
            _state[4] = 0x510e527f;
            _state[5] = 0x9b05688c;
            _state[6] = 0x1f83d9ab;
            _state[7] = 0x5be0cd19;
            _blockUsed = 0;
            _totalBytes = 0;
            Array.Clear(_block, 0, BlockSizeBytes);
        }

        /// <inheritdoc/>
        public void Update(byte[] data, int offset, int count)
        {
            CryptoBytes.CheckRange(data, offset, count, "data");
            if (count == 0)
            {
                return;
            }

            _totalBytes += count;
            if (_blockUsed > 0)
            {
                int take = BlockSizeBytes - _blockUsed;
                if (take > count)
                {
                    take = count;
                }

                Array.Copy(data, offset, _block, _blockUsed, take);
                _blockUsed += take;
                offset += take;
                count -= take;
                if (_blockUsed < BlockSizeBytes)
                {
                    return;
                }

                Compress(_block, 0);
                _blockUsed = 0;
            }

            while (count >= BlockSizeBytes)
            {
                Compress(data, offset);
                offset += BlockSizeBytes;
                count -= BlockSizeBytes;
            }

            if (count > 0)
            {
                Array.Copy(data, offset, _block, 0, count);
                _blockUsed = count;
            }
        }

        /// <inheritdoc/>
        public void Final(byte[] output, int offset)
        {
            CryptoBytes.CheckBuffer(output, offset, DigestSize, "output");
            long bitLength = _totalBytes << 3;

            // FIPS 180-4 §5.1.1: append bit 1, then zeros, then the 64-bit big-endian message length.
            _block[_blockUsed++] = 0x80;
            if (_blockUsed > BlockSizeBytes - 8)
            {
                Array.Clear(_block, _blockUsed, BlockSizeBytes - _blockUsed);
                Compress(_block, 0);
                _blockUsed = 0;
            }

            Array.Clear(_block, _blockUsed, BlockSizeBytes - 8 - _blockUsed);
            for (int i = 0; i < 8; i++)
            {
                _block[BlockSizeBytes - 1 - i] = (byte)(bitLength >> (8 * i));
            }

            Compress(_block, 0);
            for (int i = 0; i < 8; i++)
            {
                uint word = _state[i];
                output[offset + (4 * i)] = (byte)(word >> 24);
                output[offset + (4 * i) + 1] = (byte)(word >> 16);
                output[offset + (4 * i) + 2] = (byte)(word >> 8);
                output[offset + (4 * i) + 3] = (byte)word;
            }

            Array.Clear(_schedule, 0, 16);
            Reset();
        }

        /// <summary>
        /// Erases the internal state (which holds key-derived values when used inside HMAC) and
        /// leaves the object as freshly created; SHA-256 itself has no key.
        /// </summary>
        public void Dispose()
        {
            Array.Clear(_schedule, 0, 16);
            Reset();
        }

        /// <summary>
        /// Makes <paramref name="target"/> an exact copy of this hash in progress (chaining value, partial block, length),
        /// so a running transcript hash can be finished at one point and continued (RFC 5246 §7.4.9, RFC 7627 §3).
        /// </summary>
        internal void CopyStateTo(Sha256 target)
        {
            Array.Copy(_state, 0, target._state, 0, 8);
            Array.Copy(_block, 0, target._block, 0, BlockSizeBytes);
            target._blockUsed = _blockUsed;
            target._totalBytes = _totalBytes;
        }

        /// <summary>Copies the chaining value H into <paramref name="state"/>; valid only on a block boundary (used by HMAC to cache keyed states).</summary>
        internal void ExportState(uint[] state)
        {
            Array.Copy(_state, 0, state, 0, 8);
        }

        /// <summary>Restores a chaining value exported after <paramref name="bytesProcessed"/> whole blocks.</summary>
        internal void ImportState(uint[] state, long bytesProcessed)
        {
            Array.Copy(state, 0, _state, 0, 8);
            _totalBytes = bytesProcessed;
            _blockUsed = 0;
        }

        private void Compress(byte[] data, int offset)
        {
            uint[] w = _schedule;

            // FIPS 180-4 §6.2.2 step 1: the message schedule.
            for (int t = 0; t < 16; t++)
            {
                int p = offset + (4 * t);
                w[t] = ((uint)data[p] << 24) | ((uint)data[p + 1] << 16) | ((uint)data[p + 2] << 8) | data[p + 3];
            }

            // FIPS 180-4 §6.2.2 step 2.
            uint a = _state[0];
            uint b = _state[1];
            uint c = _state[2];
            uint d = _state[3];
            uint e = _state[4];
            uint f = _state[5];
            uint g = _state[6];
            uint h = _state[7];

            // FIPS 180-4 §6.2.2 step 3, with Ch, Maj, Sigma0, Sigma1 of §4.1.2 (4.2)-(4.5); from t = 16 on, W(t) of step 1
            // replaces W(t-16) in the ring (index t mod 16).
            for (int t = 0; t < 64; t++)
            {
                uint wt;
                if (t < 16)
                {
                    wt = w[t];
                }
                else
                {
                    uint x = w[(t - 2) & 15];
                    uint y = w[(t - 15) & 15];

                    // FIPS 180-4 §4.1.2 (4.7), (4.6): sigma1 and sigma0.
                    uint s1 = ((x >> 17) | (x << 15)) ^ ((x >> 19) | (x << 13)) ^ (x >> 10);
                    uint s0 = ((y >> 7) | (y << 25)) ^ ((y >> 18) | (y << 14)) ^ (y >> 3);
                    wt = unchecked(s1 + w[(t - 7) & 15] + s0 + w[t & 15]);
                    w[t & 15] = wt;
                }

                uint bigSigma1 = ((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7));
                uint ch = (e & f) ^ (~e & g);
                uint t1 = unchecked(h + bigSigma1 + ch + K[t] + wt);
                uint bigSigma0 = ((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10));
                uint maj = (a & b) ^ (a & c) ^ (b & c);
                uint t2 = unchecked(bigSigma0 + maj);
                h = g;
                g = f;
                f = e;
                e = unchecked(d + t1);
                d = c;
                c = b;
                b = a;
                a = unchecked(t1 + t2);
            }

            // FIPS 180-4 §6.2.2 step 4.
            unchecked
            {
                _state[0] += a;
                _state[1] += b;
                _state[2] += c;
                _state[3] += d;
                _state[4] += e;
                _state[5] += f;
                _state[6] += g;
                _state[7] += h;
            }
        }
    }
}
