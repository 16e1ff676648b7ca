using System;
using System.Security.Cryptography;
using System.Text;

using PopIoT.Core.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Crypto.CryptoTestSupport;

namespace PopIoT.Core.Tests.Crypto;

public class Sha256Tests
{
    // FIPS 180-4 examples as published by NIST (CSRC "Cryptographic Standards and Guidelines: Examples
    // with Intermediate Values", SHA256.pdf): one-block "abc", the 448-bit two-block message, and
    // one million 'a' (also listed in FIPS 180-2 Appendix B.1-B.3). The empty-string digest is the
    // well-known SHA-256("") from NIST's SHAVS short-message vectors (Len = 0).
    [Theory]
    [InlineData(Managed, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData(Platform, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData(Managed, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    [InlineData(Platform, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    [InlineData(Managed, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData(Platform, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public void Fips180_examples(string provider, string message, string expected)
    {
        using IHash hash = Provider(provider).CreateSha256();
        Assert.Equal(expected, ToHex(Digest(hash, Encoding.ASCII.GetBytes(message))));

        // Final resets: the same object hashes the next message from scratch.
        Assert.Equal(expected, ToHex(Digest(hash, Encoding.ASCII.GetBytes(message))));
    }

    [Theory]
    [MemberData(nameof(CryptoTestSupport.Providers), MemberType = typeof(CryptoTestSupport))]
    public void Fips180_one_million_a(string provider)
    {
        // FIPS 180-2 Appendix B.3 / NIST SHA256.pdf: 1,000,000 repetitions of 'a', fed in uneven pieces.
        using IHash hash = Provider(provider).CreateSha256();
        byte[] chunk = new byte[1000];
        Array.Fill(chunk, (byte)'a');
        int fed = 0;
        int step = 1;
        while (fed < 1_000_000)
        {
            int n = Math.Min(step, 1_000_000 - fed);
            hash.Update(chunk, 0, n);
            fed += n;
            step = (step * 7 % 997) + 1;
        }

        var digest = new byte[32];
        hash.Final(digest, 0);
        Assert.Equal("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", ToHex(digest));
    }

    [Fact]
    public void Every_length_around_the_padding_boundaries_matches_the_platform()
    {
        // FIPS 180-4 §5.1.1: lengths 55, 56, 63, 64 and 119-120 exercise the one- and two-block padding cases.
        var sha = new Sha256();
        var rng = SeededRandomSource.NewRandom(180);
        for (int length = 0; length <= 200; length++)
        {
            byte[] m = RandomBytes(rng, length);
            Assert.Equal(SHA256.HashData(m), Digest(sha, m));
        }
    }

    [Fact]
    public void Reset_discards_appended_data()
    {
        var sha = new Sha256();
        sha.Update(new byte[] { 1, 2, 3 }, 0, 3);
        sha.Reset();
        Assert.Equal(SHA256.HashData(new byte[] { 4 }), Digest(sha, new byte[] { 4 }));
    }

    [Fact]
    public void Bad_ranges_are_refused()
    {
        var sha = new Sha256();
        Assert.Throws<ArgumentException>(() => sha.Update(new byte[4], 2, 3));
        Assert.Throws<ArgumentException>(() => sha.Update(new byte[4], -1, 1));
        Assert.Throws<ArgumentException>(() => sha.Update(null!, 0, 1));
        Assert.Throws<ArgumentException>(() => sha.Final(new byte[31], 0));
        sha.Update(null!, 0, 0);
    }
}
