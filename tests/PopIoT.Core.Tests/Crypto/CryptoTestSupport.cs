using System;
using System.IO;
using System.Linq;
using System.Reflection;

using PopIoT.Core.Crypto;
using PopIoT.Crypto;

using Xunit;

namespace PopIoT.Core.Tests.Crypto;

/// <summary>Shared helpers: hex, the vectors folder, the providers under test, a seeded random source.</summary>
internal static class CryptoTestSupport
{
    public const string Managed = "managed";
    public const string Platform = "platform";

    public static TheoryData<string> Providers => new() { Managed, Platform };

    public static ICryptoProvider Provider(string name) => name switch
    {
        Managed => new ManagedCryptoProvider(new SeededRandomSource(1)),
        Platform => PlatformCryptoProvider.Instance,
        _ => throw new ArgumentException(name),
    };

    public static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    public static string ToHex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    public static string VectorsDir
    {
        get
        {
            string? dir = typeof(CryptoTestSupport).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "VectorsDir").Value;
            Assert.NotNull(dir);
            Assert.True(Directory.Exists(dir), $"vectors folder not found: {dir}");
            return dir!;
        }
    }

    public static byte[] RandomBytes(Random rng, int length)
    {
        var b = new byte[length];
        rng.NextBytes(b);
        return b;
    }

    /// <summary>Computes the MAC of <paramref name="data"/> in one Update.</summary>
    public static byte[] Mac(IMac mac, byte[] data)
    {
        mac.Update(data, 0, data.Length);
        var output = new byte[mac.MacSize];
        mac.Final(output, 0);
        return output;
    }

    /// <summary>Computes the digest of <paramref name="data"/> in one Update.</summary>
    public static byte[] Digest(IHash hash, byte[] data)
    {
        hash.Update(data, 0, data.Length);
        var output = new byte[hash.HashSize];
        hash.Final(output, 0);
        return output;
    }
}
