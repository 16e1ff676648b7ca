using System.Security.Cryptography;

using PopIoT.Core.Crypto;
using PopIoT.Firmware;

using Xunit;

namespace PopIoT.Tests.Firmware;

/// <summary>
/// Core's incremental HMAC over a one-shot native HMAC (the shape of nanoFramework's HMACSHA256.HashData; the
/// desktop's stands in for it): the same MAC as Core's managed HMAC-SHA256 for any key, data and chunking, also past
/// the buffer where it moves to the managed code, with RFC 4231's test case 2 as a fixed vector.
/// </summary>
public class BufferedHmacSha256Tests
{
    private sealed class DesktopOneShot : IHmacSha256Function
    {
        public int Calls { get; private set; }

        public byte[] Compute(byte[] key, byte[] data)
        {
            Calls++;
            return HMACSHA256.HashData(key, data);
        }
    }

    [Fact]
    public void Rfc_4231_test_case_2()
    {
        byte[] key = "Jefe"u8.ToArray();
        byte[] data = "what do ya want for nothing?"u8.ToArray();
        var native = new DesktopOneShot();
        using var mac = new BufferedHmacSha256(native, key, 0, key.Length, 64);
        byte[] output = new byte[40];

        mac.Update(data, 0, 10);
        mac.Update(data, 10, data.Length - 10);
        mac.Final(output, 8);

        Assert.Equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", Convert.ToHexStringLower(output, 8, 32));
        Assert.Equal(1, native.Calls);
    }

    [Fact]
    public void Any_key_data_and_chunking_give_the_managed_mac_natively_or_past_the_buffer()
    {
        var random = SeededRandomSource.NewRandom(31);
        for (int i = 0; i < 300; i++)
        {
            byte[] key = new byte[random.Next(0, 100)];
            byte[] data = new byte[random.Next(0, 300)];
            random.NextBytes(key);
            random.NextBytes(data);
            int capacity = random.Next(0, 2) == 0 ? 512 : random.Next(0, 100);
            var native = new DesktopOneShot();
            using var buffered = new BufferedHmacSha256(native, key, 0, key.Length, capacity);
            using var managed = new HmacSha256(key, 0, key.Length);
            for (int round = 0; round < 2; round++)
            {
                int at = 0;
                while (at < data.Length)
                {
                    int n = random.Next(1, data.Length - at + 1);
                    buffered.Update(data, at, n);
                    managed.Update(data, at, n);
                    at += n;
                }

                Assert.Equal(data.Length > capacity, buffered.UsingFallback);
                byte[] a = new byte[32];
                byte[] b = new byte[32];
                buffered.Final(a, 0);
                managed.Final(b, 0);
                Assert.Equal(b, a);
                Assert.False(buffered.UsingFallback);
            }

            Assert.Equal(data.Length > capacity ? 0 : 2, native.Calls);
        }
    }

    [Fact]
    public void Reset_discards_the_data_and_dispose_ends_the_object()
    {
        byte[] key = [1, 2, 3];
        var mac = new BufferedHmacSha256(new DesktopOneShot(), key, 0, 3, 16);
        mac.Update([9, 9, 9], 0, 3);
        mac.Reset();
        byte[] a = new byte[32];
        mac.Final(a, 0);
        Assert.Equal(HMACSHA256.HashData(key, Array.Empty<byte>()), a);

        Assert.Throws<ArgumentException>(() => mac.Final(new byte[31], 0));
        Assert.Throws<ArgumentException>(() => mac.Update([1], 1, 1));
        mac.Dispose();
        Assert.Throws<ObjectDisposedException>(() => mac.Update([1], 0, 1));
        Assert.Throws<ArgumentException>(() => new BufferedHmacSha256(null!, key, 0, 3, 16));
    }
}
