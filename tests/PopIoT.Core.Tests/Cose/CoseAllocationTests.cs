using System;

using PopIoT.Core.Cose;

using Xunit;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;

namespace PopIoT.Core.Tests.Cose;

/// <summary>DESIGN.md §4, §8: after set-up, verifying a Mac0 (the RS token path) allocates nothing.</summary>
public class CoseAllocationTests
{
    [Fact]
    public void Mac0_and_encrypt0_verify_allocate_nothing_per_call_with_the_managed_provider()
    {
        byte[] token = Vector("A.4_maced_cwt_tag61_mac0_hmac256_64_hex");
        byte[] bad = (byte[])token.Clone();
        bad[^1] ^= 1;
        byte[] a5 = Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex");
        byte[] aad = [1, 2, 3];
        byte[] plaintext = new byte[200];
        using var mac0 = new CoseMac0(Managed, KeySymmetric256Hmac());
        using var enc = new CoseEncrypt0(Managed, KeySymmetric128());
        var result = new CoseResult();
        int errors = 0;

        void Run()
        {
            // Tag 61 peeled by offset, no copy.
            if (mac0.Verify(token, 2, token.Length - 2, null, 0, 0, result) != CoseError.None)
            {
                errors++;
            }

            if (mac0.Verify(bad, 2, bad.Length - 2, null, 0, 0, result) != CoseError.TagMismatch)
            {
                errors++;
            }

            if (mac0.Verify(token, 2, token.Length - 2, aad, 0, aad.Length, result) != CoseError.TagMismatch)
            {
                errors++;
            }

            if (enc.Decrypt(ByteRange.Of(a5), default(ByteRange), ByteRange.Of(plaintext), result) != CoseError.None)
            {
                errors++;
            }
        }

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Run();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, errors);
        Assert.Equal(0, allocated);
    }
}
