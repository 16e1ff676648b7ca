using System;
using System.Security.Cryptography;

using PopIoT.Core.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Crypto.CryptoTestSupport;

namespace PopIoT.Core.Tests.Crypto;

public class HkdfTests
{
    // RFC 5869 Appendix A.1 (basic), A.2 (longer inputs and outputs), A.3 (zero-length salt and info).
    [Theory]
    [InlineData("A.1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", 42,
        "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")]
    [InlineData("A.2",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f",
        "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
        "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        82,
        "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
        "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87")]
    [InlineData("A.3", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
        "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")]
    public void Rfc5869_appendix_a(string name, string ikmHex, string saltHex, string infoHex, int length, string prkHex, string okmHex)
    {
        byte[] ikm = Hex(ikmHex);
        byte[] salt = Hex(saltHex);
        byte[] info = Hex(infoHex);
        using var hkdf = new Hkdf();

        var prk = new byte[32];
        hkdf.Extract(ByteRange.Of(salt), ByteRange.Of(ikm), prk, 0);
        Assert.True(prkHex == ToHex(prk), name + " PRK");

        var okm = new byte[length];
        hkdf.Expand(new ByteRange(prk, 0, 32), ByteRange.Of(info), okm, 0, length);
        Assert.True(okmHex == ToHex(okm), name + " OKM");

        var derived = new byte[length + 3];
        hkdf.DeriveKey(new ByteRange(salt.Length == 0 ? null : salt, 0, salt.Length), ByteRange.Of(ikm), new ByteRange(info.Length == 0 ? null : info, 0, info.Length), derived, 3, length);
        Assert.Equal(okmHex, ToHex(derived[3..]));

        // The platform (System.Security.Cryptography.HKDF) agrees on the same vector.
        Assert.Equal(prkHex, ToHex(HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt)));
        Assert.Equal(okmHex, ToHex(HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, length, salt, info)));
    }

    [Fact]
    public void Output_length_limits_follow_rfc5869()
    {
        using var hkdf = new Hkdf();
        byte[] prk = new byte[32];
        var big = new byte[255 * 32 + 1];

        // RFC 5869 §2.3: L <= 255*HashLen.
        hkdf.Expand(new ByteRange(prk, 0, 32), default, big, 0, 255 * 32);
        Assert.Equal(HKDF.Expand(HashAlgorithmName.SHA256, prk, 255 * 32), big[..(255 * 32)]);
        Assert.Throws<ArgumentException>(() => hkdf.Expand(new ByteRange(prk, 0, 32), default, big, 0, 255 * 32 + 1));
        Assert.Throws<ArgumentException>(() => hkdf.Expand(new ByteRange(prk, 0, 31), default, big, 0, 16));
        Assert.Throws<ArgumentException>(() => hkdf.Expand(new ByteRange(prk, 0, 32), default, new byte[10], 0, 11));
        Assert.Throws<ArgumentException>(() => hkdf.Extract(default, default, new byte[31], 0));

        hkdf.Expand(new ByteRange(prk, 0, 32), default, big, 0, 0);
    }

    [Fact]
    public void Differential_against_platform_hkdf_2000_cases()
    {
        var rng = SeededRandomSource.NewRandom(5869);
        using var hkdf = new Hkdf();
        for (int i = 0; i < 2000; i++)
        {
            byte[] ikm = RandomBytes(rng, rng.Next(0, 100));
            byte[] salt = RandomBytes(rng, rng.Next(0, 100));
            byte[] info = RandomBytes(rng, rng.Next(0, 100));
            // The platform refuses L = 0 (RFC 5869 allows it); Output_length_limits covers L = 0 for ours.
            int length = rng.Next(1, 300);
            var okm = new byte[length];
            hkdf.DeriveKey(ByteRange.Of(salt), ByteRange.Of(ikm), ByteRange.Of(info), okm, 0, length);
            Assert.Equal(HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, length, salt, info), okm);
        }
    }

    [Fact]
    public void Dispose_blocks_use()
    {
        var hkdf = new Hkdf();
        hkdf.Dispose();
        Assert.Throws<ObjectDisposedException>(() => hkdf.Extract(default, default, new byte[32], 0));
    }
}
