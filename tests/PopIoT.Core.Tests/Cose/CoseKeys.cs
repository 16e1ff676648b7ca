using System;
using System.Security.Cryptography;

using PopIoT.Core.Cose;

namespace PopIoT.Core.Tests.Cose;

/// <summary>Random COSE keys for every algorithm (signing keys from the platform and BouncyCastle).</summary>
internal static class CoseKeys
{
    public static CoseKey Random(CoseAlgorithm alg, Random rng, byte[]? kid = null)
    {
        if (alg.Kind != CoseAlgorithmKind.Signature)
        {
            byte[] k = new byte[alg.KeySize];
            rng.NextBytes(k);
            return CoseKey.Symmetric(k, alg.Id, kid);
        }

        if (alg == CoseAlgorithm.ES256)
        {
            using ECDsa ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            ECParameters p = ecdsa.ExportParameters(true);
            return CoseKey.Ec2P256(p.Q.X!, p.Q.Y!, p.D!, alg.Id, kid);
        }

        byte[] seed = new byte[32];
        rng.NextBytes(seed);
        byte[] x = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(seed, 0, x, 0);
        return CoseKey.OkpEd25519(x, seed, alg.Id, kid);
    }
}
