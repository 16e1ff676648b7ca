using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// AES-CCM, Counter with CBC-MAC (RFC 3610), over any forward <see cref="IBlockCipher"/> with
    /// 16-byte blocks. Supports every parameter set of RFC 3610 §2: tag size M in {4, 6, ..., 16}
    /// and length-field size L in 2..8 (nonce of 15 − L bytes). COSE's AES-CCM-16-64-128 and
    /// OSCORE's default are M = 8, L = 2 (13-byte nonce), AES-128 (RFC 9053 §4.2).
    /// </summary>
    /// <remarks>
    /// All working buffers are allocated by the constructor; <see cref="Encrypt"/> and
    /// <see cref="Decrypt"/> do not allocate. Decrypt writes the plaintext into the caller's buffer
    /// while it computes the CBC-MAC and wipes that region before returning false when the tag
    /// does not match, so no unauthenticated plaintext is released; do not let another thread read
    /// the output buffer during the call. A nonce must never repeat under one key.
    /// </remarks>
    public sealed class AesCcm : IRekeyableAead
    {
        private const int BlockBytes = 16;

        private readonly IBlockCipher _cipher;
        private int _tagSize;
        private readonly int _lengthSize;
        private readonly int _maxMessageLength;

        // CBC-MAC state X_i (RFC 3610 §2.2), counter block A_i and key stream S_i (§2.3), S_0, computed tag.
        private readonly byte[] _x = new byte[BlockBytes];
        private readonly byte[] _a = new byte[BlockBytes];
        private readonly byte[] _s = new byte[BlockBytes];
        private readonly byte[] _s0 = new byte[BlockBytes];
        private readonly byte[] _t = new byte[BlockBytes];
        private int _xUsed;
        private bool _disposed;

        /// <summary>Creates AES-CCM with the managed <see cref="Aes"/> and a copy of the key.</summary>
        /// <param name="key">The array holding the key.</param>
        /// <param name="offset">Where the key starts.</param>
        /// <param name="length">The key length: 16, 24 or 32 bytes.</param>
        /// <param name="tagSize">M, the tag size in bytes: 4, 6, 8, 10, 12, 14 or 16.</param>
        /// <param name="lengthSize">L, the size of the length field in bytes: 2 to 8 (nonce of 15 − L bytes).</param>
        /// <exception cref="ArgumentException">A parameter is outside RFC 3610's ranges or the key is not 16, 24 or 32 bytes.</exception>
        public AesCcm(byte[] key, int offset, int length, int tagSize, int lengthSize)
        {
            CheckParameters(tagSize, lengthSize);
            _cipher = new Aes(key, offset, length);
            _tagSize = tagSize;
            _lengthSize = lengthSize;
            _maxMessageLength = MaxLength(lengthSize);
        }

        /// <summary>
        /// Creates AES-CCM with the managed <see cref="Aes"/> and no key: load one with <see cref="SetKey"/> before
        /// each use and erase it with <see cref="ClearKey"/> after (see <see cref="IRekeyableAead"/>).
        /// </summary>
        /// <param name="lengthSize">L, the size of the length field in bytes: 2 to 8 (nonce of 15 − L bytes).</param>
        /// <exception cref="ArgumentException">L is outside RFC 3610's range.</exception>
        public AesCcm(int lengthSize)
        {
            CheckParameters(8, lengthSize);
            _cipher = new Aes();
            _tagSize = 8;
            _lengthSize = lengthSize;
            _maxMessageLength = MaxLength(lengthSize);
        }

        /// <summary>
        /// Creates AES-CCM over an already keyed block cipher (for example a native AES binding).
        /// This object takes ownership of <paramref name="cipher"/> and disposes it in <see cref="Dispose"/>.
        /// </summary>
        /// <param name="cipher">A forward cipher with 16-byte blocks.</param>
        /// <param name="tagSize">M, the tag size in bytes: 4, 6, 8, 10, 12, 14 or 16.</param>
        /// <param name="lengthSize">L, the size of the length field in bytes: 2 to 8 (nonce of 15 − L bytes).</param>
        /// <exception cref="ArgumentException">The cipher is null or not 16-byte-block, or a parameter is outside RFC 3610's ranges.</exception>
        public AesCcm(IBlockCipher cipher, int tagSize, int lengthSize)
        {
            if (cipher == null)
            {
                throw new ArgumentException("cipher must not be null.");
            }

            if (cipher.BlockSize != BlockBytes)
            {
                throw new ArgumentException("CCM needs a cipher with 16-byte blocks (RFC 3610 §2); the given cipher has " + cipher.BlockSize + "-byte blocks.");
            }

            CheckParameters(tagSize, lengthSize);
            _cipher = cipher;
            _tagSize = tagSize;
            _lengthSize = lengthSize;
            _maxMessageLength = MaxLength(lengthSize);
        }

        /// <inheritdoc/>
        public int NonceSize
        {
            get { return 15 - _lengthSize; }
        }

        /// <inheritdoc/>
        public int TagSize
        {
            get { return _tagSize; }
        }

        /// <inheritdoc/>
        public int MaxMessageLength
        {
            get { return _maxMessageLength; }
        }

        /// <summary>
        /// Writes the RFC 3610 §2.2 encoding of an associated-data length l(a): nothing for 0, 2 bytes
        /// below 2^16 − 2^8, 0xFF 0xFE and 4 bytes below 2^32, otherwise 0xFF 0xFF and 8 bytes.
        /// </summary>
        /// <param name="length">l(a), not negative.</param>
        /// <param name="output">The array that receives the encoding (up to 10 bytes).</param>
        /// <param name="offset">Where to write.</param>
        /// <returns>The number of bytes written: 0, 2, 6 or 10.</returns>
        /// <exception cref="ArgumentException">The length is negative or the output is too small.</exception>
        public static int EncodeAssociatedDataLength(long length, byte[] output, int offset)
        {
            if (length < 0)
            {
                throw new ArgumentException("The associated data length must not be negative.");
            }

            int size;
            int prefix;
            if (length == 0)
            {
                // RFC 3610 §2.2: l(a) = 0 is not encoded (Adata = 0).
                return 0;
            }
            else if (length < 0xFF00)
            {
                // RFC 3610 §2.2: 0 < l(a) < 2^16 - 2^8, two octets.
                size = 2;
                prefix = 0;
            }
            else if (length < 0x100000000L)
            {
                // RFC 3610 §2.2: 2^16 - 2^8 <= l(a) < 2^32, 0xff 0xfe and four octets.
                size = 6;
                prefix = 2;
                output = CheckedOutput(output, offset, size);
                output[offset] = 0xFF;
                output[offset + 1] = 0xFE;
            }
            else
            {
                // RFC 3610 §2.2: 2^32 <= l(a) < 2^64, 0xff 0xff and eight octets.
                size = 10;
                prefix = 2;
                output = CheckedOutput(output, offset, size);
                output[offset] = 0xFF;
                output[offset + 1] = 0xFF;
            }

            output = CheckedOutput(output, offset, size);
            for (int i = size - 1; i >= prefix; i--)
            {
                output[offset + i] = (byte)length;
                length >>= 8;
            }

            return size;
        }

        /// <inheritdoc/>
        public void Encrypt(ByteRange nonce, ByteRange plaintext, byte[] ciphertext, int ciphertextOffset, byte[] tag, int tagOffset, ByteRange associatedData)
        {
            int length = Start(nonce, plaintext, ciphertext, ciphertextOffset, tag, tagOffset, associatedData);
            byte[] input = plaintext.Buffer;

            // RFC 3610 §2.2 (message blocks of the CBC-MAC) and §2.3 (C_i = P_i XOR S_i), one block at a time,
            // authenticating each plaintext block before it may be overwritten (in-place use).
            int done = 0;
            int counter = 1;
            while (done < length)
            {
                int n = length - done;
                if (n > BlockBytes)
                {
                    n = BlockBytes;
                }

                int p = plaintext.Offset + done;
                for (int i = 0; i < n; i++)
                {
                    _x[i] ^= input[p + i];
                }

                _cipher.EncryptBlock(_x, 0, _x, 0);
                KeyStream(counter++);
                int c = ciphertextOffset + done;
                for (int i = 0; i < n; i++)
                {
                    ciphertext[c + i] = (byte)(input[p + i] ^ _s[i]);
                }

                done += n;
            }

            // RFC 3610 §2.3: U := T XOR first-M-bytes(S_0).
            for (int i = 0; i < _tagSize; i++)
            {
                tag[tagOffset + i] = (byte)(_x[i] ^ _s0[i]);
            }

            Wipe();
        }

        /// <inheritdoc/>
        public bool Decrypt(ByteRange nonce, ByteRange ciphertext, byte[] tag, int tagOffset, byte[] plaintext, int plaintextOffset, ByteRange associatedData)
        {
            int length = Start(nonce, ciphertext, plaintext, plaintextOffset, tag, tagOffset, associatedData);
            byte[] input = ciphertext.Buffer;

            // RFC 3610 §2.5: decrypt with the key stream, then recompute the CBC-MAC over the plaintext.
            int done = 0;
            int counter = 1;
            while (done < length)
            {
                int n = length - done;
                if (n > BlockBytes)
                {
                    n = BlockBytes;
                }

                KeyStream(counter++);
                int c = ciphertext.Offset + done;
                int p = plaintextOffset + done;
                for (int i = 0; i < n; i++)
                {
                    byte m = (byte)(input[c + i] ^ _s[i]);
                    plaintext[p + i] = m;
                    _x[i] ^= m;
                }

                _cipher.EncryptBlock(_x, 0, _x, 0);
                done += n;
            }

            for (int i = 0; i < _tagSize; i++)
            {
                _t[i] = (byte)(_x[i] ^ _s0[i]);
            }

            // RFC 3610 §2.5: compare in constant time; on mismatch release nothing, not even the plaintext.
            bool valid = CryptoBytes.FixedTimeEquals(_t, 0, tag, tagOffset, _tagSize);
            if (!valid && length > 0)
            {
                Array.Clear(plaintext, plaintextOffset, length);
            }

            Wipe();
            return valid;
        }

        /// <summary>
        /// Replaces the key and the tag size in place (nothing is allocated). Only for AES-CCM over the managed
        /// <see cref="Aes"/>; a cipher built over a caller's block cipher cannot change that cipher's key.
        /// </summary>
        /// <param name="key">The array holding the key.</param>
        /// <param name="offset">Where the key starts.</param>
        /// <param name="length">The key length: 16, 24 or 32 bytes.</param>
        /// <param name="tagSize">M, the tag size in bytes: 4, 6, 8, 10, 12, 14 or 16.</param>
        /// <exception cref="ArgumentException">The key or the tag size is not valid.</exception>
        /// <exception cref="NotSupportedException">This CCM runs over a caller's block cipher.</exception>
        /// <exception cref="ObjectDisposedException">The cipher was disposed.</exception>
        public void SetKey(byte[] key, int offset, int length, int tagSize)
        {
            if (_disposed)
            {
                throw new ObjectDisposedException("AesCcm");
            }

            Aes aes = _cipher as Aes;
            if (aes == null)
            {
                throw new NotSupportedException("This AES-CCM runs over a caller's block cipher, whose key it cannot change.");
            }

            CheckParameters(tagSize, _lengthSize);
            aes.SetKey(key, offset, length);
            _tagSize = tagSize;
        }

        /// <summary>Erases the key schedule and the work blocks; the cipher needs <see cref="SetKey"/> before its next use.</summary>
        /// <exception cref="NotSupportedException">This CCM runs over a caller's block cipher.</exception>
        public void ClearKey()
        {
            Aes aes = _cipher as Aes;
            if (aes == null)
            {
                throw new NotSupportedException("This AES-CCM runs over a caller's block cipher, whose key it cannot change.");
            }

            aes.ClearKey();
            Wipe();
        }

        /// <summary>Erases the working state and disposes the block cipher (erasing its key). Further use throws <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                Wipe();
                _cipher.Dispose();
            }
        }

        private static void CheckParameters(int tagSize, int lengthSize)
        {
            // RFC 3610 §2: M is 4, 6, 8, 10, 12, 14 or 16; L is 2 to 8.
            if (tagSize < 4 || tagSize > 16 || (tagSize & 1) != 0)
            {
                throw new ArgumentException("The CCM tag size M must be 4, 6, 8, 10, 12, 14 or 16 bytes (RFC 3610 §2); " + tagSize + " was given.");
            }

            if (lengthSize < 2 || lengthSize > 8)
            {
                throw new ArgumentException("The CCM length field size L must be 2 to 8 bytes (RFC 3610 §2); " + lengthSize + " was given.");
            }
        }

        private static int MaxLength(int lengthSize)
        {
            // RFC 3610 §2: 0 <= l(m) < 2^(8L); array lengths are bounded by int.MaxValue.
            return lengthSize >= 4 ? int.MaxValue : (1 << (8 * lengthSize)) - 1;
        }

        private static byte[] CheckedOutput(byte[] output, int offset, int size)
        {
            CryptoBytes.CheckBuffer(output, offset, size, "output");
            return output;
        }

        // The nonce size (RFC 3610 §2: 15 − L), the message length bound (l(m) < 2^(8L)), and an output and a tag that
        // fit their arrays and overlap neither the input nor each other (in place is allowed).
        private void CheckArguments(ByteRange nonce, ByteRange input, byte[] output, int outputOffset, byte[] tag, int tagOffset)
        {
            if (_disposed)
            {
                throw new ObjectDisposedException("AesCcm");
            }

            if (nonce.Count != 15 - _lengthSize || nonce.Buffer == null)
            {
                throw new ArgumentException("The nonce must be " + (15 - _lengthSize) + " bytes for L = " + _lengthSize + " (RFC 3610 §2); " + nonce.Count + " bytes were given.");
            }

            int length = input.Count;
            if (length > _maxMessageLength)
            {
                throw new ArgumentException("The message is " + length + " bytes; with L = " + _lengthSize + " CCM allows at most " + _maxMessageLength + " (RFC 3610 §2: l(m) < 2^(8L)).");
            }

            CryptoBytes.CheckRange(output, outputOffset, length, "output");
            CryptoBytes.CheckBuffer(tag, tagOffset, _tagSize, "tag");
            if (CryptoBytes.Overlaps(input.Buffer, input.Offset, length, output, outputOffset, length) && input.Offset != outputOffset)
            {
                throw new ArgumentException("The input and the output overlap; they must be the same region (in place) or disjoint.");
            }

            if (CryptoBytes.Overlaps(tag, tagOffset, _tagSize, input.Buffer, input.Offset, length) || CryptoBytes.Overlaps(tag, tagOffset, _tagSize, output, outputOffset, length))
            {
                throw new ArgumentException("The tag must not overlap the plaintext or the ciphertext.");
            }
        }

        /// <summary>Checks the arguments, computes S_0, and the CBC-MAC over B_0 and the associated data (RFC 3610 §2.2).</summary>
        /// <returns>The message length.</returns>
        private int Start(ByteRange nonce, ByteRange input, byte[] output, int outputOffset, byte[] tag, int tagOffset, ByteRange aad)
        {
            CheckArguments(nonce, input, output, outputOffset, tag, tagOffset);
            int length = input.Count;
            int nonceLength = 15 - _lengthSize;
            int aadLength = aad.Count;

            // RFC 3610 §2.3: A_i = Flags | Nonce N | Counter i, with Flags = L' = L - 1.
            _a[0] = (byte)(_lengthSize - 1);
            nonce.CopyTo(_a, 1);
            KeyStream(0);
            Array.Copy(_s, 0, _s0, 0, BlockBytes);

            // RFC 3610 §2.2: B_0 = Flags | Nonce N | l(m), Flags = 64*Adata + 8*M' + L', M' = (M-2)/2, L' = L-1.
            int flags = ((_tagSize - 2) / 2 * 8) + (_lengthSize - 1);
            if (aadLength > 0)
            {
                flags += 64;
            }

            _x[0] = (byte)flags;
            nonce.CopyTo(_x, 1);
            int m = length;
            for (int i = BlockBytes - 1; i > nonceLength; i--)
            {
                // l(m), most significant byte first, in L bytes.
                _x[i] = (byte)m;
                m >>= 8;
            }

            // X_1 := E(K, B_0).
            _cipher.EncryptBlock(_x, 0, _x, 0);
            _xUsed = 0;
            if (aadLength > 0)
            {
                // RFC 3610 §2.2: the encoded l(a), then a, zero-padded to a block boundary.
                _xUsed = EncodeAssociatedDataLength(aadLength, _t, 0);
                for (int i = 0; i < _xUsed; i++)
                {
                    _x[i] ^= _t[i];
                }

                Array.Clear(_t, 0, BlockBytes);
                for (int i = 0; i < aadLength; i++)
                {
                    _x[_xUsed++] ^= aad.Buffer[aad.Offset + i];
                    if (_xUsed == BlockBytes)
                    {
                        _cipher.EncryptBlock(_x, 0, _x, 0);
                        _xUsed = 0;
                    }
                }

                if (_xUsed > 0)
                {
                    _cipher.EncryptBlock(_x, 0, _x, 0);
                    _xUsed = 0;
                }
            }

            return length;
        }

        /// <summary>S_i := E(K, A_i) into <see cref="_s"/> (RFC 3610 §2.3).</summary>
        private void KeyStream(int counter)
        {
            int c = counter;
            for (int i = BlockBytes - 1; i > 15 - _lengthSize; i--)
            {
                _a[i] = (byte)c;
                c >>= 8;
            }

            _cipher.EncryptBlock(_a, 0, _s, 0);
        }

        private void Wipe()
        {
            Array.Clear(_x, 0, BlockBytes);
            Array.Clear(_a, 0, BlockBytes);
            Array.Clear(_s, 0, BlockBytes);
            Array.Clear(_s0, 0, BlockBytes);
            Array.Clear(_t, 0, BlockBytes);
            _xUsed = 0;
        }
    }
}
