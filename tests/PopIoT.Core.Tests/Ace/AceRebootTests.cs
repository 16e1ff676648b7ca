#nullable disable
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Device;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// State that survives a reboot (RFC 9200 §5.10.3; docs/ace-rs.md, "Persistence"): the engine is rebuilt on the same
/// storage in the middle of a flow, as a power cycle does, and no old token or replayed request is accepted after it.
/// </summary>
public class AceRebootTests
{
    [Fact]
    public void A_clockless_device_refuses_a_token_with_an_exi_number_burnt_before_a_reboot()
    {
        var storage = new MemoryDeviceStorage(4);
        var rig = Booted(storage);
        var c = new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x05] });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        byte[] captured = c.Token;
        byte[] lower = AceTestSupport.Mint(new TokenSpec { Exp = 0, Exi = 60, Cti = [0x04], Id = [2] });

        rig.Server.Tick(60);
        Assert.Equal(5, rig.Server.HighestExpiredExiSequence);

        // Power cycle: a fresh engine on the same storage, its boot clock at 0 again.
        var after = Booted(storage);
        Assert.Equal(5, after.Server.HighestExpiredExiSequence);
        Assert.Equal(CoapCode.Unauthorized, after.PostAuthzInfo(1, AuthzInfoRequest.Encode(captured, null, null)).Code);
        Assert.Equal(AceRsError.TokenCtiReplayed, after.Server.LastDecision.Error);
        Assert.Equal(CoapCode.Unauthorized, after.PostAuthzInfo(2, AuthzInfoRequest.Encode(lower, null, null)).Code);
        Assert.Equal(AceRsError.TokenCtiReplayed, after.Server.LastDecision.Error);
        Assert.Equal(0, after.Server.ActiveSlots);
    }

    internal static AceRig Booted(IDeviceStorage storage, int slots = 8)
    {
        AceRig rig = AceExiTests.Clockless(slots);
        Assert.True(rig.Server.UseStorage(storage));
        return rig;
    }
}
