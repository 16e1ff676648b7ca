namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// A cryptographically secure random number generator. All randomness in PopIoT (nonces,
    /// identifiers, keys) comes through this interface (DESIGN.md §5). Core has no generator of its
    /// own: the host supplies one backed by the operating system or the board's TRNG.
    /// </summary>
    public interface IRandomSource
    {
        /// <summary>Fills <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> with random bytes.</summary>
        /// <param name="buffer">The array to fill.</param>
        /// <param name="offset">Where to start.</param>
        /// <param name="count">How many bytes to write.</param>
        void GetBytes(byte[] buffer, int offset, int count);
    }
}
