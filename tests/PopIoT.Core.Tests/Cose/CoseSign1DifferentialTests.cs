using System;
using System.Security.Cryptography;

using PopIoT.Core.Cose;

using Xunit;

using Net = System.Security.Cryptography.Cose;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;

namespace PopIoT.Core.Tests.Cose;

/// <summary>
/// COSE_Sign1 ES256 against System.Security.Cryptography.Cose (DESIGN.md §7 differential tests),
/// both directions, random keys, payloads and external_aad.
/// </summary>
public class CoseSign1DifferentialTests
{
    private const int Cases = 120;

    [Fact]
    public void Ours_creates_and_dotnet_verifies()
    {
        var rng = SeededRandomSource.NewRandom(9052);
        byte[] output = new byte[1200];
        for (int i = 0; i < Cases; i++)
        {
            using ECDsa ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            ECParameters p = ecdsa.ExportParameters(true);
            using CoseKey key = CoseKey.Ec2P256(p.Q.X!, p.Q.Y!, p.D!, CoseAlgorithm.ES256.Id, [(byte)i]);
            byte[] payload = Core.Tests.Crypto.CryptoTestSupport.RandomBytes(rng, rng.Next(0, 1000));
            byte[] aad = Core.Tests.Crypto.CryptoTestSupport.RandomBytes(rng, rng.Next(0, 3) == 0 ? 0 : rng.Next(1, 50));
            using var sign1 = new CoseSign1(Platform, key);

            int n = sign1.Create(ByteRange.Of(payload), ByteRange.Of(aad), includeKid: i % 2 == 0, tagged: i % 3 != 0, ByteRange.Of(output));

            Net.CoseSign1Message decoded = Net.CoseMessage.DecodeSign1(output.AsSpan(0, n).ToArray());
            Assert.True(decoded.VerifyEmbedded(ecdsa, aad), $"case {i}");
            Assert.Equal(payload, decoded.Content!.Value.ToArray());
            Assert.False(decoded.VerifyEmbedded(ecdsa, [.. aad, 1]), $"case {i} with other aad");
        }
    }

    [Fact]
    public void Dotnet_creates_and_ours_verifies()
    {
        var rng = SeededRandomSource.NewRandom(8152);
        var result = new CoseResult();
        for (int i = 0; i < Cases; i++)
        {
            using ECDsa ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            ECParameters p = ecdsa.ExportParameters(false);
            using CoseKey key = CoseKey.Ec2P256(p.Q.X!, p.Q.Y!, null, CoseAlgorithm.ES256.Id, null);
            byte[] payload = Core.Tests.Crypto.CryptoTestSupport.RandomBytes(rng, rng.Next(0, 1000));
            byte[] aad = Core.Tests.Crypto.CryptoTestSupport.RandomBytes(rng, rng.Next(0, 3) == 0 ? 0 : rng.Next(1, 50));
            var signer = new Net.CoseSigner(ecdsa, HashAlgorithmName.SHA256);

            byte[] message = Net.CoseSign1Message.SignEmbedded(payload, signer, aad);
            Assert.Equal(0xD2, message[0]);
            if (i % 2 == 0)
            {
                message = message[1..]; // untagged (RFC 9052 §2: the tag is optional)
            }

            using var sign1 = new CoseSign1(Platform, key);
            Assert.Equal(CoseError.None, sign1.Verify(message, 0, message.Length, aad, 0, aad.Length, result));
            Assert.Equal(payload, result.PayloadToArray());
            byte[] otherAad = [.. aad, 1];
            Assert.Equal(CoseError.SignatureInvalid, sign1.Verify(message, 0, message.Length, otherAad, 0, otherAad.Length, result));
        }
    }

    [Fact]
    public void Alg_only_in_the_unprotected_header_is_refused_by_both()
    {
        using ECDsa ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = ecdsa.ExportParameters(false);
        using CoseKey key = CoseKey.Ec2P256(p.Q.X!, p.Q.Y!, null, CoseAlgorithm.ES256.Id, null);

        // .NET will not even write it.
        var unprotectedHeaders = new Net.CoseHeaderMap { [Net.CoseHeaderLabel.Algorithm] = Net.CoseHeaderValue.FromInt32(-7) };
        Assert.Throws<ArgumentException>(() => Net.CoseSign1Message.SignEmbedded([1, 2, 3], new Net.CoseSigner(ecdsa, HashAlgorithmName.SHA256, new Net.CoseHeaderMap(), unprotectedHeaders)));

        // Hand-made with a valid signature over Sig_structure with an empty protected bucket.
        var tbs = new System.Formats.Cbor.CborWriter();
        tbs.WriteStartArray(4);
        tbs.WriteTextString("Signature1");
        tbs.WriteByteString([]);
        tbs.WriteByteString([]);
        tbs.WriteByteString([1, 2, 3]);
        tbs.WriteEndArray();
        byte[] signature = ecdsa.SignData(tbs.Encode(), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var w = new System.Formats.Cbor.CborWriter();
        w.WriteTag((System.Formats.Cbor.CborTag)18);
        w.WriteStartArray(4);
        w.WriteByteString([]);
        w.WriteStartMap(1);
        w.WriteInt32(1);
        w.WriteInt32(-7);
        w.WriteEndMap();
        w.WriteByteString([1, 2, 3]);
        w.WriteByteString(signature);
        w.WriteEndArray();
        byte[] message = w.Encode();

        using var sign1 = new CoseSign1(Platform, key);
        Assert.Equal(CoseError.AlgInUnprotectedHeader, sign1.Verify(message).Error);
        Assert.ThrowsAny<Exception>(() => Net.CoseMessage.DecodeSign1(message).VerifyEmbedded(ecdsa));
    }
}
