using System;

using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;

using Xunit;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;
using static PopIoT.Core.Tests.Cwt.CwtTestSupport;

namespace PopIoT.Core.Tests.Cwt;

/// <summary>RFC 8392 Appendix A (tests/vectors/rfc8392) through the CWT API, and A.4/A.5 reproduced byte for byte.</summary>
public class CwtVectorTests
{
    // A.1: the claims set of A.3–A.6.
    private static void AssertA1(CwtValidationResult r)
    {
        Assert.True(r.IsValid, r.ToString());
        CwtClaims c = r.Claims;
        Assert.Equal(7, c.Count);
        Assert.Equal("coap://as.example.com", c.GetIssuer());
        Assert.Equal("erikw", c.GetSubject());
        Assert.False(c.AudienceIsArray);
        Assert.Equal(1, c.AudienceCount);
        Assert.Equal(Aud, c.GetAudience(0));
        Assert.Equal(1444064944, c.Expiration);
        Assert.Equal(1443944944, c.NotBefore);
        Assert.Equal(1443944944, c.IssuedAt);
        Assert.Equal(new byte[] { 0x0b, 0x71 }, c.GetCti());
        Assert.False(c.Has(CwtClaimKey.Cnf));
        Assert.False(c.Has(CwtClaimKey.Scope));
        Assert.Equal(0, c.UnknownCount);
        Assert.Equal(CnfMethod.None, r.Confirmation.Method);
        Assert.Equal(Between, r.ValidatedAt);
        Assert.Equal(-1, r.ExpiresIn);
    }

    [Fact]
    public void A3_sign1_validates()
    {
        using var v = AppendixAValidator(new TestClock(Between));
        using var r = new CwtValidationResult();
        Assert.Equal(CwtError.None, v.Validate(Vector("A.3_signed_cwt_sign1_es256_hex"), 0, Vector("A.3_signed_cwt_sign1_es256_hex").Length, r));
        AssertA1(r);
        Assert.Equal(CoseTag.Sign1, r.MessageType);
        Assert.Equal(CoseAlgorithm.ES256.Id, r.Algorithm);
        Assert.False(r.HasCwtTag);
    }

    [Theory]
    [InlineData("managed")]
    [InlineData("platform")]
    public void A4_mac0_with_tag_61_validates(string provider)
    {
        using var v = AppendixAValidator(new TestClock(Between), provider == "managed" ? Managed : Platform);
        using var r = v.Validate(Vector("A.4_maced_cwt_tag61_mac0_hmac256_64_hex"));
        AssertA1(r);
        Assert.True(r.HasCwtTag);
        Assert.Equal(CoseTag.Mac0, r.MessageType);
        Assert.Equal(CoseAlgorithm.Hmac256_64.Id, r.Algorithm);
    }

    [Fact]
    public void A5_encrypt0_validates()
    {
        using var v = AppendixAValidator(new TestClock(Between), Managed);
        using var r = v.Validate(Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex"));
        AssertA1(r);
        Assert.Equal(CoseTag.Encrypt0, r.MessageType);
        Assert.Equal(CoseAlgorithm.AesCcm16_64_128.Id, r.Algorithm);
        Assert.Equal(0, r.InnerMessageType);
    }

    [Fact]
    public void A6_nested_encrypt0_of_sign1_validates()
    {
        using var v = AppendixAValidator(new TestClock(Between));
        using var r = v.Validate(Vector("A.6_nested_cwt_encrypt0_of_sign1_hex"));
        AssertA1(r);
        Assert.Equal(CoseTag.Encrypt0, r.MessageType);
        Assert.Equal(CoseAlgorithm.AesCcm16_64_128.Id, r.Algorithm);
        Assert.Equal(CoseTag.Sign1, r.InnerMessageType);
        Assert.Equal(CoseAlgorithm.ES256.Id, r.InnerAlgorithm);
    }

    [Fact]
    public void A7_mac0_with_float_iat_validates_when_only_its_claims_are_required()
    {
        // A.7's claims set is { 6: 1443944944.5 } only: no aud, no exp, so those checks are off here.
        using var v = new CwtValidator(Managed, new TestClock(Between), null);
        v.SetMac0Key(KeySymmetric256Hmac());
        v.SetRequiredClaims(null);
        v.RequireExpiry = false;
        using var r = v.Validate(Vector("A.7_maced_cwt_float_iat_hex"));

        Assert.True(r.IsValid, r.ToString());
        Assert.Equal(1, r.Claims.Count);
        Assert.True(r.Claims.Has(CwtClaimKey.Iat));
        Assert.Equal(1443944944, r.Claims.IssuedAt); // floor of 1443944944.5
        Assert.False(r.Claims.Has(CwtClaimKey.Aud));
    }

    [Fact]
    public void A7_is_refused_by_an_rs_validator_because_it_has_no_aud()
    {
        using var v = AppendixAValidator(new TestClock(Between), Managed);
        using var r = v.Validate(Vector("A.7_maced_cwt_float_iat_hex"));
        Assert.Equal(CwtError.MissingClaim, r.Error);
        Assert.Equal(CwtClaimKey.Aud, r.Claim);
    }

    private static CwtClaimsBuilder A1Builder()
    {
        var b = new CwtClaimsBuilder();
        b.SetIssuer("coap://as.example.com");
        b.SetSubject("erikw");
        b.SetAudience(Aud);
        b.SetExpiration(1444064944);
        b.SetNotBefore(1443944944);
        b.SetIssuedAt(1443944944);
        b.SetCti([0x0b, 0x71]);
        return b;
    }

    [Fact]
    public void A1_claims_set_is_reproduced_by_the_builder()
    {
        using var b = A1Builder();
        Assert.Equal(Claims, b.Encode());
    }

    [Fact]
    public void A1_claims_set_is_reproduced_whatever_the_setter_order()
    {
        using var b = new CwtClaimsBuilder();
        b.SetCti([0x0b, 0x71]);
        b.SetIssuedAt(1443944944);
        b.SetAudience(Aud);
        b.SetNotBefore(1443944944);
        b.SetIssuer("coap://as.example.com");
        b.SetExpiration(1444064944);
        b.SetSubject("erikw");
        Assert.Equal(Claims, b.Encode());
    }

    [Theory]
    [InlineData("managed")]
    [InlineData("platform")]
    public void A4_is_reproduced_byte_for_byte(string provider)
    {
        using var b = A1Builder();
        using var issuer = new CwtIssuer(provider == "managed" ? Managed : Platform, KeySymmetric256Hmac()) { CwtTag = true };
        Assert.Equal(Vector("A.4_maced_cwt_tag61_mac0_hmac256_64_hex"), issuer.Create(b));
    }

    [Fact]
    public void A5_is_reproduced_byte_for_byte_with_its_iv()
    {
        byte[] expected = Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex");
        var reader = new System.Formats.Cbor.CborReader(expected);
        reader.ReadTag();
        reader.ReadStartArray();
        reader.ReadByteString();
        reader.ReadStartMap();
        reader.ReadInt32();
        reader.ReadByteString();
        Assert.Equal(5, reader.ReadInt32());
        byte[] iv = reader.ReadByteString();

        using var b = A1Builder();
        using var issuer = new CwtIssuer(Managed, KeySymmetric128());
        Assert.Equal(expected, issuer.Create(b, iv));
    }

    [Fact]
    public void Nested_sign1_in_encrypt0_created_here_validates_like_A6()
    {
        using var b = A1Builder();
        using var outer = new CwtIssuer(Platform, KeySymmetric128());
        using var inner = new CwtIssuer(Platform, KeyEcdsa256());
        byte[] token = outer.CreateNested(inner, b, null);

        using var v = AppendixAValidator(new TestClock(Between));
        using var r = v.Validate(token);
        AssertA1(r);
        Assert.Equal(CoseTag.Sign1, r.InnerMessageType);
    }
}
