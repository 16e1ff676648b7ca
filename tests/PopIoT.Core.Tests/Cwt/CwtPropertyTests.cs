using System;
using System.Linq;

using CsCheck;

using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Core.Crypto;
using PopIoT.Core.Tests.Cose;

using Xunit;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;

namespace PopIoT.Core.Tests.Cwt;

/// <summary>
/// Random claims sets round-trip through <see cref="CwtIssuer"/> and <see cref="CwtValidator"/> for every
/// algorithm, with every claim read back, and fail with another key (CsCheck; a failure prints its seed).
/// </summary>
public class CwtPropertyTests
{
    public static TheoryData<int> Algorithms()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < CoseAlgorithm.Count; i++)
        {
            data.Add(CoseAlgorithm.At(i).Id);
        }

        return data;
    }

    private sealed record Claims(string Iss, string[] Aud, long Exp, long Nbf, long Iat, byte[] Cti, string Scope, int Profile, byte[] Kid, long Extra);

    private static readonly Gen<string> Text = Gen.String[Gen.Char.AlphaNumeric, 0, 40];

    private static readonly Gen<Claims> ClaimsGen =
        Gen.Select(Text, Gen.String[Gen.Char.AlphaNumeric, 1, 20].Array[1, 4], Gen.Long[2000, long.MaxValue], Gen.Long[long.MinValue, 1000], Gen.Long, Gen.Byte.Array[0, 20], Text, Gen.Int)
            .Select(Gen.Byte.Array[0, 16], Gen.Long[41, long.MaxValue], (t, kid, extra) => new Claims(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7, t.Item8, kid, extra));

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Random_claims_round_trip_and_fail_with_another_key(int algId)
    {
        CoseAlgorithm alg = CoseAlgorithm.FromId(algId)!;
        ICryptoProvider provider = Platform;
        Gen.Select(ClaimsGen, Gen.Int, Gen.Bool).Sample((claims, seed, cwtTag) => RoundTrip(alg, provider, claims, seed, cwtTag), iter: alg.Kind == CoseAlgorithmKind.Signature ? 40 : 100);
    }

    private static void RoundTrip(CoseAlgorithm alg, ICryptoProvider provider, Claims c, int seed, bool cwtTag)
    {
        var rng = SeededRandomSource.NewRandom(seed);
        using CoseKey key = CoseKeys.Random(alg, rng, [(byte)seed]);
        using CoseKey other = CoseKeys.Random(alg, rng);
        string audience = c.Aud[rng.Next(c.Aud.Length)];

        using var b = new CwtClaimsBuilder();
        b.SetIssuer(c.Iss);
        if (c.Aud.Length == 1)
        {
            b.SetAudience(audience);
        }
        else
        {
            b.SetAudiences(c.Aud);
        }

        b.SetExpiration(c.Exp);
        b.SetNotBefore(c.Nbf);
        b.SetIssuedAt(c.Iat);
        b.SetCti(c.Cti);
        b.SetScope(c.Scope);
        b.SetAceProfile(c.Profile);
        b.SetConfirmationKid(c.Kid);
        b.SetClaim(c.Extra, [0x43, 1, 2, 3]);

        using var issuer = new CwtIssuer(provider, key) { CwtTag = cwtTag };
        byte[] token = issuer.Create(b);

        using var v = Validator(provider, alg, alg.Kind == CoseAlgorithmKind.Signature ? key.ToPublicKey()! : key, audience);
        using var r = v.Validate(token);
        Assert.True(r.IsValid, r.ToString());
        Assert.Equal(cwtTag, r.HasCwtTag);
        Assert.Equal(alg.Id, r.Algorithm);
        CwtClaims got = r.Claims;
        Assert.Equal(c.Iss, got.GetIssuer());
        Assert.Equal(c.Aud.Length > 1, got.AudienceIsArray);
        Assert.Equal(c.Aud.Length == 1 ? [audience] : c.Aud, Enumerable.Range(0, got.AudienceCount).Select(got.GetAudience).ToArray());
        Assert.Equal(c.Exp, got.Expiration);
        Assert.Equal(c.Nbf, got.NotBefore);
        Assert.Equal(c.Iat, got.IssuedAt);
        Assert.Equal(c.Cti, got.GetCti());
        Assert.Equal(c.Scope, got.GetScopeText());
        Assert.Equal(c.Profile, got.AceProfile);
        Assert.True(got.Has(c.Extra));
        Assert.Equal(1, got.UnknownCount);
        Assert.Equal(CnfMethod.Kid, r.Confirmation.Method);
        Assert.Equal(c.Kid, r.Confirmation.Buffer.AsSpan(r.Confirmation.KidOffset, r.Confirmation.KidLength).ToArray());

        using var wrong = Validator(provider, alg, alg.Kind == CoseAlgorithmKind.Signature ? other.ToPublicKey()! : other, audience);
        using var bad = wrong.Validate(token);
        Assert.Equal(CwtError.CoseFailed, bad.Error);
        Assert.Equal(alg.Kind switch { CoseAlgorithmKind.Mac => CoseError.TagMismatch, CoseAlgorithmKind.Aead => CoseError.DecryptionFailed, _ => CoseError.SignatureInvalid }, bad.CoseError);
    }

    private static CwtValidator Validator(ICryptoProvider provider, CoseAlgorithm alg, CoseKey key, string audience)
    {
        var v = new CwtValidator(provider, new TestClock(1500), audience);
        switch (alg.Kind)
        {
            case CoseAlgorithmKind.Mac: v.SetMac0Key(key); break;
            case CoseAlgorithmKind.Aead: v.SetEncrypt0Key(key); break;
            default: v.SetSign1Key(key); break;
        }

        return v;
    }

    [Fact]
    public void Random_claims_round_trip_with_the_managed_provider_for_hmac_and_ccm()
    {
        foreach (CoseAlgorithm alg in new[] { CoseAlgorithm.Hmac256_64, CoseAlgorithm.Hmac256_256, CoseAlgorithm.AesCcm16_64_128, CoseAlgorithm.AesCcm64_128_128 })
        {
            Gen.Select(ClaimsGen, Gen.Int, Gen.Bool).Sample((claims, seed, cwtTag) => RoundTrip(alg, Managed, claims, seed, cwtTag), iter: 30);
        }
    }
}
