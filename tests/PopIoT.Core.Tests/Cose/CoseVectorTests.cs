using System;

using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;

namespace PopIoT.Core.Tests.Cose;

/// <summary>RFC 8392 Appendix A (tests/vectors/rfc8392): A.3–A.7 verify, and A.4/A.5 are reproduced byte for byte.</summary>
public class CoseVectorTests
{
    public static TheoryData<string> Providers => new() { "managed", "platform" };

    private static ICryptoProvider P(string name) => name == "managed" ? Managed : Platform;

    [Fact]
    public void A3_sign1_es256_verifies_with_the_A23_public_key()
    {
        byte[] message = Vector("A.3_signed_cwt_sign1_es256_hex");
        using var sign1 = new CoseSign1(Platform, KeyEcdsa256Public());

        CoseResult r = sign1.Verify(message);

        Assert.Equal(CoseError.None, r.Error);
        Assert.Equal(CoseAlgorithm.ES256.Id, r.Algorithm);
        Assert.Equal(Claims, r.PayloadToArray());
        Assert.Equal("AsymmetricECDSA256"u8.ToArray(), message.AsSpan(r.KidOffset, r.KidLength).ToArray());
    }

    [Fact]
    public void A3_sign1_is_unsupported_with_the_managed_provider_which_has_no_signatures()
    {
        using var sign1 = new CoseSign1(Managed, KeyEcdsa256Public());
        Assert.Equal(CoseError.UnsupportedAlgorithm, sign1.Verify(Vector("A.3_signed_cwt_sign1_es256_hex")).Error);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void A4_mac0_inside_cwt_tag_61_verifies(string provider)
    {
        byte[] token = Vector("A.4_maced_cwt_tag61_mac0_hmac256_64_hex");
        Assert.True(CoseTag.PeelCwtTag(token, 0, token.Length, out int o, out int n));
        using var mac0 = new CoseMac0(P(provider), KeySymmetric256Hmac());
        var r = new CoseResult();

        Assert.Equal(CoseError.None, mac0.Verify(token, o, n, null, 0, 0, r));
        Assert.Equal(Claims, r.PayloadToArray());
        Assert.Equal(CoseAlgorithm.Hmac256_64.Id, r.Algorithm);
    }

    [Fact]
    public void A4_without_peeling_tag_61_is_a_wrong_tag()
    {
        using var mac0 = new CoseMac0(Managed, KeySymmetric256Hmac());
        Assert.Equal(CoseError.WrongTag, mac0.Verify(Vector("A.4_maced_cwt_tag61_mac0_hmac256_64_hex")).Error);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void A4_is_reproduced_byte_for_byte(string provider)
    {
        byte[] expected = Vector("A.4_maced_cwt_tag61_mac0_hmac256_64_hex");
        using var mac0 = new CoseMac0(P(provider), KeySymmetric256Hmac());
        byte[] output = new byte[200];
        output[0] = 0xD8;
        output[1] = 0x3D;

        int n = mac0.Create(ByteRange.Of(Claims), default(ByteRange), includeKid: true, tagged: true, new ByteRange(output, 2, output.Length - 2));

        Assert.Equal(expected, output.AsSpan(0, n + 2).ToArray());
    }

    [Fact]
    public void A22_key_as_published_says_alg_10_so_it_is_refused_for_mac0()
    {
        // The README caveat: Figure 6's hex pins the key to AES-CCM-16-64-128; the alg pin must hold.
        byte[] encoded = Vector("A.2.2_key_symmetric256_cose_key_hex");
        Assert.Equal(CoseError.None, CoseKey.Decode(encoded, 0, encoded.Length, out CoseKey? key));
        using var mac0 = new CoseMac0(Managed, key!);
        byte[] token = StripCwtTag(Vector("A.4_maced_cwt_tag61_mac0_hmac256_64_hex"));

        Assert.Equal(CoseError.KeyTypeMismatch, mac0.Verify(token).Error);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void A5_encrypt0_decrypts(string provider)
    {
        byte[] message = Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex");
        using var enc = new CoseEncrypt0(P(provider), KeySymmetric128());

        CoseResult r = enc.Decrypt(message);

        Assert.Equal(CoseError.None, r.Error);
        Assert.Equal(Claims, r.PayloadToArray());
        Assert.Equal(CoseAlgorithm.AesCcm16_64_128.Id, r.Algorithm);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void A5_is_reproduced_byte_for_byte_with_its_iv(string provider)
    {
        byte[] expected = Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex");
        byte[] iv = Core.Tests.Crypto.CryptoTestSupport.Hex("99a0d7846e762c49ffe8a63e0b");
        using var enc = new CoseEncrypt0(P(provider), KeySymmetric128());
        byte[] output = new byte[200];

        int n = enc.Create(ByteRange.Of(Claims), default(ByteRange), iv, includeKid: true, tagged: true, ByteRange.Of(output));

        Assert.Equal(expected, output.AsSpan(0, n).ToArray());
    }

    [Fact]
    public void A6_nested_decrypts_then_the_inner_sign1_verifies()
    {
        byte[] message = Vector("A.6_nested_cwt_encrypt0_of_sign1_hex");
        using var enc = new CoseEncrypt0(Platform, KeySymmetric128());
        CoseResult outer = enc.Decrypt(message);
        Assert.Equal(CoseError.None, outer.Error);

        byte[] inner = outer.PayloadToArray()!;
        Assert.Equal(Vector("A.3_signed_cwt_sign1_es256_hex"), inner);
        using var sign1 = new CoseSign1(Platform, KeyEcdsa256Public());
        CoseResult r = sign1.Verify(inner);
        Assert.Equal(CoseError.None, r.Error);
        Assert.Equal(Claims, r.PayloadToArray());
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void A7_mac0_with_float_iat_verifies(string provider)
    {
        using var mac0 = new CoseMac0(P(provider), KeySymmetric256Hmac());
        CoseResult r = mac0.Verify(Vector("A.7_maced_cwt_float_iat_hex"));

        Assert.Equal(CoseError.None, r.Error);
        Assert.Equal(Core.Tests.Crypto.CryptoTestSupport.Hex("a106fb41d584367c200000"), r.PayloadToArray());
    }

    [Fact]
    public void A3_signing_with_the_A23_private_key_round_trips()
    {
        // ECDSA is randomized here, so A.3 cannot be reproduced byte for byte; our signature must verify.
        using var signer = new CoseSign1(Platform, KeyEcdsa256());
        byte[] output = new byte[300];
        int n = signer.Create(ByteRange.Of(Claims), default(ByteRange), includeKid: true, tagged: true, ByteRange.Of(output));
        byte[] message = output.AsSpan(0, n).ToArray();

        // Everything but the signature equals A.3.
        byte[] a3 = Vector("A.3_signed_cwt_sign1_es256_hex");
        Assert.Equal(a3.AsSpan(0, a3.Length - 64).ToArray(), message.AsSpan(0, n - 64).ToArray());
        using var verifier = new CoseSign1(Platform, KeyEcdsa256Public());
        Assert.Equal(CoseError.None, verifier.Verify(message).Error);
    }
}
