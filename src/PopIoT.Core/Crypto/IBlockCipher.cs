using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// A keyed block cipher in the forward (encrypt) direction only. AES-CCM (RFC 3610 §2) uses
    /// the cipher only forward, for both CBC-MAC and CTR, so no inverse is exposed.
    /// </summary>
    /// <remarks>
    /// The key is fixed when the object is created; <see cref="IDisposable.Dispose"/> erases it.
    /// Implementations do not allocate per block.
    /// </remarks>
    public interface IBlockCipher : IDisposable
    {
        /// <summary>The block size in bytes (16 for AES).</summary>
        int BlockSize { get; }

        /// <summary>
        /// Encrypts one block of <see cref="BlockSize"/> bytes. The input and output may be the same
        /// region of the same array.
        /// </summary>
        /// <param name="input">The array holding the plaintext block.</param>
        /// <param name="inputOffset">Where the block starts in <paramref name="input"/>.</param>
        /// <param name="output">The array that receives the ciphertext block.</param>
        /// <param name="outputOffset">Where to write in <paramref name="output"/>.</param>
        /// <exception cref="ArgumentException">A block does not fit in its array.</exception>
        /// <exception cref="ObjectDisposedException">The cipher was disposed.</exception>
        void EncryptBlock(byte[] input, int inputOffset, byte[] output, int outputOffset);
    }
}
