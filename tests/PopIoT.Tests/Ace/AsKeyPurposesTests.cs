using PopIoT.Ace;
using PopIoT.Core.Ace;
using PopIoT.Core.Cose;
using PopIoT.Crypto;
using PopIoT.Device;
using Xunit;

namespace PopIoT.Tests.Ace;

/// <summary>How a device gives each AS–RS key one purpose (docs/ace-rs.md, Key purposes), and the minter's side of it.</summary>
public sealed class AsKeyPurposesTests
{
    private static CoseKey Mac(params int[] ops) => WithOps(CoseKey.Symmetric(Fill(32, 0x11), CoseAlgorithm.Hmac256_64.Id, null), ops);

    private static CoseKey Aead(byte fill = 0x22, params int[] ops) => WithOps(CoseKey.Symmetric(Fill(16, fill), CoseAlgorithm.AesCcm16_64_128.Id, null), ops);

    [Fact]
    public void The_protection_implied_by_a_key_set_leaves_the_AEAD_key_of_a_mac0_set_to_the_cnf()
    {
        using CoseKey mac = Mac();
        using CoseKey aead = Aead();
        Assert.Equal(TokenProtection.Mac0, AsKeyPurposes.InferProtection([mac, aead]));
        Assert.Equal(TokenProtection.Encrypt0, AsKeyPurposes.InferProtection([aead]));
        using var engine = Engine();
        AsKeyPurposes.Apply(engine, [mac, aead], TokenProtection.Mac0);
        Assert.Equal(CoseTag.Mac0, engine.TokenProtection);
    }

    [Fact]
    public void A_key_set_that_gives_a_key_two_purposes_or_a_purpose_two_keys_is_refused_naming_the_key()
    {
        using CoseKey both = Aead(0x22, CoseKeyOperation.Decrypt, CoseKeyOperation.UnwrapKey);
        using CoseKey mac = Mac();
        Assert.Contains("allow both decrypting tokens and unwrapping cnf keys", Refused([mac, both], TokenProtection.Mac0, ["mac.key", "both.key"]), StringComparison.Ordinal);
        Assert.StartsWith("both.key: ", Refused([mac, both], TokenProtection.Mac0, ["mac.key", "both.key"]), StringComparison.Ordinal);

        using CoseKey a = Aead(0x22);
        using CoseKey b = Aead(0x33);
        Assert.Contains("a second key to decrypt Encrypt0 tokens", Refused([a, b], TokenProtection.Encrypt0, null), StringComparison.Ordinal);
        Assert.Contains("AS–RS key 2", Refused([a, b], TokenProtection.Encrypt0, null), StringComparison.Ordinal);

        // A MAC key on an encrypt0 device would verify Mac0 tokens beside the Encrypt0 ones.
        Assert.Contains("a MAC key has no purpose on this encrypt0 device", Refused([a, mac], TokenProtection.Encrypt0, null), StringComparison.Ordinal);
    }

    [Fact]
    public void A_derivation_key_serves_the_dtls_profile_only_and_only_with_derive_key_alone()
    {
        using CoseKey mac = Mac();
        using CoseKey kdk = WithOps(CoseKey.Symmetric(Fill(32, 0x33), 0, null), [CoseKeyOperation.DeriveKey]);
        AsKeySelection selected = AsKeyPurposes.Select([mac, kdk], TokenProtection.Mac0);
        Assert.Same(kdk, selected.DerivationKey);

        // RFC 9202 §3.3: on a device that serves coap_dtls the key derives PSKs; on an OSCORE-only one it has no purpose.
        using var dtls = new AceResourceServer(new AceRsSettings("rs", "coap://as") { ServesDtls = true }, PlatformCryptoProvider.Instance);
        AsKeyPurposes.Apply(dtls, [mac, kdk], TokenProtection.Mac0);
        Assert.True(dtls.HasDtlsKeyDerivationKey);
        using var oscore = Engine();
        Assert.Contains("--profile dtls", Assert.Throws<ArgumentException>(() => AsKeyPurposes.Apply(oscore, [mac, kdk], TokenProtection.Mac0)).Message, StringComparison.Ordinal);

        // RFC 9052 §7.1: derive key mixed with another purpose is refused.
        using CoseKey mixed = WithOps(CoseKey.Symmetric(Fill(32, 0x44), 0, null), [CoseKeyOperation.DeriveKey, CoseKeyOperation.MacVerify]);
        Assert.Contains("derive key", Refused([mac, mixed], TokenProtection.Mac0, ["a.key", "mixed.key"]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_cnf_key_alone_is_no_token_key()
    {
        using CoseKey cnf = Aead(0x22, CoseKeyOperation.WrapKey, CoseKeyOperation.UnwrapKey);
        Assert.Contains("no key to decrypt Encrypt0 tokens", Refused([cnf], AsKeyPurposes.InferProtection([cnf]), null), StringComparison.Ordinal);
    }

    [Fact]
    public void The_minter_gives_an_AEAD_key_the_purpose_its_key_ops_name_and_refuses_a_devices_key()
    {
        using CoseKey mac = Mac();
        using CoseKey cnf = Aead(0x22, CoseKeyOperation.WrapKey, CoseKeyOperation.UnwrapKey);
        using (var minter = new AccessTokenMinter([mac, cnf]))
        {
            Assert.Equal(TokenProtection.Mac0, minter.Mint(new TokenMintRequest { Audience = "a", Scope = AccessScope.Parse("read") }).Protection);
            Assert.Contains("needs an AEAD", Assert.Throws<ArgumentException>(() => minter.Mint(new TokenMintRequest { Audience = "a", Scope = AccessScope.Parse("read"), Protection = TokenProtection.Encrypt0 })).Message, StringComparison.Ordinal);
        }

        using CoseKey deviceSide = Aead(0x22, CoseKeyOperation.UnwrapKey);
        Assert.Contains("this one is a device's key", Assert.Throws<ArgumentException>(() => new AccessTokenMinter([mac, deviceSide])).Message, StringComparison.Ordinal);
    }

    private static string Refused(IReadOnlyList<CoseKey> keys, TokenProtection protection, IReadOnlyList<string>? names)
    {
        using var engine = Engine();
        return Assert.Throws<ArgumentException>(() => AsKeyPurposes.Apply(engine, keys, protection, names)).Message;
    }

    private static AceResourceServer Engine() => new(new AceRsSettings("a", "coap://as"), PlatformCryptoProvider.Instance);

    private static CoseKey WithOps(CoseKey key, int[] ops)
    {
        if (ops.Length > 0)
        {
            key.SetKeyOperations(ops);
        }

        return key;
    }

    private static byte[] Fill(int n, byte b) => Enumerable.Repeat(b, n).ToArray();
}
