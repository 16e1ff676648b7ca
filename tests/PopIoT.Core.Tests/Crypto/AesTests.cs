using System;

using PopIoT.Core.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Crypto.CryptoTestSupport;

namespace PopIoT.Core.Tests.Crypto;

public class AesTests
{
    private const string Plaintext = "00112233445566778899aabbccddeeff";

    // FIPS 197 Appendix C.1 (AES-128), C.2 (AES-192), C.3 (AES-256), and Appendix B (the cipher example).
    [Theory]
    [InlineData(Managed, "000102030405060708090a0b0c0d0e0f", Plaintext, "69c4e0d86a7b0430d8cdb78070b4c55a")]
    [InlineData(Platform, "000102030405060708090a0b0c0d0e0f", Plaintext, "69c4e0d86a7b0430d8cdb78070b4c55a")]
    [InlineData(Managed, "000102030405060708090a0b0c0d0e0f1011121314151617", Plaintext, "dda97ca4864cdfe06eaf70a0ec0d7191")]
    [InlineData(Platform, "000102030405060708090a0b0c0d0e0f1011121314151617", Plaintext, "dda97ca4864cdfe06eaf70a0ec0d7191")]
    [InlineData(Managed, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", Plaintext, "8ea2b7ca516745bfeafc49904b496089")]
    [InlineData(Platform, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", Plaintext, "8ea2b7ca516745bfeafc49904b496089")]
    [InlineData(Managed, "2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734", "3925841d02dc09fbdc118597196a0b32")]
    [InlineData(Platform, "2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734", "3925841d02dc09fbdc118597196a0b32")]
    public void Fips197_appendix_vectors(string provider, string keyHex, string plaintextHex, string expected)
    {
        byte[] key = Hex(keyHex);
        using IBlockCipher aes = Provider(provider).CreateAes(key, 0, key.Length);
        Assert.Equal(16, aes.BlockSize);

        // At an offset, into a separate array.
        byte[] input = new byte[20];
        Hex(plaintextHex).CopyTo(input, 3);
        byte[] output = new byte[20];
        aes.EncryptBlock(input, 3, output, 4);
        Assert.Equal(expected, ToHex(output[4..20]));

        // In place.
        aes.EncryptBlock(input, 3, input, 3);
        Assert.Equal(expected, ToHex(input[3..19]));
    }

    [Theory]
    [MemberData(nameof(CryptoTestSupport.Providers), MemberType = typeof(CryptoTestSupport))]
    public void Wrong_key_sizes_are_refused(string provider)
    {
        ICryptoProvider p = Provider(provider);
        foreach (int size in new[] { 0, 1, 8, 15, 17, 20, 23, 25, 31, 33, 64 })
        {
            var ex = Assert.Throws<ArgumentException>(() => p.CreateAes(new byte[64], 0, size));
            Assert.Contains("16, 24 or 32", ex.Message, StringComparison.Ordinal);
        }

        Assert.Throws<ArgumentException>(() => p.CreateAes(new byte[16], 1, 16));
        Assert.Throws<ArgumentException>(() => p.CreateAes(null!, 0, 16));
    }

    [Theory]
    [MemberData(nameof(CryptoTestSupport.Providers), MemberType = typeof(CryptoTestSupport))]
    public void Blocks_that_do_not_fit_are_refused(string provider)
    {
        using IBlockCipher aes = Provider(provider).CreateAes(new byte[16], 0, 16);
        Assert.Throws<ArgumentException>(() => aes.EncryptBlock(new byte[16], 1, new byte[16], 0));
        Assert.Throws<ArgumentException>(() => aes.EncryptBlock(new byte[16], 0, new byte[15], 0));
        Assert.Throws<ArgumentException>(() => aes.EncryptBlock(null!, 0, new byte[16], 0));
    }

    [Fact]
    public void Key_material_never_appears_in_exception_messages()
    {
        byte[] key = Hex("deadbeefdeadbeefdeadbeefdeadbe");
        var ex = Assert.Throws<ArgumentException>(() => new Aes(key, 0, key.Length));
        Assert.DoesNotContain("dead", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("DE-AD", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Dispose_erases_the_round_keys_and_blocks_use()
    {
        byte[] key = Hex("000102030405060708090a0b0c0d0e0f");
        var aes = new Aes(key, 0, 16);
        uint[] roundKeys = aes._roundKeys;
        Assert.Contains(roundKeys, w => w != 0);
        aes.Dispose();
        Assert.All(roundKeys, w => Assert.Equal(0u, w));
        Assert.Throws<ObjectDisposedException>(() => aes.EncryptBlock(new byte[16], 0, new byte[16], 0));
    }

    [Fact]
    public void Platform_dispose_blocks_use()
    {
        IBlockCipher aes = PopIoT.Crypto.PlatformCryptoProvider.Instance.CreateAes(new byte[16], 0, 16);
        aes.Dispose();
        Assert.Throws<ObjectDisposedException>(() => aes.EncryptBlock(new byte[16], 0, new byte[16], 0));
    }
}
