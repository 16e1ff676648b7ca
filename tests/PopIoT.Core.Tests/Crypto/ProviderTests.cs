using System;

using PopIoT.Core.Crypto;
using PopIoT.Crypto;

using Xunit;

namespace PopIoT.Core.Tests.Crypto;

public class ProviderTests
{
    [Fact]
    public void Managed_provider_requires_a_host_random_source_and_exposes_it()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ManagedCryptoProvider(null!));
        Assert.Contains("random source", ex.Message, StringComparison.Ordinal);
        var random = new SeededRandomSource(5);
        Assert.Same(random, new ManagedCryptoProvider(random).Random);
    }

    [Fact]
    public void Managed_provider_creates_the_managed_types()
    {
        var p = new ManagedCryptoProvider(new SeededRandomSource(5));
        using IBlockCipher aes = p.CreateAes(new byte[16], 0, 16);
        using IMac mac = p.CreateHmacSha256(new byte[3], 0, 3);
        using IHash sha = p.CreateSha256();
        using IAeadCipher ccm = p.CreateAesCcm(new byte[16], 0, 16, 8, 2);
        Assert.IsType<Core.Crypto.Aes>(aes);
        Assert.IsType<HmacSha256>(mac);
        Assert.IsType<Sha256>(sha);
        Assert.IsType<Core.Crypto.AesCcm>(ccm);
        Assert.Equal(32, mac.MacSize);
        Assert.Equal(32, sha.HashSize);
    }

    [Fact]
    public void Platform_random_source_fills_exactly_the_range()
    {
        IRandomSource random = PlatformCryptoProvider.Instance.Random;
        var buffer = new byte[64];
        random.GetBytes(buffer, 8, 48);
        Assert.All(buffer[..8], b => Assert.Equal(0, b));
        Assert.All(buffer[56..], b => Assert.Equal(0, b));

        // 48 random bytes all zero has probability 2^-384.
        Assert.Contains(buffer[8..56], b => b != 0);
        random.GetBytes(buffer, 64, 0);
        Assert.Throws<ArgumentException>(() => random.GetBytes(buffer, 60, 5));
        Assert.Throws<ArgumentException>(() => random.GetBytes(null!, 0, 1));
    }
}
