using System;

using PopIoT.Core.Crypto;

using Xunit;

namespace PopIoT.Core.Tests.Crypto;

public class CryptoBytesTests
{
    [Fact]
    public void FixedTimeEquals_compares_the_given_ranges()
    {
        byte[] a = { 9, 1, 2, 3, 4 };
        byte[] b = { 1, 2, 3, 4, 7, 7 };
        Assert.True(CryptoBytes.FixedTimeEquals(a, 1, b, 0, 4));
        Assert.False(CryptoBytes.FixedTimeEquals(a, 0, b, 0, 4));
        Assert.True(CryptoBytes.FixedTimeEquals(a, 0, b, 0, 0));
        Assert.True(CryptoBytes.FixedTimeEquals(a, 5, b, 6, 0));
        Assert.True(CryptoBytes.FixedTimeEquals(a, 2, a, 2, 3));
    }

    [Fact]
    public void FixedTimeEquals_finds_every_single_bit_difference()
    {
        var rng = SeededRandomSource.NewRandom(3);
        byte[] a = new byte[32];
        rng.NextBytes(a);
        for (int bit = 0; bit < 256; bit++)
        {
            byte[] b = (byte[])a.Clone();
            b[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(CryptoBytes.FixedTimeEquals(a, 0, b, 0, 32));
        }

        Assert.True(CryptoBytes.FixedTimeEquals(a, 0, (byte[])a.Clone(), 0, 32));
    }

    [Fact]
    public void FixedTimeEquals_handles_all_byte_values()
    {
        // The result is derived from bit 31 of (difference - 1); check the extremes 0x00/0xFF and 0x80.
        for (int x = 0; x < 256; x++)
        {
            for (int y = 0; y < 256; y += 17)
            {
                Assert.Equal(x == y, CryptoBytes.FixedTimeEquals(new[] { (byte)x }, 0, new[] { (byte)y }, 0, 1));
            }
        }
    }

    [Fact]
    public void FixedTimeEquals_refuses_bad_ranges()
    {
        Assert.Throws<ArgumentException>(() => CryptoBytes.FixedTimeEquals(new byte[3], 0, new byte[4], 0, 4));
        Assert.Throws<ArgumentException>(() => CryptoBytes.FixedTimeEquals(new byte[4], 0, new byte[4], 1, 4));
        Assert.Throws<ArgumentException>(() => CryptoBytes.FixedTimeEquals(new byte[4], -1, new byte[4], 0, 1));
        Assert.Throws<ArgumentException>(() => CryptoBytes.FixedTimeEquals(new byte[4], 0, new byte[4], 0, -1));
        Assert.Throws<ArgumentException>(() => CryptoBytes.FixedTimeEquals(null!, 0, new byte[4], 0, 1));
    }

    [Fact]
    public void Clear_erases_exactly_the_range()
    {
        byte[] a = { 1, 2, 3, 4, 5 };
        CryptoBytes.Clear(a, 1, 3);
        Assert.Equal(new byte[] { 1, 0, 0, 0, 5 }, a);
        CryptoBytes.Clear(a);
        Assert.All(a, x => Assert.Equal(0, x));
        CryptoBytes.Clear(null!);
        CryptoBytes.Clear(null!, 0, 0);
        Assert.Throws<ArgumentException>(() => CryptoBytes.Clear(a, 3, 3));
    }
}
