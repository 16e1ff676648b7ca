using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// An incremental, keyed message authentication code such as HMAC-SHA256 (RFC 2104). The key
    /// is fixed when the object is created and erased by <see cref="IDisposable.Dispose"/>.
    /// <see cref="Final"/> writes the MAC and resets the object to its keyed start state, so one
    /// object serves many messages under the same key without allocating.
    /// </summary>
    /// <remarks>
    /// To check a received MAC, compute it into a buffer of your own and compare with
    /// <see cref="CryptoBytes.FixedTimeEquals"/>; never with a loop that stops at the first difference.
    /// </remarks>
    public interface IMac : IDisposable
    {
        /// <summary>The full MAC size in bytes (32 for HMAC-SHA256).</summary>
        int MacSize { get; }

        /// <summary>Appends <paramref name="count"/> bytes of <paramref name="data"/> from <paramref name="offset"/>.</summary>
        /// <param name="data">The data; may be null only when <paramref name="count"/> is 0.</param>
        /// <param name="offset">Where the data starts.</param>
        /// <param name="count">How many bytes to append.</param>
        void Update(byte[] data, int offset, int count);

        /// <summary>
        /// Writes the <see cref="MacSize"/>-byte MAC of everything appended since the last reset into
        /// <paramref name="output"/> at <paramref name="offset"/>, then resets to the keyed start state.
        /// Truncated MACs (e.g. HMAC 256/64) are the leading bytes of this output.
        /// </summary>
        /// <param name="output">The array that receives the MAC.</param>
        /// <param name="offset">Where to write it.</param>
        void Final(byte[] output, int offset);

        /// <summary>Discards everything appended so far; the key is kept.</summary>
        void Reset();
    }
}
