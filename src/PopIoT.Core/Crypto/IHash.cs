using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// An incremental hash function such as SHA-256 (FIPS 180-4). Feed data with
    /// <see cref="Update"/>, then <see cref="Final"/> writes the digest and resets the object so it
    /// can hash the next message.
    /// </summary>
    public interface IHash : IDisposable
    {
        /// <summary>The digest size in bytes (32 for SHA-256).</summary>
        int HashSize { get; }

        /// <summary>Appends <paramref name="count"/> bytes of <paramref name="data"/> from <paramref name="offset"/>.</summary>
        /// <param name="data">The data; may be null only when <paramref name="count"/> is 0.</param>
        /// <param name="offset">Where the data starts.</param>
        /// <param name="count">How many bytes to append.</param>
        void Update(byte[] data, int offset, int count);

        /// <summary>
        /// Writes the <see cref="HashSize"/>-byte digest of everything appended since the last reset
        /// into <paramref name="output"/> at <paramref name="offset"/>, then resets.
        /// </summary>
        /// <param name="output">The array that receives the digest.</param>
        /// <param name="offset">Where to write it.</param>
        void Final(byte[] output, int offset);

        /// <summary>Discards everything appended so far.</summary>
        void Reset();
    }
}
