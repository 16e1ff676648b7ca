#nullable disable
using CsCheck;

using PopIoT.Core.Coap;
using PopIoT.Core.Tests.Ace;

using Xunit;

namespace PopIoT.Core.Tests.Device;

/// <summary>Attacker's properties of the whole loop: byte-varied and random datagrams (RFC 8613 §7.4, §8.2; RFC 7252 §4.2).</summary>
public class DeviceRuntimePropertyTests
{
    [Fact]
    public void A_byte_varied_copy_of_a_protected_put_never_switches_the_led_again_and_nothing_succeeds_in_the_clear()
    {
        var rig = new DeviceRuntimeRig();
        Assert.True(rig.Runtime.Start());
        var client = new RuntimeClient(rig, 2, new TokenSpec { Scope = "write" });
        Assert.Equal(CoapCode.Created, client.Post().Code);
        byte[] put = client.Protect(CoapCode.Put, "/led", "on"u8.ToArray());
        Assert.Equal(CoapCode.Changed, client.Open(Assert.Single(rig.Exchange(2, put))).Code);
        long served = rig.Runtime.Resources.RequestsHandled;

        // The LED goes off by hand; no copy of the PUT, however varied, may switch it on again.
        rig.Peripherals.SetLed(false);
        Gen.Select(Gen.Int[0, put.Length - 1], Gen.Byte[1, 255], Gen.Int[0, 3]).Sample((at, mask, from) =>
        {
            byte[] varied = (byte[])put.Clone();
            varied[at] ^= mask;
            int before = rig.Socket.SentCount;
            rig.Socket.Enqueue(2 + from, varied);
            rig.Runtime.RunOnce();
            foreach (CoapMessage m in rig.Socket.SentSince(before))
            {
                Assert.False(CoapCode.ClassOf(m.Code) == 2 && !m.HasOption(CoapOptionNumber.Oscore), "a 2.xx in the clear");
            }

            Assert.False(rig.Peripherals.LedOn);
            Assert.Equal(served, rig.Runtime.Resources.RequestsHandled);
        }, iter: 400, threads: 1);

        // The client itself still gets through.
        Assert.Equal(CoapCode.Changed, client.Send(CoapCode.Put, "/led", "on"u8.ToArray()).Code);
        Assert.True(rig.Peripherals.LedOn);
    }

    [Fact]
    public void Random_datagrams_from_random_peers_never_throw_and_never_reach_a_protected_resource()
    {
        var rig = new DeviceRuntimeRig(new PopIoT.Core.Device.DeviceRuntimeSettings { Ace = new PopIoT.Core.Ace.AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri), MaxPeers = 4 });
        Assert.True(rig.Runtime.Start());
        Gen.Select(Gen.Byte.Array[0, 120], Gen.Int[1, 250], Gen.Int[0, 3000]).Sample((datagram, from, advance) =>
        {
            rig.Clock.Advance(advance);
            rig.Socket.Enqueue(from, datagram);
            rig.Runtime.RunOnce();
            Assert.False(rig.Peripherals.LedOn);
            Assert.Equal(0, rig.Runtime.Resources.ConfigLength);
        }, iter: 3000, threads: 1);
    }
}
