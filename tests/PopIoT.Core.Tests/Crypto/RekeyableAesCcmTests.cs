using System;

using PopIoT.Core.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Crypto.CryptoTestSupport;

namespace PopIoT.Core.Tests.Crypto;

/// <summary>
/// The re-keyable AES-CCM that a resource server's contexts share (IRekeyableAead): loading a key in place gives the
/// same bytes as a cipher created with that key, a cleared cipher refuses to work, and it never allocates.
/// </summary>
public class RekeyableAesCcmTests
{
    [Fact]
    public void Rfc3610_packet_vectors_through_one_cipher_rekeyed_for_each()
    {
        using var shared = new AesCcm(2);
        int checkedVectors = 0;
        foreach (System.Text.Json.JsonElement v in AesCcmTests.LoadVectors().EnumerateArray())
        {
            if (v.TryGetProperty("must_fail", out System.Text.Json.JsonElement f) && f.GetBoolean())
            {
                continue;
            }

            byte[] key = Hex(v.GetProperty("key").GetString()!);
            byte[] nonce = Hex(v.GetProperty("nonce").GetString()!);
            byte[] aad = Hex(v.GetProperty("aad").GetString()!);
            byte[] plaintext = Hex(v.GetProperty("plaintext").GetString()!);
            byte[] tag = Hex(v.GetProperty("tag").GetString()!);
            shared.SetKey(key, 0, key.Length, tag.Length);
            Assert.Equal(tag.Length, shared.TagSize);
            var ct = new byte[plaintext.Length];
            var t = new byte[tag.Length];
            shared.Encrypt(ByteRange.Of(nonce), ByteRange.Of(plaintext), ct, 0, t, 0, ByteRange.Of(aad));
            Assert.Equal(ToHex(Hex(v.GetProperty("ciphertext").GetString()!)), ToHex(ct));
            Assert.Equal(ToHex(tag), ToHex(t));
            shared.ClearKey();
            checkedVectors++;
        }

        Assert.Equal(7, checkedVectors);
    }

    [Theory]
    [InlineData(16, 8)]
    [InlineData(32, 8)]
    [InlineData(16, 16)]
    [InlineData(32, 16)]
    public void Alternating_keys_match_ciphers_created_with_each_key(int keyLength, int tagSize)
    {
        var rng = SeededRandomSource.NewRandom(keyLength * 31 + tagSize);
        byte[] k1 = RandomBytes(rng, keyLength);
        byte[] k2 = RandomBytes(rng, keyLength);
        using var a = new AesCcm(k1, 0, keyLength, tagSize, 2);
        using var b = new AesCcm(k2, 0, keyLength, tagSize, 2);
        using var shared = new AesCcm(2);
        for (int i = 0; i < 50; i++)
        {
            byte[] nonce = RandomBytes(rng, 13);
            byte[] aad = RandomBytes(rng, rng.Next(0, 40));
            byte[] plain = RandomBytes(rng, rng.Next(0, 100));
            AesCcm reference = (i & 1) == 0 ? a : b;
            byte[] key = (i & 1) == 0 ? k1 : k2;

            var expected = new byte[plain.Length + tagSize];
            reference.Encrypt(new ByteRange(nonce, 0, 13), ByteRange.Of(plain), expected, 0, expected, plain.Length, ByteRange.Of(aad));
            shared.SetKey(key, 0, keyLength, tagSize);
            var actual = new byte[plain.Length + tagSize];
            shared.Encrypt(new ByteRange(nonce, 0, 13), ByteRange.Of(plain), actual, 0, actual, plain.Length, ByteRange.Of(aad));
            Assert.Equal(ToHex(expected), ToHex(actual));

            var back = new byte[plain.Length];
            Assert.True(shared.Decrypt(new ByteRange(nonce, 0, 13), new ByteRange(actual, 0, plain.Length), actual, plain.Length, back, 0, ByteRange.Of(aad)));
            Assert.Equal(plain, back);
            shared.ClearKey();
        }
    }

    [Fact]
    public void A_cleared_or_never_keyed_cipher_refuses_to_encrypt_or_decrypt()
    {
        using var shared = new AesCcm(2);
        var nonce = new byte[13];
        var buffer = new byte[24];
        Assert.Throws<InvalidOperationException>(() => Seal(shared, nonce, buffer));
        shared.SetKey(new byte[16], 0, 16, 8);
        shared.Encrypt(new ByteRange(nonce, 0, 13), new ByteRange(buffer, 0, 16), buffer, 0, buffer, 16, default);
        shared.ClearKey();
        Assert.Throws<InvalidOperationException>(() => { shared.Decrypt(new ByteRange(nonce, 0, 13), new ByteRange(buffer, 0, 16), buffer, 16, new byte[16], 0, default); });
    }

    [Fact]
    public void Bad_keys_and_tag_sizes_are_refused_and_a_ccm_over_a_callers_cipher_cannot_rekey()
    {
        using var shared = new AesCcm(2);
        Assert.Throws<ArgumentException>(() => Load(shared, new byte[15], 0, 15, 8));
        Assert.Throws<ArgumentException>(() => Load(shared, new byte[16], 0, 16, 7));
        Assert.Throws<ArgumentException>(() => Load(shared, new byte[16], 4, 16, 8));
        using var overBlock = new AesCcm(new Aes(new byte[16], 0, 16), 8, 2);
        using var overPlatform = new AesCcm(Provider(Platform).CreateAes(new byte[16], 0, 16), 8, 2);
        overBlock.SetKey(new byte[16], 0, 16, 8);
        Assert.Throws<NotSupportedException>(() => Load(overPlatform, new byte[16], 0, 16, 8));
        shared.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Load(shared, new byte[16], 0, 16, 8));
    }

    [Fact]
    public void Rekeying_and_protecting_allocate_nothing()
    {
        using var shared = new AesCcm(2);
        byte[] key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var nonce = new byte[13];
        var buffer = new byte[64];
        for (int i = 0; i < 10; i++)
        {
            shared.SetKey(key, i & 1, 16, 8);
            shared.Encrypt(new ByteRange(nonce, 0, 13), new ByteRange(buffer, 0, 48), buffer, 0, buffer, 48, default);
            shared.ClearKey();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            shared.SetKey(key, i & 1, 16, 8);
            shared.Encrypt(new ByteRange(nonce, 0, 13), new ByteRange(buffer, 0, 48), buffer, 0, buffer, 48, default);
            shared.ClearKey();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void The_managed_provider_makes_one_and_the_platform_provider_does_not_claim_to()
    {
        IRekeyableAeadProvider managed = Assert.IsAssignableFrom<IRekeyableAeadProvider>(Provider(Managed));
        using IRekeyableAead c = managed.CreateRekeyableAesCcm(2);
        Assert.Equal(13, c.NonceSize);
        Assert.False(Provider(Platform) is IRekeyableAeadProvider);
    }

    private static void Load(AesCcm ccm, byte[] key, int offset, int length, int tagSize) => ccm.SetKey(key, offset, length, tagSize);

    private static void Seal(AesCcm ccm, byte[] nonce, byte[] buffer) => ccm.Encrypt(new ByteRange(nonce, 0, 13), new ByteRange(buffer, 0, 16), buffer, 0, buffer, 16, default);
}
