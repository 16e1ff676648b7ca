using System;

using Org.BouncyCastle.Math.EC.Rfc8032;

using PopIoT.Core.Crypto;

namespace PopIoT.Crypto;

/// <summary>
/// Pure Ed25519 (RFC 8032 §5.1) from BouncyCastle, for COSE EdDSA (RFC 9053 §2.2). One object serves
/// as verifier and, when it holds the private seed, as signer; <see cref="Dispose"/> erases the seed.
/// </summary>
public sealed class PlatformEd25519 : ISignatureVerifier, ISigner
{
    private readonly byte[] _publicKey;
    private readonly byte[]? _seed;
    private bool _disposed;

    private PlatformEd25519(byte[] publicKey, byte[]? seed)
    {
        _publicKey = publicKey;
        _seed = seed;
    }

    /// <inheritdoc cref="ISignatureVerifier.Algorithm"/>
    public SignatureAlgorithm Algorithm => SignatureAlgorithm.Ed25519;

    /// <inheritdoc cref="ISignatureVerifier.SignatureSize"/>
    public int SignatureSize => Ed25519.SignatureSize;

    /// <summary>Imports a key.</summary>
    /// <param name="x">The 32-byte public key; may be null with <paramref name="d"/> (then derived).</param>
    /// <param name="d">The 32-byte private seed, or null for a public key.</param>
    /// <returns>The key object, or null when the parts are not a valid Ed25519 key, or x does not match d.</returns>
    public static PlatformEd25519? Create(byte[]? x, byte[]? d)
    {
        if ((x is null && d is null) || (x is not null && x.Length != 32) || (d is not null && d.Length != 32))
        {
            return null;
        }

        byte[]? seed = d is null ? null : (byte[])d.Clone();
        byte[] publicKey = new byte[32];
        if (seed is not null)
        {
            Ed25519.GeneratePublicKey(seed, 0, publicKey, 0);
            if (x is not null && !x.AsSpan().SequenceEqual(publicKey))
            {
                Array.Clear(seed);
                return null;
            }
        }
        else
        {
            Array.Copy(x!, publicKey, 32);
        }

        // RFC 8032 §5.1.7 step 1: the public key must decode to a point.
        if (!Ed25519.ValidatePublicKeyPartial(publicKey, 0))
        {
            if (seed is not null)
            {
                Array.Clear(seed);
            }

            return null;
        }

        return new PlatformEd25519(publicKey, seed);
    }

    /// <inheritdoc/>
    public bool Verify(byte[]? data, int dataOffset, int dataLength, byte[] signature, int signatureOffset, int signatureLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PlatformArguments.CheckRange(data, dataOffset, dataLength, nameof(data));
        PlatformArguments.CheckBuffer(signature, signatureOffset, signatureLength, nameof(signature));
        if (signatureLength != Ed25519.SignatureSize)
        {
            return false;
        }

        return Ed25519.Verify(signature, signatureOffset, _publicKey, 0, data ?? Array.Empty<byte>(), data is null ? 0 : dataOffset, dataLength);
    }

    /// <inheritdoc/>
    public void Sign(byte[]? data, int dataOffset, int dataLength, byte[] signature, int signatureOffset)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_seed is null)
        {
            throw new InvalidOperationException("This Ed25519 key has no private part.");
        }

        PlatformArguments.CheckRange(data, dataOffset, dataLength, nameof(data));
        PlatformArguments.CheckBuffer(signature, signatureOffset, Ed25519.SignatureSize, nameof(signature));
        Ed25519.Sign(_seed, 0, _publicKey, 0, data ?? Array.Empty<byte>(), data is null ? 0 : dataOffset, dataLength, signature, signatureOffset);
    }

    /// <summary>Erases the private seed.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_seed is not null)
            {
                Array.Clear(_seed);
            }
        }
    }
}
