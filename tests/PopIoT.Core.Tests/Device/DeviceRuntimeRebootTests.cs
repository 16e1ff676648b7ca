#nullable disable
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Device;
using PopIoT.Core.Tests.Ace;

using Xunit;

namespace PopIoT.Core.Tests.Device;

/// <summary>
/// The runtime rebooted in the middle of each flow: the same storage and clock, a fresh DeviceRuntime (RAM is gone).
/// Nothing captured before the reboot is accepted after it, and no old token comes back (docs/device.md, "State that
/// survives a reboot"; RFC 9200 §5.10.3; RFC 8613 Appendix B.1.2).
/// </summary>
public class DeviceRuntimeRebootTests
{
    [Fact]
    public void A_reboot_between_the_token_post_and_the_get_leaves_the_old_context_unknown()
    {
        var storage = new MemoryDeviceStorage(4);
        var rig = new DeviceRuntimeRig(storage: storage);
        Assert.True(rig.Runtime.Start());
        var client = new RuntimeClient(rig, 2, new TokenSpec());
        Assert.Equal(CoapCode.Created, client.Post().Code);
        byte[] get = client.Protect(CoapCode.Get, "/temp");

        var after = Reboot(rig, storage);
        CoapMessage r = Assert.Single(after.Exchange(2, get));
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        Assert.False(r.HasOption(CoapOptionNumber.Oscore));
        Assert.Equal(0, after.Runtime.Resources.RequestsHandled);
        Assert.Equal(0, after.Runtime.Engine.ActiveSlots);
    }

    [Fact]
    public void Requests_captured_mid_sequence_are_refused_after_a_reboot_also_once_the_token_is_posted_again()
    {
        var storage = new MemoryDeviceStorage(4);
        var rig = new DeviceRuntimeRig(storage: storage);
        Assert.True(rig.Runtime.Start());
        var client = new RuntimeClient(rig, 2, new TokenSpec { Scope = "write" });
        Assert.Equal(CoapCode.Created, client.Post().Code);
        byte[] on = client.Protect(CoapCode.Put, "/led", "on"u8.ToArray());
        Assert.Equal(CoapCode.Changed, client.Open(Assert.Single(rig.Exchange(2, on))).Code);
        byte[] get = client.Protect(CoapCode.Get, "/led");
        Assert.Equal(CoapCode.Content, client.Open(Assert.Single(rig.Exchange(2, get))).Code);

        // The board's LED is off after the power cycle; the captured PUT must not switch it on.
        var after = Reboot(rig, storage);
        Assert.Equal(CoapCode.Unauthorized, Assert.Single(after.Exchange(2, on)).Code);
        Assert.False(after.Peripherals.LedOn);

        // RFC 8613 Appendix B.1.2: the device keeps no replay window across a reboot, so no context survives it. The
        // client posting its token again gets a new context from new nonces (RFC 9203 §4.2), whose fresh window would
        // take sequence number 0 again: the captured requests, made under the old keys, fail verification instead.
        var again = new RuntimeClient(after, 2, new TokenSpec { Scope = "write" });
        Assert.Equal(CoapCode.Created, again.Post().Code);
        foreach (byte[] captured in new[] { on, get })
        {
            CoapMessage refused = Assert.Single(after.Exchange(2, captured));
            Assert.True(CoapCode.ClassOf(refused.Code) == 4, "a captured request got " + refused.Code);
            Assert.False(refused.HasOption(CoapOptionNumber.Oscore));
        }

        Assert.False(after.Peripherals.LedOn);
        Assert.Equal(0, after.Runtime.Resources.RequestsHandled);

        // The client itself goes on under the new context.
        Assert.Equal(CoapCode.Changed, again.Send(CoapCode.Put, "/led", "on"u8.ToArray()).Code);
        Assert.True(after.Peripherals.LedOn);
    }

    [Fact]
    public void An_observation_does_not_survive_a_reboot_and_no_notification_goes_to_its_old_binding()
    {
        var storage = new MemoryDeviceStorage(4);
        var rig = new DeviceRuntimeRig(storage: storage);
        Assert.True(rig.Runtime.Start());
        var client = new RuntimeClient(rig, 2, new TokenSpec());
        Assert.Equal(CoapCode.Created, client.Post().Code);
        byte[] register = client.Protect(CoapCode.Get, "/temp", null, m => m.AddUintOption(CoapOptionNumber.Observe, 0));
        Assert.Equal(CoapCode.Content, client.Open(Assert.Single(rig.Exchange(2, register))).Code);

        var after = Reboot(rig, storage);
        after.Peripherals.CentiCelsius = 3000;
        int before = after.Socket.SentCount;
        after.Clock.Advance(2000);
        after.Runtime.RunOnce();
        Assert.Equal(0, after.Runtime.NotifyObservers("/temp"));
        Assert.Empty(after.Socket.SentSince(before));

        // The captured registration cannot set the observation up again.
        Assert.Equal(CoapCode.Unauthorized, Assert.Single(after.Exchange(2, register)).Code);
        Assert.Equal(0, after.Runtime.ObserverCount);
    }

    [Fact]
    public void A_clockless_device_refuses_after_a_reboot_an_exi_token_it_held_and_one_that_expired()
    {
        var storage = new MemoryDeviceStorage(4);
        var clock = new ManualDeviceClock { WallTimeKnown = false };
        var rig = new DeviceRuntimeRig(storage: storage, clock: clock);
        Assert.True(rig.Runtime.Start());
        var expired = new RuntimeClient(rig, 2, new TokenSpec { Exp = 0, Exi = 10, Cti = [0x05] });
        Assert.Equal(CoapCode.Created, expired.Post().Code);
        clock.Advance(11_000);
        rig.Runtime.RunOnce();
        Assert.Equal(0, rig.Runtime.Engine.ActiveSlots);
        var held = new RuntimeClient(rig, 3, new TokenSpec { Exp = 0, Exi = 600, Cti = [0x06], Id = [0x02] });
        Assert.Equal(CoapCode.Created, held.Post().Code);
        Assert.Equal(CoapCode.Content, held.Send(CoapCode.Get, "/temp").Code);

        // RFC 9200 §5.10.3: after the power cycle the device cannot tell when it first verified either token.
        var after = Reboot(rig, storage);
        Assert.Contains(after.Log.Lines, l => l.Message.Contains("exi record: numbers up to 6 burnt", System.StringComparison.Ordinal));
        var expiredAgain = new RuntimeClient(after, 2, expired.Spec);
        Assert.Equal(CoapCode.Unauthorized, expiredAgain.Post().Code);
        var heldAgain = new RuntimeClient(after, 3, held.Spec);
        Assert.Equal(CoapCode.Unauthorized, heldAgain.Post(7).Code);
        Assert.Equal(0, after.Runtime.Engine.ActiveSlots);

        // A token the AS issued after them is taken.
        var next = new RuntimeClient(after, 4, new TokenSpec { Exp = 0, Exi = 600, Cti = [0x07], Id = [0x03] });
        Assert.Equal(CoapCode.Created, next.Post().Code);
    }

    [Fact]
    public void A_device_whose_exi_record_is_unreadable_after_a_reboot_refuses_exi_tokens_and_says_so()
    {
        var storage = new MemoryDeviceStorage(4);
        var clock = new ManualDeviceClock { WallTimeKnown = false };
        var rig = new DeviceRuntimeRig(storage: storage, clock: clock);
        Assert.True(rig.Runtime.Start());
        var c = new RuntimeClient(rig, 2, new TokenSpec { Exp = 0, Exi = 600, Cti = [0x05] });
        Assert.Equal(CoapCode.Created, c.Post().Code);

        storage.Corrupt(DeviceRecords.ExiSequence, 0, 0xFF);
        var after = Reboot(rig, storage);
        Assert.Contains(after.Log.Lines, l => l.Level == DeviceLogLevel.Warning && l.Message.StartsWith("exi record unreadable", System.StringComparison.Ordinal));
        var next = new RuntimeClient(after, 3, new TokenSpec { Exp = 0, Exi = 600, Cti = [0x09], Id = [0x02] });
        Assert.Equal(CoapCode.ServiceUnavailable, next.Post().Code);
    }

    // The same storage and clock, a fresh runtime: the power cycle.
    private static DeviceRuntimeRig Reboot(DeviceRuntimeRig before, IDeviceStorage storage)
    {
        before.Runtime.Dispose();
        before.Clock.Advance(1000);
        var after = new DeviceRuntimeRig(storage: storage, clock: before.Clock, seed: 99);
        Assert.True(after.Runtime.Start());
        return after;
    }
}
