using System;

using PopIoT.Core.Crypto;

using Xunit;

namespace PopIoT.Core.Tests.Crypto;

/// <summary>
/// DESIGN.md §4: objects allocate at construction only. Per-operation calls of the managed
/// primitives must allocate nothing (the RS request path is later measured the same way).
/// </summary>
public class AllocationTests
{
    [Fact]
    public void Managed_per_operation_calls_do_not_allocate()
    {
        byte[] key = new byte[16];
        byte[] nonce = new byte[13];
        byte[] aad = new byte[20];
        byte[] data = new byte[300];
        byte[] output = new byte[300];
        byte[] tag = new byte[16];
        byte[] mac = new byte[32];
        byte[] okm = new byte[64];
        using var sha = new Sha256();
        using var hmac = new HmacSha256(key, 0, 16);
        using var aes = new Aes(key, 0, 16);
        using var ccm = new AesCcm(key, 0, 16, 8, 2);
        using var hkdf = new Hkdf();

        void Run()
        {
            sha.Update(data, 0, 300);
            sha.Final(mac, 0);
            hmac.Update(data, 0, 300);
            hmac.Final(mac, 0);
            hmac.Reset();
            aes.EncryptBlock(data, 0, output, 0);
            ccm.Encrypt(new ByteRange(nonce, 0, 13), new ByteRange(data, 0, 300), output, 0, tag, 0, new ByteRange(aad, 0, 20));
            ccm.Decrypt(new ByteRange(nonce, 0, 13), new ByteRange(output, 0, 300), tag, 0, data, 0, new ByteRange(aad, 0, 20));
            tag[0] ^= 1;
            ccm.Decrypt(new ByteRange(nonce, 0, 13), new ByteRange(output, 0, 300), tag, 0, data, 0, new ByteRange(aad, 0, 20));
            hkdf.DeriveKey(new ByteRange(aad, 0, 20), new ByteRange(key, 0, 16), new ByteRange(aad, 0, 10), okm, 0, 64);
            CryptoBytes.FixedTimeEquals(mac, 0, okm, 0, 32);
        }

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            Run();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
