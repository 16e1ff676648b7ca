using System;

using CsCheck;

using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;

namespace PopIoT.Core.Tests.Cose;

/// <summary>
/// Random payloads, keys and external_aad round-trip through create and verify for every algorithm,
/// and fail with another key or another external_aad (CsCheck; a failure prints its seed).
/// </summary>
public class CosePropertyTests
{
    public static TheoryData<int, string> Algorithms()
    {
        var data = new TheoryData<int, string>();
        for (int i = 0; i < CoseAlgorithm.Count; i++)
        {
            data.Add(CoseAlgorithm.At(i).Id, "platform");
            if (CoseAlgorithm.At(i).Kind != CoseAlgorithmKind.Signature && CoseAlgorithm.At(i).NonceSize != 12)
            {
                data.Add(CoseAlgorithm.At(i).Id, "managed");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Create_then_verify_round_trips_and_fails_with_another_key_or_aad(int algId, string providerName)
    {
        CoseAlgorithm alg = CoseAlgorithm.FromId(algId)!;
        ICryptoProvider provider = providerName == "managed" ? Managed : Platform;
        Gen.Select(Gen.Byte.Array[0, 300], Gen.Byte.Array[0, 40], Gen.Int, Gen.Bool)
            .Sample((payload, aad, seed, tagged) => RoundTrip(alg, provider, payload, aad, seed, tagged), iter: alg.Kind == CoseAlgorithmKind.Signature ? 60 : 150);
    }

    private static void RoundTrip(CoseAlgorithm alg, ICryptoProvider provider, byte[] payload, byte[] aad, int seed, bool tagged)
    {
        var rng = SeededRandomSource.NewRandom(seed);
        using CoseKey key = CoseKeys.Random(alg, rng, [(byte)seed]);
        using CoseKey other = CoseKeys.Random(alg, rng);
        byte[] otherAad = [.. aad, 0];
        byte[] message = new byte[payload.Length + 200];
        byte[] plaintext = new byte[payload.Length + 1];
        var r = new CoseResult();

        switch (alg.Kind)
        {
            case CoseAlgorithmKind.Mac:
            {
                using var a = new CoseMac0(provider, key);
                using var b = new CoseMac0(provider, other);
                int n = a.Create(ByteRange.Of(payload), ByteRange.Of(aad), true, tagged, ByteRange.Of(message));
                Check(a.Verify(message, 0, n, aad, 0, aad.Length, r), CoseError.None);
                Assert.Equal(payload, r.PayloadToArray());
                Check(b.Verify(message, 0, n, aad, 0, aad.Length, r), CoseError.TagMismatch);
                Check(a.Verify(message, 0, n, otherAad, 0, otherAad.Length, r), CoseError.TagMismatch);
                break;
            }

            case CoseAlgorithmKind.Aead:
            {
                using var a = new CoseEncrypt0(provider, key);
                using var b = new CoseEncrypt0(provider, other);
                int n = a.Create(ByteRange.Of(payload), ByteRange.Of(aad), null, true, tagged, ByteRange.Of(message));
                Check(a.Decrypt(new ByteRange(message, 0, n), ByteRange.Of(aad), new ByteRange(plaintext, 1, payload.Length), r), CoseError.None);
                Assert.Equal(payload, r.PayloadToArray());
                Assert.Equal(1, r.PayloadOffset);
                Check(b.Decrypt(new ByteRange(message, 0, n), ByteRange.Of(aad), ByteRange.Of(plaintext), r), CoseError.DecryptionFailed);
                Check(a.Decrypt(new ByteRange(message, 0, n), ByteRange.Of(otherAad), ByteRange.Of(plaintext), r), CoseError.DecryptionFailed);
                break;
            }

            default:
            {
                using var a = new CoseSign1(provider, key);
                using var pub = new CoseSign1(provider, key.ToPublicKey()!);
                using var b = new CoseSign1(provider, other.ToPublicKey()!);
                int n = a.Create(ByteRange.Of(payload), ByteRange.Of(aad), true, tagged, ByteRange.Of(message));
                Check(pub.Verify(message, 0, n, aad, 0, aad.Length, r), CoseError.None);
                Assert.Equal(payload, r.PayloadToArray());
                Check(b.Verify(message, 0, n, aad, 0, aad.Length, r), CoseError.SignatureInvalid);
                Check(pub.Verify(message, 0, n, otherAad, 0, otherAad.Length, r), CoseError.SignatureInvalid);
                break;
            }
        }
    }

    private static void Check(CoseError actual, CoseError expected) => Assert.Equal(expected, actual);

    [Fact]
    public void Gcm_is_unsupported_with_the_managed_provider()
    {
        using var enc = new CoseEncrypt0(Managed, CoseKey.Symmetric(new byte[16], CoseAlgorithm.A128Gcm.Id, null));
        Assert.Equal(CoseError.UnsupportedAlgorithm, enc.KeyError);
    }
}
