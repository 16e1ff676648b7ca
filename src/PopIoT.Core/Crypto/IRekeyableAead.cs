using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// An AEAD cipher whose key is loaded for each use and erased after it, so that one object (one expanded key
    /// schedule and one set of work blocks) serves many keys in turn. A resource server with N OSCORE contexts then
    /// keeps N × 2 raw keys instead of N × 2 keyed cipher objects (DESIGN.md §8: "RS state for 8 clients within 4 KiB").
    /// </summary>
    /// <remarks>
    /// Loading a key expands it in place and allocates nothing. Between <see cref="SetKey"/> and
    /// <see cref="ClearKey"/> the object holds that key's schedule; callers clear it as soon as the operation is done,
    /// so no key outlives the context it belongs to. Not thread-safe: one engine, one thread.
    /// </remarks>
    public interface IRekeyableAead : IAeadCipher
    {
        /// <summary>Loads a key and the tag size to use with it (the nonce size is fixed at creation).</summary>
        /// <param name="key">The array holding the key.</param>
        /// <param name="offset">Where the key starts.</param>
        /// <param name="length">The key length in bytes.</param>
        /// <param name="tagSize">The tag size in bytes for this key's algorithm.</param>
        /// <exception cref="ArgumentException">The key length or tag size is not supported.</exception>
        void SetKey(byte[] key, int offset, int length, int tagSize);

        /// <summary>Erases the loaded key; encrypting or decrypting fails until the next <see cref="SetKey"/>.</summary>
        void ClearKey();
    }
}
