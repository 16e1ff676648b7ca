using System.Net;
using System.Security.Cryptography;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Cose;
using PopIoT.Crypto;
using PopIoT.Device;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The key derivation key of the DTLS profile (RFC 9202 §3.3) has one purpose, derive key (RFC 9052 §7.1): it never
/// verifies or protects a token, and no token key derives a PSK. Plus the minter's DTLS rules and TOKEN.json's DTLS form.
/// </summary>
public sealed class DtlsKeyPurposeTests : IDisposable
{
    private readonly AceTestBed _bed = new();
    private readonly ResourceServerRecord _kdf;
    private readonly IReadOnlyList<CoseKey> _rsKeys;

    public DtlsKeyPurposeTests()
    {
        _kdf = _bed.Registry.AddResourceServer("kdf", TokenProtection.Mac0, dtls: new ResourceServerDtls([AceProfile.CoapDtls, AceProfile.CoapOscore], DerivePsk: true));
        Assert.Equal(CoseError.None, CoseKeySet.Decode(AuthorizationServerRegistry.KeysForResourceServer(_kdf), out _rsKeys));
    }

    private CoseKey DerivationKey => _rsKeys.Single(k => k.HasKeyOperations && k.Permits(CoseKeyOperation.DeriveKey));

    public void Dispose()
    {
        foreach (CoseKey k in _rsKeys)
        {
            k.Dispose();
        }

        _bed.Dispose();
    }

    [Fact]
    public void The_key_file_gives_the_derivation_key_derive_key_only_and_the_device_picks_each_key_for_its_purpose()
    {
        Assert.Equal(3, _rsKeys.Count);
        CoseKey kdk = DerivationKey;
        Assert.False(kdk.HasAlgorithm);
        Assert.Equal([CoseKeyOperation.DeriveKey], Enumerable.Range(1, 10).Where(kdk.Permits).ToArray());
        AsKeySelection s = AsKeyPurposes.Select(_rsKeys, TokenProtection.Mac0);
        Assert.Same(kdk, s.DerivationKey);
        Assert.NotSame(kdk, s.TokenKey);
        Assert.NotSame(kdk, s.CnfKey);
        Assert.True(s.TokenKey.Permits(CoseKeyOperation.MacVerify));
    }

    [Fact]
    public void A_derivation_key_never_verifies_or_protects_a_token()
    {
        CoseKey kdk = DerivationKey;
        var e = Assert.Throws<ArgumentException>(() => AsKeyPurposes.Select([kdk], TokenProtection.Mac0));
        Assert.Contains("no key to verify Mac0 tokens", e.Message, StringComparison.Ordinal);
        using var validator = new CwtValidator(PlatformCryptoProvider.Instance, new TestClock(), "kdf");
        Assert.Throws<ArgumentException>(() => validator.SetMac0Key(kdk));
        Assert.Throws<ArgumentException>(() => validator.SetEncrypt0Key(kdk));
        e = Assert.Throws<ArgumentException>(() => new AccessTokenMinter([kdk]));
        Assert.Contains("protects no token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_device_refuses_a_token_maced_with_the_stolen_derivation_key()
    {
        // The attacker copies k of the derivation key into an HMAC 256/64 key and mints a Mac0 token with it.
        byte[] k = IndependentCose.SymmetricK(DerivationKey.Encode());
        CoseKey cnf = _rsKeys.Single(x => x.HasKeyOperations && x.Permits(CoseKeyOperation.UnwrapKey));
        using CoseKey forgedMac = CoseKey.Symmetric(k, 4, _rsKeys.Single(x => x.Algorithm == 4).GetKid());
        using CoseKey wrap = CoseKey.Symmetric(IndependentCose.SymmetricK(cnf.Encode()), 10, cnf.GetKid());
        AccessTokenFile forged;
        using (var minter = new AccessTokenMinter([forgedMac, wrap]))
        {
            forged = minter.Mint(new TokenMintRequest { Audience = "kdf", Scope = AccessScope.Parse("[[\"/temp\",1]]") });
        }

        // A device serving both profiles holds the derivation key (a device without coap_dtls refuses it outright).
        using var device = new SimulatedDevice(new SimulatedDeviceOptions { Audience = "kdf", AsKeys = _rsKeys, Protection = TokenProtection.Mac0, Profile = "both" });
        IPEndPoint at = device.Start(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new AceOscoreClient(forged, new Uri("coap://127.0.0.1:" + at.Port), new AceOscoreClientOptions { Coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(10) } });
        var rejected = await Assert.ThrowsAsync<AceTokenRejectedException>(() => client.GetAsync(new Uri("coap://127.0.0.1:" + at.Port + "/temp")));
        Assert.Equal(CoapCode.Unauthorized, rejected.Response.Code);
        Assert.Equal(0, device.ActiveSlots);
        Assert.DoesNotContain(device.Decisions, d => d.Kind == AceDecisionKind.TokenStored);
    }

    [Fact]
    public void A_token_key_never_derives_and_a_key_with_two_purposes_is_refused()
    {
        CoseKey mac = _rsKeys.Single(x => x.Algorithm == 4);
        var e = Assert.Throws<ArgumentException>(() => AccessTokenMinter.DerivePsk(mac, [1, 2, 3]));
        Assert.Contains("a token key never derives", e.Message, StringComparison.Ordinal);
        using CoseKey twoPurposes = CoseKey.Symmetric(RandomNumberGenerator.GetBytes(32), 0, [7]);
        twoPurposes.SetKeyOperations([CoseKeyOperation.DeriveKey, CoseKeyOperation.MacCreate]);
        Assert.False(AsKeyPurposes.IsDerivationKey(twoPurposes));
        e = Assert.Throws<ArgumentException>(() => new AccessTokenMinter([mac, twoPurposes]));
        Assert.Contains("no other purpose", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => AsKeyPurposes.Select([mac, twoPurposes], TokenProtection.Mac0));
        Assert.Contains("mix derive key with other purposes", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => AccessTokenMinter.DerivePsk(twoPurposes, [1, 2, 3]));
        Assert.Contains("a token key never derives", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_minter_draws_a_new_kid_while_the_as_says_it_is_taken_and_gives_up_after_a_bound()
    {
        using CoseKey aead = CoseKey.Symmetric(RandomNumberGenerator.GetBytes(16), 10, [1]);
        using var minter = new AccessTokenMinter([aead]);
        var seen = new List<byte[]>();
        AccessTokenFile t = minter.Mint(new TokenMintRequest
        {
            Audience = "rs",
            Scope = AccessScope.Parse("read"),
            Profile = AceProfile.CoapDtls,
            KidInUse = kid => { seen.Add(kid); return seen.Count < 4; },
        });
        Assert.Equal(4, seen.Count);
        Assert.Equal(seen[3], t.PskKid);
        Assert.Equal(3, seen.Take(3).Select(Convert.ToHexString).Distinct().Count());
        Assert.Throws<InvalidOperationException>(() => minter.Mint(new TokenMintRequest { Audience = "rs", Scope = AccessScope.Parse("read"), Profile = AceProfile.CoapDtls, KidInUse = _ => true }));
    }

    [Fact]
    public void The_minter_refuses_a_psk_in_a_mac0_token_without_a_wrap_key_and_a_public_key_for_oscore()
    {
        using CoseKey mac = CoseKey.Symmetric(RandomNumberGenerator.GetBytes(32), 4, [1]);
        using var minter = new AccessTokenMinter([mac]);
        var e = Assert.Throws<ArgumentException>(() => minter.Mint(new TokenMintRequest { Audience = "rs", Scope = AccessScope.Parse("read"), Profile = AceProfile.CoapDtls }));
        Assert.Contains("Encrypted_COSE_Key", e.Message, StringComparison.Ordinal);
        using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using CoseKey pub = DtlsTokenTests.PublicKey(ec);
        e = Assert.Throws<ArgumentException>(() => minter.Mint(new TokenMintRequest { Audience = "rs", Scope = AccessScope.Parse("read"), ClientPublicKey = pub }));
        Assert.Contains("only with coap_dtls", e.Message, StringComparison.Ordinal);

        // A Mac0 RPK token needs no wrap key: a public key is no secret.
        AccessTokenFile rpk = minter.Mint(new TokenMintRequest { Audience = "rs", Scope = AccessScope.Parse("read"), Profile = AceProfile.CoapDtls, ClientPublicKey = pub });
        Assert.Null(rpk.Psk);
        Assert.Null(rpk.PskKid);
    }

    [Fact]
    public void Token_json_keeps_the_psk_or_rs_cnf_of_a_dtls_token_and_refuses_malformed_ones()
    {
        var psk = new AccessTokenFile([0xd0, 1], [], []) { Profile = AceProfile.CoapDtls, PskKid = [1, 2], Psk = [3, 4, 5], Audience = "rs", ExpiresIn = 60 };
        AccessTokenFile back = AccessTokenFile.Parse(psk.ToJson());
        Assert.Equal(AceProfile.CoapDtls, back.Profile);
        Assert.Equal([1, 2], back.PskKid);
        Assert.Equal([3, 4, 5], back.Psk);
        Assert.Empty(back.MasterSecret);
        Assert.Contains("\"COSE_Key\"", System.Text.Encoding.UTF8.GetString(psk.ToJson()), StringComparison.Ordinal);

        using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] rsKey = DtlsTokenTests.PublicKey(ec).Encode();
        var rpk = new AccessTokenFile([0xd0, 1], [], []) { Profile = AceProfile.CoapDtls, RsPublicKey = rsKey };
        Assert.Equal(rsKey, AccessTokenFile.Parse(rpk.ToJson()).RsPublicKey);

        foreach (string bad in new[]
        {
            """{"access_token":"d001","ace_profile":"coap_dtls","cnf":{"osc":{"id":"01","ms":"02"}}}""",
            """{"access_token":"d001","ace_profile":"coap_dtls","cnf":{"COSE_Key":{"kty":2,"kid":"01","k":"02"}}}""",
            """{"access_token":"d001","ace_profile":"coap_dtls","cnf":{"COSE_Key":{"kid":"","k":"02"}}}""",
            """{"access_token":"d001","ace_profile":"coap_dtls","rs_cnf":{"COSE_Key":"a10104"}}""",
            """{"access_token":"d001","ace_profile":"coap_dtls","rs_cnf":{"COSE_Key":"zz"}}""",
        })
        {
            Assert.Throws<FormatException>(() => AccessTokenFile.Parse(System.Text.Encoding.UTF8.GetBytes(bad)));
        }
    }
}
