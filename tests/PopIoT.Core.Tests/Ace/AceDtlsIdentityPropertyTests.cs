using System;

using CsCheck;

using PopIoT.Core.Ace;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>CsCheck over the psk_identity parser (RFC 9202 §3.3.2): no exception for any bytes, and every kid read back.</summary>
public class AceDtlsIdentityPropertyTests
{
    [Fact]
    public void Random_bytes_never_throw_and_a_parsed_kid_lies_inside_the_identity()
    {
        // CsCheck samples on several threads: one parser per sample.
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            var id = new AceDtlsIdentity();
            if (id.ParseKid(ByteRange.Of(bytes), 16))
            {
                Assert.InRange(id.KidLength, 1, 16);
                Assert.InRange(id.KidOffset + id.KidLength, 1, bytes.Length);
            }
        });
    }

    [Fact]
    public void Any_identity_bytes_into_the_engine_are_refused_with_illegal_parameter_and_leave_no_slot()
    {
        using var engine = new AceResourceServer(new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { ServesDtls = true }, AceTestSupport.Provider());
        engine.SetMac0Key(AceTestSupport.AsMacKey());
        engine.SetCnfDecryptionKey(AceTestSupport.AsEncKey());
        engine.Tick(AceTestSupport.Start);
        byte[] key = new byte[64];
        byte[] token = AceDtlsSupport.Mint(new DtlsTokenSpec { Form = "mac0-enckey" });
        // One engine, as on a device: the samples run on one thread.
        Gen.Select(Gen.Byte.Array[0, 300], Gen.Int[0, 1000], Gen.Byte, Gen.Bool).Sample((bytes, at, flip, mutateToken) =>
        {
            byte[] identity = bytes;
            if (mutateToken)
            {
                identity = (byte[])token.Clone();
                identity[at % identity.Length] ^= (byte)(flip | 1);
            }

            Assert.Equal(-PopIoT.Core.Dtls.DtlsAlert.IllegalParameter, engine.FindDtlsKey(1, ByteRange.Of(identity), ByteRange.Of(key)));
            Assert.Equal(0, engine.ActiveSlots);
        }, threads: 1);
    }

    [Fact]
    public void Every_kid_form_written_by_an_independent_encoder_parses_to_its_kid_and_its_mutations_never_throw()
    {
        Gen.Select(Gen.Byte.Array[1, 16], Gen.Int[0, 100], Gen.Byte).Sample((kid, at, flip) =>
        {
            var id = new AceDtlsIdentity();
            byte[] identity = AceDtlsSupport.KidIdentity(kid);
            Assert.True(id.ParseKid(ByteRange.Of(identity), 16));
            Assert.Equal(kid, identity.AsSpan(id.KidOffset, id.KidLength).ToArray());

            byte[] mutated = (byte[])identity.Clone();
            mutated[at % mutated.Length] ^= (byte)(flip | 1);
            if (id.ParseKid(ByteRange.Of(mutated), 16))
            {
                Assert.InRange(id.KidOffset + id.KidLength, 1, mutated.Length);
            }
        });
    }
}
