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

    [Fact]
    public void A_token_held_at_a_reboot_cannot_be_posted_again_with_a_fresh_exi_lifetime()
    {
        var storage = new MemoryDeviceStorage(4);
        var rig = Booted(storage);
        var c = new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x07] });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        rig.Server.Tick(50);

        // RFC 9200 §5.10.3: after the power cycle the RS cannot tell that it first verified the token 50 s ago.
        var after = Booted(storage);
        Assert.Equal(CoapCode.Unauthorized, c.Post(after));
        Assert.Equal(AceRsError.TokenCtiReplayed, after.Server.LastDecision.Error);

        // A token the AS issued after it (a higher number) is taken.
        var next = new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x08] });
        Assert.Equal(CoapCode.Created, next.Post(after));
        Assert.Equal(CoapCode.Content, next.Request(after, CoapCode.Get, "/temp"));
    }

    [Fact]
    public void A_request_replayed_across_a_reboot_is_refused()
    {
        var storage = new MemoryDeviceStorage(4);
        var rig = Booted(storage);
        var c = new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 600, Cti = [0x02], Scope = "read write" });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        byte[] captured = c.Protect(CoapCode.Put, "/led", "on", 7);
        Assert.Equal(CoapCode.Changed, c.Receive(rig.Exchange(1, captured)));
        Assert.Equal(1, rig.Led.Calls);

        // RFC 8613 Appendix B.1.2: every context is new after the reboot; the old one's keys are gone with the RAM.
        var after = Booted(storage);
        Assert.Equal(CoapCode.Unauthorized, CodeOf(after.Exchange(1, captured)));
        Assert.Equal(0, after.Led.Calls);

        // Nor can the captured token set up a context again to make the replay land.
        Assert.Equal(CoapCode.Unauthorized, c.Post(after));
        Assert.Equal(CoapCode.Unauthorized, CodeOf(after.Exchange(1, captured)));
        Assert.Equal(0, after.Led.Calls);
    }

    [Fact]
    public void A_failed_storage_write_refuses_the_exi_token_that_needed_it_until_a_write_succeeds()
    {
        var storage = new MemoryDeviceStorage(4);
        var rig = Booted(storage);
        storage.FailWrites = true;
        var c = new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x03] });
        Assert.Equal(CoapCode.ServiceUnavailable, c.Post(rig));
        Assert.Equal(AceRsError.ExiStateUnavailable, rig.Server.LastDecision.Error);
        Assert.True(rig.Server.ExiStateUnavailable);
        Assert.Equal(0, rig.Server.ActiveSlots);

        // The medium recovers: the next Tick writes the number, and the token is taken.
        storage.FailWrites = false;
        rig.Server.Tick(1);
        Assert.False(rig.Server.ExiStateUnavailable);
        Assert.Equal(CoapCode.Created, c.Post(rig));

        var after = Booted(storage);
        Assert.Equal(CoapCode.Unauthorized, c.Post(after));
        Assert.Equal(AceRsError.TokenCtiReplayed, after.Server.LastDecision.Error);
    }

    [Fact]
    public void An_unreadable_exi_record_at_start_refuses_every_exi_token_for_that_boot()
    {
        var storage = new MemoryDeviceStorage(4);
        var rig = Booted(storage);
        var c = new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x09] });
        Assert.Equal(CoapCode.Created, c.Post(rig));

        storage.FailReads = true;
        AceRig after = AceExiTests.Clockless();
        Assert.False(after.Server.UseStorage(storage));
        Assert.True(after.Server.ExiStateUnavailable);
        var newer = new AceTestClient(2, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x0A], Id = [2] });
        Assert.Equal(CoapCode.ServiceUnavailable, newer.Post(after));
        Assert.Equal(AceRsError.ExiStateUnavailable, after.Server.LastDecision.Error);
        after.Server.Tick(5);
        Assert.True(after.Server.ExiStateUnavailable);

        // Nothing was written over the record the medium may still hold.
        storage.FailReads = false;
        Assert.Equal(9, Booted(storage).Server.HighestExpiredExiSequence);
    }

    [Fact]
    public void A_corrupted_exi_record_is_unreadable_not_a_lower_number()
    {
        var storage = new MemoryDeviceStorage(4);
        var rig = Booted(storage);
        Assert.Equal(CoapCode.Created, new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x09] }).Post(rig));
        storage.Corrupt(DeviceRecords.ExiSequence, 7, 0x00);

        AceRig after = AceExiTests.Clockless();
        Assert.False(after.Server.UseStorage(storage));
        Assert.Equal(CoapCode.ServiceUnavailable, new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 60, Cti = [0x09] }).Post(after));
    }

    [Fact]
    public void Requests_write_nothing_only_a_new_highest_exi_number_does()
    {
        var storage = new MemoryDeviceStorage(4);
        var rig = Booted(storage);
        Assert.Equal(0, storage.Writes);
        var c = new AceTestClient(1, new TokenSpec { Exp = 0, Exi = 600, Cti = [0x04] });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(1, storage.Writes);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
            rig.Server.Tick(i + 1);
        }

        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(1, storage.Writes);
    }

    [Fact]
    public void Tokens_without_exi_are_taken_while_the_exi_state_is_unavailable()
    {
        var storage = new MemoryDeviceStorage(4);
        storage.FailWrites = true;
        var rig = new AceRig();
        rig.Server.UseStorage(storage);
        var c = new AceTestClient(1, new TokenSpec());
        Assert.Equal(CoapCode.Created, c.Post(rig));
        Assert.Equal(CoapCode.Content, c.Request(rig, CoapCode.Get, "/temp"));
    }

    private static byte CodeOf(byte[] datagram)
    {
        var m = new CoapMessage();
        Assert.Equal(CoapParseError.None, m.Parse(datagram, 0, datagram.Length));
        return m.Code;
    }

    internal static AceRig Booted(IDeviceStorage storage, int slots = 8)
    {
        AceRig rig = AceExiTests.Clockless(slots);
        Assert.True(rig.Server.UseStorage(storage));
        return rig;
    }
}
