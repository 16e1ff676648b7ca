using PopIoT.Core.Cose;

using Xunit;

namespace PopIoT.Core.Tests.Cose;

/// <summary>The algorithm table against the IANA "COSE Algorithms" registry (RFC 9053 §2–4).</summary>
public class CoseAlgorithmTests
{
    [Theory]
    [InlineData("HMAC 256/64", 4, CoseAlgorithmKind.Mac, 32, 8, 0)]
    [InlineData("HMAC 256/256", 5, CoseAlgorithmKind.Mac, 32, 32, 0)]
    [InlineData("AES-CCM-16-64-128", 10, CoseAlgorithmKind.Aead, 16, 8, 13)]
    [InlineData("AES-CCM-16-128-128", 30, CoseAlgorithmKind.Aead, 16, 16, 13)]
    [InlineData("AES-CCM-64-64-128", 12, CoseAlgorithmKind.Aead, 16, 8, 7)]
    [InlineData("AES-CCM-64-128-128", 32, CoseAlgorithmKind.Aead, 16, 16, 7)]
    [InlineData("A128GCM", 1, CoseAlgorithmKind.Aead, 16, 16, 12)]
    [InlineData("A256GCM", 3, CoseAlgorithmKind.Aead, 32, 16, 12)]
    [InlineData("ES256", -7, CoseAlgorithmKind.Signature, 32, 64, 0)]
    [InlineData("EdDSA", -8, CoseAlgorithmKind.Signature, 32, 64, 0)]
    public void Names_numbers_and_sizes(string name, int id, CoseAlgorithmKind kind, int keySize, int tagSize, int nonceSize)
    {
        CoseAlgorithm alg = CoseAlgorithm.FromName(name)!;
        Assert.Same(alg, CoseAlgorithm.FromId(id));
        Assert.Same(alg, CoseAlgorithm.Parse(name));
        Assert.Same(alg, CoseAlgorithm.Parse(id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal((id, kind, keySize, tagSize, nonceSize, name), (alg.Id, alg.Kind, alg.KeySize, alg.TagSize, alg.NonceSize, alg.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-")]
    [InlineData("es256")]
    [InlineData("HS256")]
    [InlineData("99999999")]
    [InlineData("4x")]
    [InlineData(null)]
    public void Unknown_names_and_numbers_give_null(string? text)
    {
        Assert.Null(CoseAlgorithm.Parse(text!));
    }

    [Fact]
    public void The_table_lists_ten()
    {
        Assert.Equal(10, CoseAlgorithm.Count);
        for (int i = 0; i < CoseAlgorithm.Count; i++)
        {
            Assert.Same(CoseAlgorithm.At(i), CoseAlgorithm.FromId(CoseAlgorithm.At(i).Id));
        }
    }
}
