using System;
using System.Linq;
using System.Security.Cryptography;

using PopIoT.Core.Dtls;

using Xunit;

namespace PopIoT.Core.Tests.Dtls;

/// <summary>The TLS 1.2 PRF with SHA-256 (RFC 5246 §5).</summary>
public class DtlsPrfTests
{
    [Fact]
    public void Published_tls12_prf_sha256_vector()
    {
        // Test vector posted to the IETF TLS list, "TLS 1.2 PRF test vectors" (mail-archive msg03416,
        // https://www.ietf.org/mail-archive/web/tls/current/msg03416.html): secret, seed, label "test label", 100 bytes.
        byte[] secret = Convert.FromHexString("9bbe436ba940f017b17652849a71db35");
        byte[] seed = Convert.FromHexString("a0ba9f936cda311827a6f796ffd5198c");
        byte[] expected = Convert.FromHexString(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af"
            + "0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff7"
            + "0187347b66");
        using var prf = new DtlsPrf(64);
        prf.Begin();
        Assert.True(prf.Append(ByteRange.Of("test label"u8.ToArray())));
        Assert.True(prf.Append(ByteRange.Of(seed)));
        byte[] output = new byte[100];
        prf.Expand(ByteRange.Of(secret), output, 0, 100);
        Assert.Equal(expected, output);
    }

    [Fact]
    public void Matches_p_sha256_built_on_the_platform_hmac_for_random_inputs()
    {
        var random = SeededRandomSource.NewRandom(15);
        using var prf = new DtlsPrf(200);
        for (int round = 0; round < 200; round++)
        {
            byte[] secret = new byte[random.Next(0, 100)];
            byte[] seed = new byte[random.Next(0, 200)];
            random.NextBytes(secret);
            random.NextBytes(seed);
            int length = random.Next(1, 150);
            prf.Begin();
            Assert.True(prf.Append(ByteRange.Of(seed)));
            byte[] ours = new byte[length];
            prf.Expand(ByteRange.Of(secret), ours, 0, length);
            Assert.Equal(PlatformPSha256(secret, seed, length), ours);
        }
    }

    [Fact]
    public void A_seed_larger_than_the_buffer_is_refused_not_truncated()
    {
        using var prf = new DtlsPrf(8);
        prf.Begin();
        Assert.False(prf.Append(ByteRange.Of(new byte[9])));
        Assert.Throws<InvalidOperationException>(() => prf.Expand(ByteRange.Of(new byte[16]), new byte[12], 0, 12));
    }

    // RFC 5246 §5, written independently over System.Security.Cryptography.HMACSHA256.
    private static byte[] PlatformPSha256(byte[] secret, byte[] seed, int length)
    {
        byte[] result = new byte[length];
        byte[] a = HMACSHA256.HashData(secret, seed);
        int done = 0;
        while (done < length)
        {
            byte[] block = HMACSHA256.HashData(secret, a.Concat(seed).ToArray());
            int n = Math.Min(block.Length, length - done);
            Array.Copy(block, 0, result, done, n);
            done += n;
            a = HMACSHA256.HashData(secret, a);
        }

        return result;
    }
}
