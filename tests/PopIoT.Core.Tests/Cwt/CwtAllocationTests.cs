using System;

using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;

using Xunit;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;
using static PopIoT.Core.Tests.Cwt.CwtTestSupport;

namespace PopIoT.Core.Tests.Cwt;

/// <summary>DESIGN.md §4, §8: after set-up, validating a CWT (peel, verify, claims, cnf, checks) allocates nothing.</summary>
public class CwtAllocationTests
{
    [Fact]
    public void Mac0_cwt_validation_with_cnf_allocates_nothing_per_call_with_the_managed_provider()
    {
        // A Mac0 token with tag 61 carrying an Encrypted_COSE_Key (the RS's common case), one with a
        // public COSE_Key, a refused one, and A.4 and A.5.
        CoseKey macKey = HmacKey();
        CoseKey kek = CoseKey.Symmetric(Rfc8747Kek, CoseAlgorithm.AesCcm16_64_128.Id, null);
        using var b = Basic();
        b.SetIssuedAt(1000);
        b.SetCti([1, 2, 3]);
        b.SetScope("read write");
        using (var enc = new CoseEncrypt0(Managed, kek))
        {
            b.SetConfirmationEncryptedKey(CoseKey.Symmetric(Filled(16, 4), CoseAlgorithm.AesCcm16_64_128.Id, [9]), enc, null);
        }

        using var issuer = new CwtIssuer(Managed, macKey) { CwtTag = true };
        byte[] token = issuer.Create(b);
        b.SetAudiences(["x", "rs1"]);
        b.SetConfirmationKey(KeyEcdsa256Public());
        byte[] token2 = issuer.Create(b);
        byte[] bad = (byte[])token.Clone();
        bad[^1] ^= 1;

        using var v = new CwtValidator(Managed, new TestClock(1500), "rs1");
        v.SetMac0Key(macKey);
        v.SetCnfDecryptionKey(kek);
        using var va = AppendixAValidator(new TestClock(Between), Managed);
        byte[] a4 = Vector("A.4_maced_cwt_tag61_mac0_hmac256_64_hex");
        byte[] a5 = Vector("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex");
        var r = new CwtValidationResult();
        int errors = 0;

        void Run()
        {
            errors += v.Validate(token, 0, token.Length, r) == CwtError.None && r.Confirmation.SymmetricKeyLength == 16 ? 0 : 1;
            errors += v.Validate(token2, 0, token2.Length, r) == CwtError.None && r.Confirmation.XLength == 32 ? 0 : 1;
            errors += v.Validate(bad, 0, bad.Length, r) == CwtError.CoseFailed ? 0 : 1;
            errors += va.Validate(a4, 0, a4.Length, r) == CwtError.None ? 0 : 1;
            errors += va.Validate(a5, 0, a5.Length, r) == CwtError.None ? 0 : 1;
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
