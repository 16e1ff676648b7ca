using System;

namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// Verifies signatures under one public key, fixed when it is created by
    /// <see cref="ISignatureProvider.CreateSignatureVerifier"/>.
    /// </summary>
    public interface ISignatureVerifier : IDisposable
    {
        /// <summary>The scheme this verifier checks.</summary>
        SignatureAlgorithm Algorithm { get; }

        /// <summary>The signature size in bytes (64 for both P-256 r || s and Ed25519).</summary>
        int SignatureSize { get; }

        /// <summary>
        /// Checks a signature over a message. A signature of the wrong length, or one that does
        /// not verify, returns false; it never throws for bad signature bytes.
        /// </summary>
        /// <param name="data">The signed message; may be null when <paramref name="dataLength"/> is 0.</param>
        /// <param name="dataOffset">Where the message starts.</param>
        /// <param name="dataLength">The message length.</param>
        /// <param name="signature">The array holding the signature.</param>
        /// <param name="signatureOffset">Where the signature starts.</param>
        /// <param name="signatureLength">The signature length.</param>
        /// <returns>True only for a valid signature.</returns>
        /// <exception cref="ArgumentException">A range does not fit its array.</exception>
        bool Verify(byte[] data, int dataOffset, int dataLength, byte[] signature, int signatureOffset, int signatureLength);
    }
}
