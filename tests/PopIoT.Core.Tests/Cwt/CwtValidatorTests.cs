using System;

using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;

using Xunit;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;
using static PopIoT.Core.Tests.Cwt.CwtTestSupport;

namespace PopIoT.Core.Tests.Cwt;

/// <summary>The validator's edges: audience forms, time boundaries and skew, no clock, required claims, envelope and COSE failures.</summary>
public class CwtValidatorTests
{
    private static CwtValidationResult Run(CwtClaimsBuilder b, long now, int skew = 0, ICwtClock? clock = null)
    {
        var (v, i) = Mac0Pair(clock ?? new TestClock(now));
        using (v)
        using (i)
        {
            v.ClockSkewSeconds = skew;
            return v.Validate(i.Create(b));
        }
    }

    [Fact]
    public void Aud_as_a_string_matches()
    {
        using var b = Basic();
        Assert.True(Run(b, 1500).IsValid);
    }

    [Fact]
    public void Aud_as_an_array_containing_the_audience_matches()
    {
        using var b = Basic();
        b.SetAudiences(["rs0", "rs1", "rs2"]);
        using var r = Run(b, 1500);
        Assert.True(r.IsValid, r.ToString());
        Assert.True(r.Claims.AudienceIsArray);
        Assert.Equal(3, r.Claims.AudienceCount);
        Assert.Equal("rs2", r.Claims.GetAudience(2));
    }

    [Fact]
    public void Aud_array_without_the_audience_is_a_mismatch()
    {
        using var b = Basic();
        b.SetAudiences(["rs0", "rs11", "RS1"]);
        Assert.Equal(CwtError.AudienceMismatch, Run(b, 1500).Error);
    }

    [Fact]
    public void Aud_other_string_is_a_mismatch()
    {
        using var b = Basic();
        b.SetAudience("rs");
        Assert.Equal(CwtError.AudienceMismatch, Run(b, 1500).Error);
    }

    [Fact]
    public void Aud_missing_is_a_missing_claim()
    {
        using var b = Basic();
        b.Remove(CwtClaimKey.Aud);
        using var r = Run(b, 1500);
        Assert.Equal(CwtError.MissingClaim, r.Error);
        Assert.Equal(CwtClaimKey.Aud, r.Claim);
    }

    [Theory]
    [InlineData(1999, 0, CwtError.None)]
    [InlineData(2000, 0, CwtError.Expired)]    // RFC 7519 §4.1.4: now must be before exp
    [InlineData(2059, 60, CwtError.None)]
    [InlineData(2060, 60, CwtError.Expired)]   // now ≥ exp + skew
    [InlineData(1000, 0, CwtError.None)]       // RFC 7519 §4.1.5: now ≥ nbf is valid
    [InlineData(999, 0, CwtError.NotYetValid)]
    [InlineData(940, 60, CwtError.None)]       // now = nbf − skew is valid
    [InlineData(939, 60, CwtError.NotYetValid)]
    public void Exp_and_nbf_boundaries(long now, int skew, CwtError expected)
    {
        using var b = Basic();
        using var r = Run(b, now, skew);
        Assert.Equal(expected, r.Error);
        if (expected != CwtError.None)
        {
            Assert.Equal(expected == CwtError.Expired ? CwtClaimKey.Exp : CwtClaimKey.Nbf, r.Claim);
        }
    }

    [Fact]
    public void Extreme_exp_and_now_do_not_overflow()
    {
        using var b = Basic();
        b.SetExpiration(long.MaxValue);
        b.Remove(CwtClaimKey.Nbf);
        Assert.True(Run(b, long.MaxValue - 1, CwtLimits.MaxSkewSeconds).IsValid);
        b.SetExpiration(long.MinValue);
        Assert.Equal(CwtError.Expired, Run(b, long.MaxValue, CwtLimits.MaxSkewSeconds).Error);
        Assert.True(Run(b, long.MinValue + 1, CwtLimits.MaxSkewSeconds).IsValid); // within the skew
        b.SetExpiration(long.MaxValue);
        b.SetNotBefore(long.MaxValue);
        Assert.Equal(CwtError.NotYetValid, Run(b, long.MinValue, CwtLimits.MaxSkewSeconds).Error);
        b.SetNotBefore(long.MinValue);
        Assert.True(Run(b, long.MinValue, CwtLimits.MaxSkewSeconds).IsValid);
    }

    [Fact]
    public void Skew_out_of_range_is_refused()
    {
        using var v = new CwtValidator(Managed, new TestClock(0), "a");
        Assert.Throws<ArgumentException>(() => v.ClockSkewSeconds = -1);
        Assert.Throws<ArgumentException>(() => v.ClockSkewSeconds = CwtLimits.MaxSkewSeconds + 1);
    }

    [Fact]
    public void Without_a_clock_a_token_without_exi_is_refused()
    {
        using var b = Basic();
        using var r = Run(b, 0, clock: CwtNoClock.Instance);
        Assert.Equal(CwtError.NoExiWithoutClock, r.Error);
    }

    [Fact]
    public void Without_a_clock_exi_is_exposed_and_exp_nbf_are_not_evaluated()
    {
        using var b = Basic();
        b.SetExpiration(1); // long past, but a clockless RS cannot know
        b.SetExi(3600);
        b.SetCti([0x01, 0x00, 0x07]);
        using var r = Run(b, 0, clock: CwtNoClock.Instance);
        Assert.True(r.IsValid, r.ToString());
        Assert.Equal(3600, r.ExpiresIn);
        Assert.Equal(-1, r.ValidatedAt);
    }

    [Fact]
    public void Exi_without_cti_is_refused()
    {
        using var b = Basic();
        b.SetExi(60);
        using var r = Run(b, 0, clock: CwtNoClock.Instance);
        Assert.Equal(CwtError.MissingClaim, r.Error);
        Assert.Equal(CwtClaimKey.Cti, r.Claim);
    }

    [Fact]
    public void With_a_clock_exi_is_exposed_too_and_exp_still_checked()
    {
        using var b = Basic();
        b.SetExi(60);
        b.SetCti([1]);
        using var ok = Run(b, 1500);
        Assert.True(ok.IsValid);
        Assert.Equal(60, ok.ExpiresIn);
        Assert.Equal(1500, ok.ValidatedAt);
        Assert.Equal(CwtError.Expired, Run(b, 2000).Error);
    }

    [Fact]
    public void With_a_clock_a_token_without_exp_or_exi_is_refused_by_default()
    {
        using var b = Basic();
        b.Remove(CwtClaimKey.Exp);
        using var r = Run(b, 1500);
        Assert.Equal(CwtError.MissingClaim, r.Error);
        Assert.Equal(CwtClaimKey.Exp, r.Claim);
    }

    [Fact]
    public void Required_claims_are_configurable()
    {
        using var b = Basic();
        var (v, i) = Mac0Pair(new TestClock(1500));
        using (v)
        using (i)
        {
            v.SetRequiredClaims([CwtClaimKey.Aud, CwtClaimKey.Cnf, 1000]);
            using var r = v.Validate(i.Create(b));
            Assert.Equal(CwtError.MissingClaim, r.Error);
            Assert.Equal(CwtClaimKey.Cnf, r.Claim);

            b.SetConfirmationKid([1, 2]);
            Assert.Equal(1000, v.Validate(i.Create(b)).Claim);

            b.SetClaim(1000, [0xf5]);
            Assert.True(v.Validate(i.Create(b)).IsValid);
        }
    }

    [Fact]
    public void Null_audience_skips_the_comparison_but_aud_stays_required()
    {
        using var b = Basic();
        b.SetAudience("anything");
        using var v = new CwtValidator(Managed, new TestClock(1500), null);
        v.SetMac0Key(HmacKey());
        using var i = new CwtIssuer(Managed, HmacKey());
        Assert.True(v.Validate(i.Create(b)).IsValid);
        b.Remove(CwtClaimKey.Aud);
        Assert.Equal(CwtError.MissingClaim, v.Validate(i.Create(b)).Error);
    }

    [Fact]
    public void Wrong_key_gives_cose_failed_tag_mismatch()
    {
        using var b = Basic();
        using var v = new CwtValidator(Managed, new TestClock(1500), "rs1");
        v.SetMac0Key(HmacKey(fill: 8));
        using var i = new CwtIssuer(Managed, HmacKey());
        using var r = v.Validate(i.Create(b));
        Assert.Equal(CwtError.CoseFailed, r.Error);
        Assert.Equal(CoseError.TagMismatch, r.CoseError);
        Assert.Equal(CoseTag.Mac0, r.MessageType);
    }

    [Fact]
    public void Wrong_alg_gives_cose_failed_algorithm_mismatch()
    {
        using var b = Basic();
        using var v = new CwtValidator(Managed, new TestClock(1500), "rs1");
        v.SetMac0Key(HmacKey(alg: 5));
        using var i = new CwtIssuer(Managed, HmacKey(alg: 4));
        using var r = v.Validate(i.Create(b));
        Assert.Equal(CwtError.CoseFailed, r.Error);
        Assert.Equal(CoseError.AlgorithmMismatch, r.CoseError);
    }

    [Fact]
    public void Tampered_claims_give_cose_failed()
    {
        using var b = Basic();
        var (v, i) = Mac0Pair(new TestClock(1500));
        using (v)
        using (i)
        {
            byte[] token = i.Create(b);
            int at = Array.IndexOf(token, (byte)'1'); // the "rs1" audience
            token[at] = (byte)'2';
            using var r = v.Validate(token);
            Assert.Equal(CwtError.CoseFailed, r.Error);
            Assert.Equal(CoseError.TagMismatch, r.CoseError);
        }
    }

    [Fact]
    public void A_type_without_a_configured_key_is_unexpected()
    {
        using var v = new CwtValidator(Managed, new TestClock(Between), Aud);
        v.SetMac0Key(KeySymmetric256Hmac());
        Assert.Equal(CwtError.UnexpectedMessageType, v.Validate(Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex")).Error);
    }

    [Fact]
    public void Untagged_tokens_are_refused_unless_the_type_is_configured()
    {
        using var b = Basic();
        var (v, i) = Mac0Pair(new TestClock(1500));
        using (v)
        using (i)
        {
            byte[] token = i.Create(b)[1..]; // drop the d1 tag
            using var r = v.Validate(token);
            Assert.Equal(CwtError.NotACwt, r.Error);
            Assert.Equal(CoseError.MissingTag, r.CoseError);

            v.UntaggedMessageType = CoseTag.Mac0;
            Assert.True(v.Validate(token).IsValid);
            Assert.Throws<ArgumentException>(() => v.UntaggedMessageType = 61);
        }
    }

    [Fact]
    public void A_validator_pinned_to_one_protection_refuses_every_other_token_type_before_trying_a_key()
    {
        using var b = Basic();
        CoseKey aead = CoseKey.Symmetric(Filled(16, 3), CoseAlgorithm.AesCcm16_64_128.Id, null);
        using var v = new CwtValidator(Managed, new TestClock(1500), "rs1");
        v.SetMac0Key(HmacKey());
        v.SetEncrypt0Key(aead);
        using var mi = new CwtIssuer(Managed, HmacKey());
        using var ei = new CwtIssuer(Managed, aead);
        byte[] macToken = mi.Create(b);
        byte[] encToken = ei.Create(b);
        Assert.True(v.Validate(macToken).IsValid);
        Assert.True(v.Validate(encToken).IsValid);

        v.TokenProtection = CoseTag.Mac0;
        Assert.True(v.Validate(macToken).IsValid);
        using (var r = v.Validate(encToken))
        {
            Assert.Equal(CwtError.ProtectionNotAllowed, r.Error);
            Assert.Equal(CoseTag.Encrypt0, r.MessageType);
        }

        v.TokenProtection = CoseTag.Encrypt0;
        Assert.True(v.Validate(encToken).IsValid);
        Assert.Equal(CwtError.ProtectionNotAllowed, v.Validate(macToken).Error);

        // An untagged token is read as UntaggedMessageType, and that type must be the pinned one too.
        v.TokenProtection = CoseTag.Mac0;
        v.UntaggedMessageType = CoseTag.Encrypt0;
        Assert.Equal(CwtError.ProtectionNotAllowed, v.Validate(encToken[1..]).Error);
        v.UntaggedMessageType = CoseTag.Mac0;
        Assert.True(v.Validate(macToken[1..]).IsValid);
        Assert.Throws<ArgumentException>(() => v.TokenProtection = 61);
    }

    [Fact]
    public void A_mac0_pinned_validator_refuses_a_Mac0_nested_in_Encrypt0_and_an_encrypt0_pinned_one_opens_it()
    {
        using var b = Basic();
        CoseKey aead = CoseKey.Symmetric(Filled(16, 3), CoseAlgorithm.AesCcm16_64_128.Id, null);
        using var v = new CwtValidator(Managed, new TestClock(1500), "rs1");
        v.SetMac0Key(HmacKey());
        v.SetEncrypt0Key(aead);
        using var mi = new CwtIssuer(Managed, HmacKey());
        using var enc = new CoseEncrypt0(Managed, aead);
        byte[] inner = mi.Create(b);
        byte[] outer = new byte[inner.Length + 64];
        int n = enc.Create(ByteRange.Of(inner), default(ByteRange), null, false, true, ByteRange.Of(outer));
        v.TokenProtection = CoseTag.Mac0;
        Assert.Equal(CwtError.ProtectionNotAllowed, v.Validate(outer[..n]).Error);
        v.TokenProtection = CoseTag.Encrypt0;
        Assert.True(v.Validate(outer[..n]).IsValid);
    }

    [Theory]
    [InlineData("d818a0")]        // tag 24
    [InlineData("a0")]            // a bare map
    [InlineData("")]
    [InlineData("d83d")]          // tag 61 and nothing
    [InlineData("d83dd83dd18440a04040")] // tag 61 twice
    public void Non_cwt_inputs_are_not_a_cwt(string hex)
    {
        var (v, i) = Mac0Pair(new TestClock(1500));
        using (v)
        using (i)
        {
            Assert.Equal(CwtError.NotACwt, v.Validate(Convert.FromHexString(hex)).Error);
        }
    }

    [Fact]
    public void Mac0_wrapping_a_tagged_token_is_unsupported_nesting()
    {
        using var b = Basic();
        var (v, i) = Mac0Pair(new TestClock(1500));
        using (v)
        using (i)
        using (var mac0 = new CoseMac0(Managed, HmacKey()))
        {
            byte[] inner = i.Create(b);
            byte[] outer = new byte[inner.Length + 64];
            int n = mac0.Create(ByteRange.Of(inner), default(ByteRange), false, true, ByteRange.Of(outer));
            Assert.Equal(CwtError.NestingNotSupported, v.Validate(outer[..n]).Error);
        }
    }

    [Fact]
    public void Encrypt0_plaintext_larger_than_the_result_buffer_is_a_limit()
    {
        using var b = Basic();
        b.SetScope(new string('x', 300));
        CoseKey key = CoseKey.Symmetric(Filled(16, 3), CoseAlgorithm.AesCcm16_64_128.Id, null);
        using var v = new CwtValidator(Managed, new TestClock(1500), "rs1");
        v.SetEncrypt0Key(key);
        using var i = new CwtIssuer(Managed, key);
        byte[] token = i.Create(b);
        using var small = new CwtValidationResult(100);
        Assert.Equal(CwtError.LimitExceeded, v.Validate(token, 0, token.Length, small));
        using var big = new CwtValidationResult(400);
        Assert.Equal(CwtError.None, v.Validate(token, 0, token.Length, big));
    }

    [Fact]
    public void Keys_that_cannot_verify_are_refused_at_set_up()
    {
        using var v = new CwtValidator(Managed, new TestClock(0), "a");
        Assert.Throws<ArgumentException>(() => v.SetSign1Key(KeyEcdsa256Public())); // managed provider: no signatures
        Assert.Throws<ArgumentException>(() => v.SetMac0Key(KeySymmetric128()));    // an AEAD key
        Assert.Throws<ArgumentException>(() => new CwtValidator(Managed, null!, "a"));
    }

    [Fact]
    public void Argument_errors_throw_but_bad_bytes_never_do()
    {
        var (v, i) = Mac0Pair(new TestClock(0));
        using (v)
        using (i)
        {
            var r = new CwtValidationResult();
            Assert.Throws<ArgumentException>(() => v.Validate(null!, 0, 0, r));
            Assert.Throws<ArgumentException>(() => v.Validate(new byte[2], 1, 2, r));
            Assert.Equal(CwtError.NotACwt, v.Validate(new byte[] { 0xff }, 0, 1, r));
        }
    }

    [Fact]
    public void Result_to_string_names_the_reason()
    {
        using var b = Basic();
        b.Remove(CwtClaimKey.Aud);
        Assert.Equal("MissingClaim (claim aud)", Run(b, 1500).ToString());
    }
}
