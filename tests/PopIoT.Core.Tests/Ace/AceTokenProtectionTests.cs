using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>An RS pinned to one token protection (docs/ace-rs.md, Key purposes) refuses the other COSE types, whatever keys it holds.</summary>
public class AceTokenProtectionTests
{
    [Fact]
    public void A_mac0_rs_refuses_an_Encrypt0_token_made_with_an_AEAD_key_it_holds()
    {
        // The rig holds the AEAD key both as an Encrypt0 key and as the cnf key: pinning alone keeps it out of token checks.
        var rig = new AceRig();
        rig.Server.TokenProtection = CoseTag.Mac0;
        var encrypt0 = new AceTestClient(1, new TokenSpec { Protection = "encrypt0" });
        Assert.Equal(CoapCode.Unauthorized, encrypt0.Post(rig));
        Assert.Equal(AceRsError.TokenTypeNotAccepted, AceRig.Reason(encrypt0.LastResponse));
        Assert.Equal(0, rig.Server.ActiveSlots);

        var nested = new AceTestClient(2, new TokenSpec { Protection = "nested", Id = [0x02] });
        Assert.Equal(CoapCode.Unauthorized, nested.Post(rig));
        Assert.Equal(AceRsError.TokenTypeNotAccepted, AceRig.Reason(nested.LastResponse));

        var mac0 = new AceTestClient(3, new TokenSpec { Protection = "mac0", Id = [0x03] });
        Assert.Equal(CoapCode.Created, mac0.Post(rig));
    }

    [Fact]
    public void An_encrypt0_rs_refuses_a_Mac0_token_and_still_opens_a_Mac0_nested_in_Encrypt0()
    {
        var rig = new AceRig();
        rig.Server.TokenProtection = CoseTag.Encrypt0;
        var mac0 = new AceTestClient(1, new TokenSpec { Protection = "mac0" });
        Assert.Equal(CoapCode.Unauthorized, mac0.Post(rig));
        Assert.Equal(AceRsError.TokenTypeNotAccepted, AceRig.Reason(mac0.LastResponse));

        var nested = new AceTestClient(2, new TokenSpec { Protection = "nested", Id = [0x02] });
        Assert.Equal(CoapCode.Created, nested.Post(rig));
        var encrypt0 = new AceTestClient(3, new TokenSpec { Protection = "encrypt0", Id = [0x03] });
        Assert.Equal(CoapCode.Created, encrypt0.Post(rig));
    }

    [Fact]
    public void A_protection_other_than_mac0_sign1_or_encrypt0_is_refused_at_set_up()
    {
        var rig = new AceRig();
        Assert.Throws<System.ArgumentException>(() => rig.Server.TokenProtection = 61);
        Assert.Equal(0, rig.Server.TokenProtection);
    }
}
