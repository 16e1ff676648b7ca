using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// Signs messages under one private key, fixed when it is created by
    /// <see cref="ISignatureProvider.CreateSigner"/>; <see cref="IDisposable.Dispose"/> erases it.
    /// </summary>
    public interface ISigner : IDisposable
    {
        /// <summary>The scheme this signer produces.</summary>
        SignatureAlgorithm Algorithm { get; }

        /// <summary>The signature size in bytes (64 for both P-256 r || s and Ed25519).</summary>
        int SignatureSize { get; }

        /// <summary>Signs a message and writes <see cref="SignatureSize"/> bytes.</summary>
        /// <param name="data">The message; may be null when <paramref name="dataLength"/> is 0.</param>
        /// <param name="dataOffset">Where the message starts.</param>
        /// <param name="dataLength">The message length.</param>
        /// <param name="signature">The array that receives the signature.</param>
        /// <param name="signatureOffset">Where to write it.</param>
        /// <exception cref="ArgumentException">A range does not fit its array.</exception>
        void Sign(byte[] data, int dataOffset, int dataLength, byte[] signature, int signatureOffset);
    }
}
