using System;
using PopIoT.Core.Crypto;

namespace PopIoT.Crypto;

/// <summary>
/// The desktop <see cref="ICryptoProvider"/> over System.Security.Cryptography: platform AES,
/// HMAC-SHA256 and SHA-256, the OS CSPRNG, and the platform AES-CCM where it supports the
/// requested sizes (otherwise the managed Core <see cref="Core.Crypto.AesCcm"/> over platform AES).
/// It also offers AES-GCM and ChaCha20/Poly1305 (platform, where it has them; COSE and OSCORE) and signatures: ECDSA P-256 (platform, IEEE P1363) and Ed25519
/// (BouncyCastle), for COSE A128GCM/A256GCM, ES256 and EdDSA.
/// </summary>
public sealed class PlatformCryptoProvider : ICryptoProvider, IAesGcmProvider, IChaCha20Poly1305Provider, ISignatureProvider
{
    /// <summary>A shared instance; the provider holds no state.</summary>
    public static PlatformCryptoProvider Instance { get; } = new();

    /// <inheritdoc/>
    public IRandomSource Random => PlatformRandomSource.Instance;

    /// <inheritdoc/>
    public IBlockCipher CreateAes(byte[] key, int offset, int length) => new PlatformAes(key, offset, length);

    /// <inheritdoc/>
    public IMac CreateHmacSha256(byte[] key, int offset, int length) => new PlatformHmacSha256(key, offset, length);

    /// <inheritdoc/>
    public IHash CreateSha256() => new PlatformSha256();

    /// <inheritdoc/>
    public IAeadCipher CreateAesCcm(byte[] key, int offset, int length, int tagSize, int lengthSize)
    {
        if (PlatformAesCcm.IsSupported(tagSize, lengthSize))
        {
            return new PlatformAesCcm(key, offset, length, tagSize, lengthSize);
        }

        var cipher = new PlatformAes(key, offset, length);
        try
        {
            return new Core.Crypto.AesCcm(cipher, tagSize, lengthSize);
        }
        catch
        {
            cipher.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public IAeadCipher? CreateAesGcm(byte[] key, int offset, int length) =>
        PlatformAesGcm.IsSupported ? new PlatformAesGcm(key, offset, length) : null;

    /// <inheritdoc/>
    public IAeadCipher? CreateChaCha20Poly1305(byte[] key, int offset, int length) =>
        PlatformChaCha20Poly1305.IsSupported ? new PlatformChaCha20Poly1305(key, offset, length) : null;

    /// <inheritdoc/>
    public ISignatureVerifier? CreateSignatureVerifier(SignatureAlgorithm algorithm, byte[] x, byte[]? y) => algorithm switch
    {
        SignatureAlgorithm.EcdsaP256Sha256 => y is null ? null : PlatformEcdsaP256.Create(x, y, null),
        SignatureAlgorithm.Ed25519 => PlatformEd25519.Create(x, null),
        _ => null,
    };

    /// <inheritdoc/>
    public ISigner? CreateSigner(SignatureAlgorithm algorithm, byte[] d, byte[]? x, byte[]? y) => algorithm switch
    {
        SignatureAlgorithm.EcdsaP256Sha256 => PlatformEcdsaP256.Create(x, y, d),
        SignatureAlgorithm.Ed25519 => PlatformEd25519.Create(x, d),
        _ => null,
    };
}
