using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// The AES forward cipher (FIPS 197 §5.1) for 128-, 192- and 256-bit keys, in managed code.
    /// Only encryption is provided: CCM and CTR use the cipher forward only.
    /// </summary>
    /// <remarks>
    /// <para>
    /// This is a table-based implementation (SubBytes, ShiftRows and MixColumns folded into four
    /// 256-entry word tables, FIPS 197 §5.1 and the "T-table" technique described with Rijndael).
    /// Table lookups are indexed by secret-dependent bytes, so on processors with data caches the
    /// timing can leak key bits to an attacker who shares the cache (Bernstein 2005; Osvik, Shamir
    /// and Tromer 2006). It is meant for the simulator and for boards without native AES; prefer a
    /// hardware or platform AES (the desktop provider, or the board's mbedTLS binding) wherever one
    /// exists. Most small microcontrollers running nanoFramework have no data cache, which removes
    /// the cache channel but not every timing difference.
    /// </para>
    /// <para>The expanded key is erased by <see cref="Dispose"/>. <see cref="EncryptBlock"/> does not allocate.</para>
    /// </remarks>
    public sealed class Aes : IBlockCipher
    {
        /// <summary>The AES block size in bytes (FIPS 197 §3.1: Nb = 4 words).</summary>
        public const int BlockSizeBytes = 16;

        private static readonly byte[] SBox = new byte[256];
        private static readonly uint[] Te0 = new uint[256];
        private static readonly uint[] Te1 = new uint[256];
        private static readonly uint[] Te2 = new uint[256];
        private static readonly uint[] Te3 = new uint[256];

        internal readonly uint[] _roundKeys;
        private int _rounds;
        private bool _disposed;

        static Aes()
        {
            // FIPS 197 §4.2: arithmetic in GF(2^8) modulo m(x) = x^8 + x^4 + x^3 + x + 1. Powers of the
            // generator {03} give log/antilog tables, from which the multiplicative inverse follows.
            byte[] exp = new byte[256];
            byte[] log = new byte[256];
            int p = 1;
            for (int i = 0; i < 255; i++)
            {
                exp[i] = (byte)p;
                log[p] = (byte)i;
                p ^= XTime(p);
            }

            for (int x = 0; x < 256; x++)
            {
                // FIPS 197 §5.1.1: the inverse in GF(2^8) ({00} maps to itself), then the affine transformation (5.1).
                int b = x == 0 ? 0 : exp[(255 - log[x]) % 255];
                int s = b ^ RotateLeft8(b, 1) ^ RotateLeft8(b, 2) ^ RotateLeft8(b, 3) ^ RotateLeft8(b, 4) ^ 0x63;
                SBox[x] = (byte)s;

                // FIPS 197 §5.1.3: MixColumns multiplies each column by {02} {01} {01} {03} (rotated per row).
                uint s2 = (uint)XTime(s);
                uint s3 = s2 ^ (uint)s;
                uint word = (s2 << 24) | ((uint)s << 16) | ((uint)s << 8) | s3;
                Te0[x] = word;
                Te1[x] = (word >> 8) | (word << 24);
                Te2[x] = (word >> 16) | (word << 16);
                Te3[x] = (word >> 24) | (word << 8);
            }

            Array.Clear(exp, 0, 256);
            Array.Clear(log, 0, 256);
        }

        /// <summary>Creates the cipher from a copy of a 16-, 24- or 32-byte key.</summary>
        /// <param name="key">The array holding the key.</param>
        /// <param name="offset">Where the key starts.</param>
        /// <param name="length">The key length: 16, 24 or 32 bytes.</param>
        /// <exception cref="ArgumentException">The key is not 16, 24 or 32 bytes, or does not fit.</exception>
        public Aes(byte[] key, int offset, int length)
        {
            CheckKey(key, offset, length);
            _roundKeys = new uint[4 * ((length / 4) + 7)];
            Expand(key, offset, length);
        }

        /// <summary>
        /// Creates a cipher with room for any key size and no key yet: <see cref="SetKey"/> loads one, and
        /// <see cref="ClearKey"/> erases it. One such object can serve many keys in turn without allocating.
        /// </summary>
        internal Aes()
        {
            // FIPS 197 §5: AES-256 has the longest schedule, 4 × (14 + 1) words.
            _roundKeys = new uint[60];
        }

        /// <summary>True while a key is loaded (always, for a cipher created with a key, until disposed).</summary>
        internal bool HasKey
        {
            get { return _rounds != 0; }
        }

        /// <summary>Replaces the key in place (the expanded schedule is overwritten; nothing is allocated).</summary>
        /// <param name="key">The array holding the key.</param>
        /// <param name="offset">Where the key starts.</param>
        /// <param name="length">The key length: 16, 24 or 32 bytes.</param>
        /// <exception cref="ArgumentException">The key is not 16, 24 or 32 bytes, or does not fit.</exception>
        /// <exception cref="ObjectDisposedException">The cipher was disposed.</exception>
        internal void SetKey(byte[] key, int offset, int length)
        {
            if (_disposed)
            {
                throw new ObjectDisposedException("Aes");
            }

            CheckKey(key, offset, length);
            if (4 * ((length / 4) + 7) > _roundKeys.Length)
            {
                throw new ArgumentException("This cipher was created for shorter keys.");
            }

            Expand(key, offset, length);
        }

        /// <summary>Erases the loaded key; <see cref="EncryptBlock"/> fails until the next <see cref="SetKey"/>.</summary>
        internal void ClearKey()
        {
            Array.Clear(_roundKeys, 0, _roundKeys.Length);
            _rounds = 0;
        }

        private static void CheckKey(byte[] key, int offset, int length)
        {
            if (length != 16 && length != 24 && length != 32)
            {
                throw new ArgumentException("An AES key must be 16, 24 or 32 bytes; " + length + " bytes were given.");
            }

            CryptoBytes.CheckBuffer(key, offset, length, "key");
        }

        // FIPS 197 §5.2: KeyExpansion into the first 4 × (Nr + 1) words of the schedule.
        private void Expand(byte[] key, int offset, int length)
        {
            // FIPS 197 §5: Nk = 4, 6, 8 words; Nr = 10, 12, 14 rounds.
            int nk = length / 4;
            int rounds = nk + 6;
            int total = 4 * (rounds + 1);
            for (int i = 0; i < nk; i++)
            {
                int q = offset + (4 * i);
                _roundKeys[i] = ((uint)key[q] << 24) | ((uint)key[q + 1] << 16) | ((uint)key[q + 2] << 8) | key[q + 3];
            }

            uint rcon = 1;
            for (int i = nk; i < total; i++)
            {
                uint temp = _roundKeys[i - 1];
                if (i % nk == 0)
                {
                    // SubWord(RotWord(temp)) XOR Rcon[i/Nk].
                    temp = SubWord((temp << 8) | (temp >> 24)) ^ (rcon << 24);
                    rcon = (uint)XTime((int)rcon);
                }
                else if (nk > 6 && i % nk == 4)
                {
                    temp = SubWord(temp);
                }

                _roundKeys[i] = _roundKeys[i - nk] ^ temp;
            }

            _rounds = rounds;
        }

        /// <inheritdoc/>
        public int BlockSize
        {
            get { return BlockSizeBytes; }
        }

        /// <inheritdoc/>
        public void EncryptBlock(byte[] input, int inputOffset, byte[] output, int outputOffset)
        {
            if (_rounds == 0)
            {
                // Disposed, or a shared cipher between uses: encrypting under an all-zero schedule would be silent garbage.
                if (_disposed)
                {
                    throw new ObjectDisposedException("Aes");
                }

                throw new InvalidOperationException("No AES key is loaded.");
            }

            CryptoBytes.CheckBuffer(input, inputOffset, BlockSizeBytes, "input");
            CryptoBytes.CheckBuffer(output, outputOffset, BlockSizeBytes, "output");
            uint[] rk = _roundKeys;

            // FIPS 197 §5.1 Cipher(): AddRoundKey with round key 0.
            uint s0 = Load(input, inputOffset) ^ rk[0];
            uint s1 = Load(input, inputOffset + 4) ^ rk[1];
            uint s2 = Load(input, inputOffset + 8) ^ rk[2];
            uint s3 = Load(input, inputOffset + 12) ^ rk[3];

            // FIPS 197 §5.1: rounds 1..Nr-1 = SubBytes, ShiftRows, MixColumns, AddRoundKey (combined in the tables).
            int k = 4;
            for (int round = 1; round < _rounds; round++)
            {
                uint t0 = Te0[s0 >> 24] ^ Te1[(s1 >> 16) & 0xff] ^ Te2[(s2 >> 8) & 0xff] ^ Te3[s3 & 0xff] ^ rk[k];
                uint t1 = Te0[s1 >> 24] ^ Te1[(s2 >> 16) & 0xff] ^ Te2[(s3 >> 8) & 0xff] ^ Te3[s0 & 0xff] ^ rk[k + 1];
                uint t2 = Te0[s2 >> 24] ^ Te1[(s3 >> 16) & 0xff] ^ Te2[(s0 >> 8) & 0xff] ^ Te3[s1 & 0xff] ^ rk[k + 2];
                uint t3 = Te0[s3 >> 24] ^ Te1[(s0 >> 16) & 0xff] ^ Te2[(s1 >> 8) & 0xff] ^ Te3[s2 & 0xff] ^ rk[k + 3];
                s0 = t0;
                s1 = t1;
                s2 = t2;
                s3 = t3;
                k += 4;
            }

            // FIPS 197 §5.1: the final round has no MixColumns.
            Store(FinalWord(s0, s1, s2, s3) ^ rk[k], output, outputOffset);
            Store(FinalWord(s1, s2, s3, s0) ^ rk[k + 1], output, outputOffset + 4);
            Store(FinalWord(s2, s3, s0, s1) ^ rk[k + 2], output, outputOffset + 8);
            Store(FinalWord(s3, s0, s1, s2) ^ rk[k + 3], output, outputOffset + 12);
        }

        /// <summary>Erases the expanded key. Further use throws <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            _disposed = true;
            ClearKey();
        }

        private static uint FinalWord(uint a, uint b, uint c, uint d)
        {
            // SubBytes after ShiftRows: row r of this column comes from the r-th following column.
            return ((uint)SBox[a >> 24] << 24) | ((uint)SBox[(b >> 16) & 0xff] << 16) | ((uint)SBox[(c >> 8) & 0xff] << 8) | SBox[d & 0xff];
        }

        private static uint SubWord(uint w)
        {
            // FIPS 197 §5.2: SubWord applies the S-box to each byte of the word.
            return ((uint)SBox[w >> 24] << 24) | ((uint)SBox[(w >> 16) & 0xff] << 16) | ((uint)SBox[(w >> 8) & 0xff] << 8) | SBox[w & 0xff];
        }

        private static int XTime(int b)
        {
            // FIPS 197 §4.2.1: multiplication by x ({02}), reduced by m(x) ({1b}).
            int r = b << 1;
            return (r ^ ((r >> 8) * 0x1b)) & 0xff;
        }

        private static int RotateLeft8(int b, int n)
        {
            return ((b << n) | (b >> (8 - n))) & 0xff;
        }

        private static uint Load(byte[] a, int o)
        {
            return ((uint)a[o] << 24) | ((uint)a[o + 1] << 16) | ((uint)a[o + 2] << 8) | a[o + 3];
        }

        private static void Store(uint v, byte[] a, int o)
        {
            a[o] = (byte)(v >> 24);
            a[o + 1] = (byte)(v >> 16);
            a[o + 2] = (byte)(v >> 8);
            a[o + 3] = (byte)v;
        }
    }
}
