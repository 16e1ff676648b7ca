using System;
using System.Security.Cryptography;

using PopIoT.Core.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Crypto.CryptoTestSupport;

namespace PopIoT.Core.Tests.Crypto;

public class HmacSha256Tests
{
    /// <summary>RFC 4231 §4.2-§4.8, test cases 1-7, HMAC-SHA-256 column (case 5 truncated to 128 bits, §4.6).</summary>
    public static TheoryData<string, int, string, string, string> Rfc4231 => Build();

    [Theory]
    [MemberData(nameof(Rfc4231))]
    public void Rfc4231_test_cases(string provider, int testCase, string keyHex, string dataHex, string expected)
    {
        byte[] key = Hex(keyHex);
        byte[] data = Hex(dataHex);
        using IMac mac = Provider(provider).CreateHmacSha256(key, 0, key.Length);
        byte[] full = Mac(mac, data);
        Assert.True(expected == ToHex(full)[..expected.Length], $"RFC 4231 test case {testCase}");

        // Final resets to the keyed state: the same object gives the same MAC again, also byte by byte.
        for (int i = 0; i < data.Length; i++)
        {
            mac.Update(data, i, 1);
        }

        var again = new byte[32];
        mac.Final(again, 0);
        Assert.Equal(full, again);
    }

    [Fact]
    public void Reset_keeps_the_key_and_discards_the_data()
    {
        byte[] key = Hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        using var mac = new HmacSha256(key, 0, key.Length);
        mac.Update(new byte[] { 9, 9, 9 }, 0, 3);
        mac.Reset();
        byte[] data = "Hi There"u8.ToArray();
        Assert.Equal("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", ToHex(Mac(mac, data)));
    }

    [Fact]
    public void Key_is_copied_and_an_offset_key_works()
    {
        byte[] buffer = new byte[30];
        Array.Fill(buffer, (byte)0x0b, 5, 20);
        var mac = new HmacSha256(buffer, 5, 20);
        Array.Clear(buffer);
        Assert.Equal("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", ToHex(Mac(mac, "Hi There"u8.ToArray())));
    }

    [Fact]
    public void Key_lengths_around_the_block_size_match_the_platform()
    {
        // RFC 2104 §2: keys up to B = 64 bytes are zero-padded, longer ones hashed first.
        var rng = SeededRandomSource.NewRandom(2104);
        byte[] data = RandomBytes(rng, 100);
        for (int length = 0; length <= 130; length++)
        {
            byte[] key = RandomBytes(rng, length);
            using var mac = new HmacSha256(key, 0, length);
            Assert.Equal(HMACSHA256.HashData(key, data), Mac(mac, data));
        }
    }

    [Fact]
    public void Dispose_erases_the_keyed_state_and_blocks_use()
    {
        byte[] key = Hex("4a656665");
        var mac = new HmacSha256(key, 0, key.Length);
        uint[] inner = mac._innerState;
        uint[] outer = mac._outerState;
        Assert.Contains(inner, w => w != 0);
        mac.Dispose();
        Assert.All(inner, w => Assert.Equal(0u, w));
        Assert.All(outer, w => Assert.Equal(0u, w));
        Assert.Throws<ObjectDisposedException>(() => mac.Update(new byte[1], 0, 1));
        Assert.Throws<ObjectDisposedException>(() => mac.Final(new byte[32], 0));
    }

    [Fact]
    public void Platform_dispose_blocks_use()
    {
        var mac = PopIoT.Crypto.PlatformCryptoProvider.Instance.CreateHmacSha256(new byte[16], 0, 16);
        mac.Dispose();
        Assert.Throws<ObjectDisposedException>(() => mac.Update(new byte[1], 0, 1));
    }

    [Theory]
    [MemberData(nameof(CryptoTestSupport.Providers), MemberType = typeof(CryptoTestSupport))]
    public void Bad_ranges_are_refused(string provider)
    {
        ICryptoProvider p = Provider(provider);
        Assert.Throws<ArgumentException>(() => p.CreateHmacSha256(new byte[10], 5, 6));
        Assert.Throws<ArgumentException>(() => p.CreateHmacSha256(null!, 0, 1));
        using IMac mac = p.CreateHmacSha256(null!, 0, 0);
        Assert.Throws<ArgumentException>(() => mac.Update(new byte[3], 1, 3));
        Assert.Throws<ArgumentException>(() => mac.Final(new byte[40], 9));
    }

    private static TheoryData<string, int, string, string, string> Build()
    {
        string aa131 = new('a', 262);
        (int, string, string, string)[] cases =
        {
            // RFC 4231 §4.2 Test Case 1.
            (1, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),

            // RFC 4231 §4.3 Test Case 2 ("Jefe", "what do ya want for nothing?").
            (2, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),

            // RFC 4231 §4.4 Test Case 3.
            (3, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", new string('d', 100), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),

            // RFC 4231 §4.5 Test Case 4.
            (4, "0102030405060708090a0b0c0d0e0f10111213141516171819", string.Concat(System.Linq.Enumerable.Repeat("cd", 50)), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),

            // RFC 4231 §4.6 Test Case 5 ("Test With Truncation"), output truncated to 128 bits.
            (5, "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "546573742057697468205472756e636174696f6e", "a3b6167473100ee06e0c796c2955552b"),

            // RFC 4231 §4.7 Test Case 6 (131-byte key, hashed first).
            (6, aa131, "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),

            // RFC 4231 §4.8 Test Case 7 (131-byte key and 152-byte data).
            (7, aa131, "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e", "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        };
        var data = new TheoryData<string, int, string, string, string>();
        foreach (string provider in new[] { Managed, Platform })
        {
            foreach ((int n, string key, string msg, string mac) in cases)
            {
                data.Add(provider, n, key, msg, mac);
            }
        }

        return data;
    }
}
