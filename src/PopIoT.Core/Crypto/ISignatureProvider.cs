namespace PopIoT.Core.Crypto
{
    /// <summary>
    /// Optional part of a crypto provider: signatures (DESIGN.md §5, "ECDSA/EdDSA verify, optional on
    /// devices"). A provider that offers them implements this interface beside
    /// <see cref="ICryptoProvider"/>; COSE asks for it with a type test and reports the algorithm as
    /// unsupported when it is absent or returns null. Core itself has no managed elliptic-curve code.
    /// </summary>
    public interface ISignatureProvider
    {
        /// <summary>Creates a verifier for a public key.</summary>
        /// <param name="algorithm">The scheme.</param>
        /// <param name="x">The x coordinate (P-256, 32 bytes big-endian) or the public key (Ed25519, 32 bytes).</param>
        /// <param name="y">The y coordinate for P-256 (32 bytes big-endian); null for Ed25519.</param>
        /// <returns>The verifier, or null when this provider does not support <paramref name="algorithm"/>
        /// or the key is not a valid point/encoding.</returns>
        ISignatureVerifier CreateSignatureVerifier(SignatureAlgorithm algorithm, byte[] x, byte[] y);

        /// <summary>Creates a signer for a private key.</summary>
        /// <param name="algorithm">The scheme.</param>
        /// <param name="d">The private scalar (P-256, 32 bytes big-endian) or the private key seed (Ed25519, 32 bytes).</param>
        /// <param name="x">The public x coordinate or Ed25519 public key; may be null (then derived).</param>
        /// <param name="y">The public y coordinate for P-256; may be null (then derived).</param>
        /// <returns>The signer, or null when this provider does not support <paramref name="algorithm"/>
        /// or the key is invalid.</returns>
        ISigner CreateSigner(SignatureAlgorithm algorithm, byte[] d, byte[] x, byte[] y);
    }
}
