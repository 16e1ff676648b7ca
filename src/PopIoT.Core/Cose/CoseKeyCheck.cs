using System;

namespace PopIoT.Core.Cose;

/// <summary>
/// Decides which algorithm a key may be used with (DESIGN.md §2: pinned by the key, never by the
/// message) and whether the key's type and sizes fit it (RFC 9053 §2, §3, §4: "validate that the
/// key type, key length, and algorithm are correct").
/// </summary>
internal static class CoseKeyCheck
{
    internal static CoseError Resolve(CoseKey key, int allowedAlgorithm, CoseAlgorithmKind kind, out CoseAlgorithm algorithm)
    {
        algorithm = null;
        if (key == null)
        {
            throw new ArgumentException("key must not be null.");
        }

        if (key.IsDisposed)
        {
            return CoseError.InvalidKey;
        }

        int id;
        if (key.HasAlgorithm)
        {
            if (allowedAlgorithm != 0 && allowedAlgorithm != key.Algorithm)
            {
                return CoseError.AlgorithmMismatch;
            }

            id = key.Algorithm;
        }
        else if (allowedAlgorithm != 0)
        {
            id = allowedAlgorithm;
        }
        else
        {
            return CoseError.KeyAlgorithmMissing;
        }

        CoseAlgorithm alg = CoseAlgorithm.FromId(id);
        if (alg == null)
        {
            return CoseError.UnsupportedAlgorithm;
        }

        if (alg.Kind != kind)
        {
            return CoseError.KeyTypeMismatch;
        }

        if (kind == CoseAlgorithmKind.Signature)
        {
            bool es256 = alg.Id == CoseAlgorithm.ES256.Id;
            int kty = es256 ? CoseKeyType.Ec2 : CoseKeyType.Okp;
            int crv = es256 ? CoseCurve.P256 : CoseCurve.Ed25519;
            if (key.KeyType != kty || key.Curve != crv)
            {
                return CoseError.KeyTypeMismatch;
            }

            if (key.X == null || key.X.Length != 32 || (es256 && (key.Y == null || key.Y.Length != 32)))
            {
                return CoseError.InvalidKey;
            }
        }
        else
        {
            if (key.KeyType != CoseKeyType.Symmetric)
            {
                return CoseError.KeyTypeMismatch;
            }

            // HMAC keys of at least the hash size (RFC 9053 §3.1); AES keys of exactly the cipher's size (§4).
            bool sizeOk = kind == CoseAlgorithmKind.Mac ? key.K.Length >= alg.KeySize : key.K.Length == alg.KeySize;
            if (!sizeOk)
            {
                return CoseError.InvalidKey;
            }
        }

        algorithm = alg;
        return CoseError.None;
    }
}
