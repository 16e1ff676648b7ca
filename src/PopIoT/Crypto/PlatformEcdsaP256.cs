using System;
using System.Security.Cryptography;

using PopIoT.Core.Crypto;

namespace PopIoT.Crypto;

/// <summary>
/// ECDSA P-256 with SHA-256 from System.Security.Cryptography, in IEEE P1363 format (r || s, 64
/// bytes), which is what COSE ES256 carries (RFC 9053 §2.1). One object serves as verifier and,
/// when it holds d, as signer.
/// </summary>
public sealed class PlatformEcdsaP256 : ISignatureVerifier, ISigner
{
    private readonly ECDsa _ecdsa;
    private bool _disposed;

    private PlatformEcdsaP256(ECDsa ecdsa) => _ecdsa = ecdsa;

    /// <inheritdoc cref="ISignatureVerifier.Algorithm"/>
    public SignatureAlgorithm Algorithm => SignatureAlgorithm.EcdsaP256Sha256;

    /// <inheritdoc cref="ISignatureVerifier.SignatureSize"/>
    public int SignatureSize => 64;

    /// <summary>Imports a key; the platform checks the point is on the curve.</summary>
    /// <param name="x">x, 32 bytes big-endian; may be null only with <paramref name="d"/> (then derived).</param>
    /// <param name="y">y, 32 bytes big-endian; may be null only with <paramref name="d"/>.</param>
    /// <param name="d">The private scalar, 32 bytes, or null for a public key.</param>
    /// <returns>The key object, or null when the parts are not a valid P-256 key.</returns>
    public static PlatformEcdsaP256? Create(byte[]? x, byte[]? y, byte[]? d)
    {
        if ((x is null || y is null) && d is null)
        {
            return null;
        }

        if ((x is not null && x.Length != 32) || (y is not null && y.Length != 32) || (d is not null && d.Length != 32))
        {
            return null;
        }

        var parameters = new ECParameters { Curve = ECCurve.NamedCurves.nistP256 };
        if (x is not null && y is not null)
        {
            parameters.Q = new ECPoint { X = (byte[])x.Clone(), Y = (byte[])y.Clone() };
        }

        if (d is not null)
        {
            parameters.D = (byte[])d.Clone();
        }

        ECDsa ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportParameters(parameters);
            return new PlatformEcdsaP256(ecdsa);
        }
        catch (CryptographicException)
        {
            ecdsa.Dispose();
            return null;
        }
        finally
        {
            if (parameters.D is not null)
            {
                CryptographicOperations.ZeroMemory(parameters.D);
            }
        }
    }

    /// <inheritdoc/>
    public bool Verify(byte[]? data, int dataOffset, int dataLength, byte[] signature, int signatureOffset, int signatureLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PlatformArguments.CheckRange(data, dataOffset, dataLength, nameof(data));
        PlatformArguments.CheckBuffer(signature, signatureOffset, signatureLength, nameof(signature));
        if (signatureLength != 64)
        {
            return false;
        }

        return _ecdsa.VerifyData(
            PlatformArguments.Span(data, dataOffset, dataLength),
            signature.AsSpan(signatureOffset, signatureLength),
            HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <inheritdoc/>
    public void Sign(byte[]? data, int dataOffset, int dataLength, byte[] signature, int signatureOffset)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PlatformArguments.CheckRange(data, dataOffset, dataLength, nameof(data));
        PlatformArguments.CheckBuffer(signature, signatureOffset, 64, nameof(signature));
        int n = _ecdsa.SignData(
            PlatformArguments.Span(data, dataOffset, dataLength),
            signature.AsSpan(signatureOffset, 64),
            HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        if (n != 64)
        {
            throw new CryptographicException($"ECDSA P-256 produced {n} bytes instead of 64.");
        }
    }

    /// <summary>Releases the platform key.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _ecdsa.Dispose();
        }
    }
}
