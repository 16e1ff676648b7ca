using System;
using System.Runtime.CompilerServices;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// Byte helpers for secrets: constant-time comparison and erasure (DESIGN.md §5, "compare MACs
    /// and tags in constant time", "erase keys").
    /// </summary>
    public static class CryptoBytes
    {
        /// <summary>
        /// Compares <paramref name="length"/> bytes of two arrays in time that depends only on
        /// <paramref name="length"/>, never on where or whether they differ. Use it for MACs and tags.
        /// </summary>
        /// <param name="a">The first array.</param>
        /// <param name="aOffset">Where the bytes start in <paramref name="a"/>.</param>
        /// <param name="b">The second array.</param>
        /// <param name="bOffset">Where the bytes start in <paramref name="b"/>.</param>
        /// <param name="length">How many bytes to compare; 0 compares equal.</param>
        /// <returns>True when all <paramref name="length"/> bytes are equal.</returns>
        /// <exception cref="ArgumentException">An array is null or a range does not fit.</exception>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static bool FixedTimeEquals(byte[] a, int aOffset, byte[] b, int bOffset, int length)
        {
            CheckRange(a, aOffset, length, "a");
            CheckRange(b, bOffset, length, "b");
            int difference = 0;
            for (int i = 0; i < length; i++)
            {
                // OR of all XORs: no branch depends on the data.
                difference |= a[aOffset + i] ^ b[bOffset + i];
            }

            // difference is 0..255; (difference - 1) is negative only for 0, so bit 31 is the answer.
            return (((uint)(difference - 1) >> 31) & 1) == 1;
        }

        /// <summary>Sets <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> to zero.</summary>
        /// <param name="buffer">The array to erase; null is ignored.</param>
        /// <param name="offset">Where to start.</param>
        /// <param name="count">How many bytes to erase.</param>
        /// <exception cref="ArgumentException">The range does not fit.</exception>
        public static void Clear(byte[] buffer, int offset, int count)
        {
            if (buffer == null)
            {
                return;
            }

            CheckRange(buffer, offset, count, "buffer");
            Array.Clear(buffer, offset, count);
        }

        /// <summary>Sets every byte of <paramref name="buffer"/> to zero.</summary>
        /// <param name="buffer">The array to erase; null is ignored.</param>
        public static void Clear(byte[] buffer)
        {
            if (buffer != null)
            {
                Array.Clear(buffer, 0, buffer.Length);
            }
        }

        /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="count"/> bytes from <paramref name="offset"/> lie inside <paramref name="buffer"/>.</summary>
        internal static void CheckRange(byte[] buffer, int offset, int count, string name)
        {
            if (count < 0)
            {
                throw new ArgumentException("The length of " + name + " must not be negative.");
            }

            if (buffer == null)
            {
                if (count == 0 && offset == 0)
                {
                    return;
                }

                throw new ArgumentException(name + " is null but a length of " + count + " bytes was given.");
            }

            if (offset < 0 || offset > buffer.Length - count)
            {
                throw new ArgumentException(name + ": " + count + " bytes at offset " + offset + " do not fit in an array of " + buffer.Length + " bytes.");
            }
        }

        /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="buffer"/> is non-null and holds <paramref name="count"/> bytes from <paramref name="offset"/>.</summary>
        internal static void CheckBuffer(byte[] buffer, int offset, int count, string name)
        {
            if (buffer == null)
            {
                throw new ArgumentException(name + " must not be null.");
            }

            CheckRange(buffer, offset, count, name);
        }

        /// <summary>True when the two ranges share at least one element of the same array.</summary>
        internal static bool Overlaps(byte[] a, int aOffset, int aCount, byte[] b, int bOffset, int bCount)
        {
            if (a == null || b == null || !ReferenceEquals(a, b) || aCount == 0 || bCount == 0)
            {
                return false;
            }

            return aOffset < bOffset + bCount && bOffset < aOffset + aCount;
        }
    }
}
