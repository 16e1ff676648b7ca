using System;
using System.Security.Cryptography;

using PopIoT.Core.Crypto;
using PopIoT.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Crypto.CryptoTestSupport;

namespace PopIoT.Core.Tests.Crypto;

/// <summary>
/// Managed Core primitives against System.Security.Cryptography on random inputs with fixed seeds
/// (DESIGN.md §5, §7). A failure message names the case index so it can be replayed.
/// </summary>
public class DifferentialTests
{
    private const int Cases = 10_000;

    [Fact]
    public void HmacSha256_managed_matches_platform_including_incremental_chunks()
    {
        var rng = SeededRandomSource.NewRandom(4231);
        var managedOut = new byte[32];
        var platformOut = new byte[32];
        for (int i = 0; i < Cases; i++)
        {
            byte[] key = RandomBytes(rng, rng.Next(0, 201));
            byte[] message = RandomBytes(rng, rng.Next(0, 301));
            byte[] expected = HMACSHA256.HashData(key, message);

            using var managed = new HmacSha256(key, 0, key.Length);
            using var platform = new PlatformHmacSha256(key, 0, key.Length);

            // The same random split into chunks (including empty ones) for both implementations.
            int at = 0;
            while (at < message.Length)
            {
                int n = rng.Next(0, Math.Min(80, message.Length - at) + 1);
                managed.Update(message, at, n);
                platform.Update(message, at, n);
                at += n;
            }

            managed.Final(managedOut, 0);
            platform.Final(platformOut, 0);
            Assert.True(expected.AsSpan().SequenceEqual(managedOut), $"managed HMAC, case {i}");
            Assert.True(expected.AsSpan().SequenceEqual(platformOut), $"platform HMAC, case {i}");

            // Reused after Final, one shot.
            Assert.Equal(expected, Mac(managed, message));
        }
    }

    [Fact]
    public void Sha256_managed_matches_platform_with_random_chunks()
    {
        var rng = SeededRandomSource.NewRandom(1804);
        var sha = new Sha256();
        var output = new byte[32];
        for (int i = 0; i < Cases; i++)
        {
            byte[] message = RandomBytes(rng, rng.Next(0, 400));
            int at = 0;
            while (at < message.Length)
            {
                int n = rng.Next(0, message.Length - at + 1);
                sha.Update(message, at, n);
                at += n;
            }

            sha.Final(output, 0);
            Assert.True(SHA256.HashData(message).AsSpan().SequenceEqual(output), $"case {i}");
        }
    }

    [Fact]
    public void Aes_block_managed_matches_platform()
    {
        var rng = SeededRandomSource.NewRandom(197);
        var managedOut = new byte[16];
        var platformOut = new byte[16];
        int[] sizes = { 16, 24, 32 };
        for (int i = 0; i < Cases; i++)
        {
            byte[] key = RandomBytes(rng, sizes[i % 3]);
            byte[] block = RandomBytes(rng, 16);
            using var managed = new Core.Crypto.Aes(key, 0, key.Length);
            using var platform = new PlatformAes(key, 0, key.Length);
            managed.EncryptBlock(block, 0, managedOut, 0);
            platform.EncryptBlock(block, 0, platformOut, 0);
            Assert.True(managedOut.AsSpan().SequenceEqual(platformOut), $"case {i}");
        }
    }

    [Fact]
    public void AesCcm_managed_matches_platform_and_both_refuse_any_flipped_bit()
    {
        // xunit 2 has no dynamic skip; AesCcm is supported on Linux (OpenSSL), Windows and macOS.
        Assert.True(System.Security.Cryptography.AesCcm.IsSupported, "platform AES-CCM not supported here");
        var rng = SeededRandomSource.NewRandom(3610);
        int[] keySizes = { 16, 16, 16, 16, 24, 32 };
        int[] tagSizes = { 8, 8, 8, 16, 16, 16, 4, 6, 10, 12, 14 };
        int[] lengthSizes = { 2, 2, 2, 2, 2, 3, 4, 5, 6, 7, 8 };
        int refusals = 0;
        for (int i = 0; i < Cases; i++)
        {
            int keySize = keySizes[rng.Next(keySizes.Length)];
            int m = tagSizes[rng.Next(tagSizes.Length)];
            int l = lengthSizes[rng.Next(lengthSizes.Length)];
            byte[] key = RandomBytes(rng, keySize);
            byte[] nonce = RandomBytes(rng, 15 - l);
            byte[] aad = RandomBytes(rng, rng.Next(0, 301));
            byte[] pt = RandomBytes(rng, rng.Next(0, 301));
            string label = $"case {i} (key {keySize}, M {m}, L {l}, |a| {aad.Length}, |m| {pt.Length})";

            using var managed = new Core.Crypto.AesCcm(key, 0, keySize, m, l);
            using var platform = new PlatformAesCcm(key, 0, keySize, m, l);
            byte[] sealedManaged = AesCcmTests.Seal(managed, nonce, pt, aad);
            byte[] sealedPlatform = AesCcmTests.Seal(platform, nonce, pt, aad);
            Assert.True(sealedManaged.AsSpan().SequenceEqual(sealedPlatform), label);

            // Each opens the other's output.
            Assert.True(pt.AsSpan().SequenceEqual(AesCcmTests.Open(managed, nonce, sealedPlatform, aad)), label);
            Assert.True(pt.AsSpan().SequenceEqual(AesCcmTests.Open(platform, nonce, sealedManaged, aad)), label);

            // Flip one random bit of the ciphertext, the tag, the AAD or the nonce: both must refuse.
            byte[] badSealed = (byte[])sealedManaged.Clone();
            byte[] badAad = (byte[])aad.Clone();
            byte[] badNonce = (byte[])nonce.Clone();
            int target = rng.Next(3);
            if (target == 0 || (target == 1 && aad.Length == 0))
            {
                int bit = rng.Next(badSealed.Length * 8);
                badSealed[bit / 8] ^= (byte)(1 << (bit % 8));
            }
            else if (target == 1)
            {
                int bit = rng.Next(badAad.Length * 8);
                badAad[bit / 8] ^= (byte)(1 << (bit % 8));
            }
            else
            {
                int bit = rng.Next(badNonce.Length * 8);
                badNonce[bit / 8] ^= (byte)(1 << (bit % 8));
            }

            int length = pt.Length;
            var outManaged = new byte[length];
            var outPlatform = new byte[length];
            Array.Fill(outManaged, (byte)0xA5);
            Array.Fill(outPlatform, (byte)0xA5);
            bool okManaged = managed.Decrypt(ByteRange.Of(badNonce), new ByteRange(badSealed, 0, length), badSealed, length, outManaged, 0, ByteRange.Of(badAad));
            bool okPlatform = platform.Decrypt(ByteRange.Of(badNonce), new ByteRange(badSealed, 0, length), badSealed, length, outPlatform, 0, ByteRange.Of(badAad));
            Assert.False(okManaged, label);
            Assert.False(okPlatform, label);
            Assert.True(Array.TrueForAll(outManaged, b => b == 0), label + ": managed output not zeroed");
            Assert.True(Array.TrueForAll(outPlatform, b => b == 0), label + ": platform output not zeroed");
            refusals++;
        }

        Assert.Equal(Cases, refusals);
    }

    [Fact]
    public void AesCcm_over_platform_aes_block_matches_managed()
    {
        // The firmware path: Core's CCM over a native AES block (here the platform's).
        var rng = SeededRandomSource.NewRandom(8613);
        for (int i = 0; i < 2000; i++)
        {
            byte[] key = RandomBytes(rng, 16);
            byte[] nonce = RandomBytes(rng, 13);
            byte[] aad = RandomBytes(rng, rng.Next(0, 60));
            byte[] pt = RandomBytes(rng, rng.Next(0, 200));
            using var overPlatform = new Core.Crypto.AesCcm(new PlatformAes(key, 0, 16), 8, 2);
            using var managed = new Core.Crypto.AesCcm(key, 0, 16, 8, 2);
            Assert.Equal(AesCcmTests.Seal(managed, nonce, pt, aad), AesCcmTests.Seal(overPlatform, nonce, pt, aad));
        }
    }
}
