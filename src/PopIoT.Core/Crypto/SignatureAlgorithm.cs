namespace PopIoT.Core.Crypto
{
    /// <summary>The signature schemes a provider may offer through <see cref="ISignatureProvider"/>.</summary>
    public enum SignatureAlgorithm
    {
        /// <summary>ECDSA over P-256 with SHA-256 (FIPS 186-4); signatures are r || s, 32 bytes each (IEEE P1363, as COSE ES256 requires, RFC 9053 §2.1).</summary>
        EcdsaP256Sha256 = 1,

        /// <summary>Pure Ed25519 (RFC 8032 §5.1); 64-byte signatures, 32-byte public and private keys.</summary>
        Ed25519 = 2,
    }
}
