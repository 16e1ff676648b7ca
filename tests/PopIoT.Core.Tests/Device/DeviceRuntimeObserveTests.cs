#nullable disable
using System.Linq;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Device;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Ace;

using Xunit;

namespace PopIoT.Core.Tests.Device;

/// <summary>Observe through the runtime (RFC 7641 under OSCORE, RFC 8613 §4.1.3.5; tokens checked per notification, RFC 9200 §5.10.2–§5.10.3).</summary>
public class DeviceRuntimeObserveTests
{
    [Fact]
    public void A_new_reading_reaches_the_observer_protected_at_the_next_clock_tick_and_every_nth_is_confirmable()
    {
        var rig = new DeviceRuntimeRig(new DeviceRuntimeSettings { Ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri), ConfirmableNotificationEvery = 2 });
        Assert.True(rig.Runtime.Start());
        var client = new RuntimeClient(rig, 2, new TokenSpec());
        Assert.Equal(CoapCode.Created, client.Post().Code);
        CoapMessage registered = client.Send(CoapCode.Get, "/temp", null, m => m.AddUintOption(CoapOptionNumber.Observe, 0));
        Assert.True(registered.HasOption(CoapOptionNumber.Observe));
        OscoreExchange registration = client.LastExchange;

        // The same reading: nothing to say.
        int before = rig.Socket.SentCount;
        rig.Clock.Advance(1000);
        rig.Runtime.RunOnce();
        Assert.Empty(rig.Socket.SentSince(before));

        rig.Peripherals.CentiCelsius = 2370;
        rig.Clock.Advance(1000);
        rig.Runtime.RunOnce();
        CoapMessage first = Assert.Single(rig.Socket.SentSince(before, 2));
        Assert.Equal(CoapMessageType.NonConfirmable, first.Type);
        Assert.Equal("23.7", DeviceRuntimeTests.Text(client.Open(first, registration)));

        // A host's explicit notification (the simulator's SetTemperature) goes out at once; the second is CON.
        before = rig.Socket.SentCount;
        rig.Peripherals.CentiCelsius = -125;
        Assert.Equal(1, rig.Runtime.NotifyObservers("/temp"));
        CoapMessage second = Assert.Single(rig.Socket.SentSince(before, 2));
        Assert.Equal(CoapMessageType.Confirmable, second.Type);
        Assert.Equal("-1.3", DeviceRuntimeTests.Text(client.Open(second, registration)));

        // RFC 7641 §3.6: a Reset to it removes the observer.
        var reset = new CoapMessage { Type = CoapMessageType.Reset, Code = CoapCode.Empty, MessageId = second.MessageId };
        rig.Exchange(2, AceTestSupport.Serialize(reset));
        Assert.Equal(0, rig.Runtime.ObserverCount);
    }

    [Fact]
    public void An_expired_token_ends_its_observation_with_a_protected_4_01_and_its_context_is_dropped()
    {
        var rig = new DeviceRuntimeRig();
        Assert.True(rig.Runtime.Start());
        var client = new RuntimeClient(rig, 2, new TokenSpec { Exp = AceTestSupport.Start + 20 });
        Assert.Equal(CoapCode.Created, client.Post().Code);
        Assert.Equal(CoapCode.Content, client.Send(CoapCode.Get, "/temp", null, m => m.AddUintOption(CoapOptionNumber.Observe, 0)).Code);
        OscoreExchange registration = client.LastExchange;

        int before = rig.Socket.SentCount;
        rig.Clock.Advance(20_000);
        rig.Runtime.RunOnce();
        CoapMessage last = Assert.Single(rig.Socket.SentSince(before, 2));
        Assert.Equal(CoapMessageType.Confirmable, last.Type);
        CoapMessage opened = client.Open(last, registration);
        Assert.Equal(CoapCode.Unauthorized, opened.Code);
        Assert.False(opened.HasOption(CoapOptionNumber.Observe));
        Assert.Equal(0, rig.Runtime.ObserverCount);
        Assert.Equal(0, rig.Runtime.Engine.ActiveSlots);

        // Later readings send nothing, and the old context opens nothing (RFC 9200 §5.10.3).
        before = rig.Socket.SentCount;
        rig.Peripherals.CentiCelsius = 3000;
        Assert.Equal(0, rig.Runtime.NotifyObservers("/temp"));
        CoapMessage r = Assert.Single(rig.Exchange(2, client.Protect(CoapCode.Get, "/temp")));
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        Assert.DoesNotContain(rig.Socket.SentSince(before, 2), m => m.Code == CoapCode.Content);
    }

    [Fact]
    public void An_unreadable_sensor_ends_the_observation_with_5_03()
    {
        var rig = new DeviceRuntimeRig();
        Assert.True(rig.Runtime.Start());
        var client = new RuntimeClient(rig, 2, new TokenSpec());
        Assert.Equal(CoapCode.Created, client.Post().Code);
        Assert.Equal(CoapCode.Content, client.Send(CoapCode.Get, "/temp", null, m => m.AddUintOption(CoapOptionNumber.Observe, 0)).Code);
        OscoreExchange registration = client.LastExchange;
        rig.Peripherals.Available = false;
        int before = rig.Socket.SentCount;
        Assert.Equal(1, rig.Runtime.NotifyObservers("/temp"));
        CoapMessage n = client.Open(Assert.Single(rig.Socket.SentSince(before, 2)), registration);
        Assert.Equal(CoapCode.ServiceUnavailable, n.Code);
        Assert.Equal(0, rig.Runtime.ObserverCount);
    }
}
