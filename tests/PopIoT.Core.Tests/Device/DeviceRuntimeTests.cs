#nullable disable
using System;
using System.Linq;
using System.Text;

using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Device;
using PopIoT.Core.Tests.Ace;

using Xunit;

namespace PopIoT.Core.Tests.Device;

/// <summary>The device runtime's loop over fake host parts (docs/firmware.md, "The device runtime").</summary>
public class DeviceRuntimeTests
{
    [Fact]
    public void Hints_token_protected_get_refused_put_and_the_unprotected_resource_run_through_one_loop()
    {
        var rig = new DeviceRuntimeRig();
        Assert.True(rig.Runtime.Start());

        // RFC 9200 §5.3: without a token, 4.01 with AS Request Creation Hints naming the audience.
        CoapMessage bare = rig.Request(1, CoapCode.Get, "/temp");
        Assert.Equal(CoapCode.Unauthorized, bare.Code);
        Assert.Equal(AceTestSupport.Audience, AsCreationHints.TryParse(bare.PayloadBuffer, bare.PayloadOffset, bare.PayloadLength).Audience);

        var client = new RuntimeClient(rig, 2, new TokenSpec { Scope = "read" });
        Assert.Equal(CoapCode.Created, client.Post().Code);
        CoapMessage temp = client.Send(CoapCode.Get, "/temp");
        Assert.Equal(CoapCode.Content, temp.Code);
        Assert.Equal("21.5", Text(temp));

        // RFC 9200 §5.10.2: read covers /led but not PUT: 4.05, and the LED stays off.
        Assert.Equal(CoapCode.MethodNotAllowed, client.Send(CoapCode.Put, "/led", "on"u8.ToArray()).Code);
        Assert.False(rig.Peripherals.LedOn);
        Assert.Equal(CoapCode.Forbidden, client.Send(CoapCode.Put, "/config", [1]).Code);

        CoapMessage hello = rig.Request(3, CoapCode.Get, "/hello");
        Assert.Equal(CoapCode.Content, hello.Code);
        Assert.Equal("hello from " + AceTestSupport.Audience, Text(hello));

        // RFC 6690 §4: the engine's routing table lists the resources.
        string links = Text(rig.Request(3, CoapCode.Get, "/.well-known/core"));
        Assert.Contains("</temp>;rt=\"temperature-c\";ct=0;obs", links, StringComparison.Ordinal);
        Assert.Equal(2, rig.Runtime.Resources.RequestsHandled);
    }

    [Fact]
    public void A_write_token_switches_the_led_and_an_admin_token_puts_a_config_in_block1_blocks()
    {
        var rig = new DeviceRuntimeRig();
        Assert.True(rig.Runtime.Start());
        var writer = new RuntimeClient(rig, 2, new TokenSpec { Scope = "write" });
        Assert.Equal(CoapCode.Created, writer.Post().Code);
        Assert.Equal(CoapCode.Changed, writer.Send(CoapCode.Put, "/led", " ON\n"u8.ToArray()).Code);
        Assert.True(rig.Peripherals.LedOn);
        Assert.Equal("on", Text(writer.Send(CoapCode.Get, "/led")));
        CoapMessage bad = writer.Send(CoapCode.Put, "/led", "dim"u8.ToArray());
        Assert.Equal(CoapCode.BadRequest, bad.Code);
        Assert.True(rig.Peripherals.LedOn);

        var admin = new RuntimeClient(rig, 3, new TokenSpec { Scope = "admin", Id = [0x02] });
        Assert.Equal(CoapCode.Created, admin.Post().Code);
        byte[] body = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();

        // RFC 7959 §2.5: two 64-byte blocks (inner Block1 under OSCORE); only the whole body reaches /config.
        CoapMessage first = admin.Send(CoapCode.Put, "/config", body[..64], m => m.AddUintOption(CoapOptionNumber.Block1, BlockOption.Encode(0, true, 2)));
        Assert.Equal(CoapCode.Continue, first.Code);
        Assert.Equal(0, rig.Runtime.Resources.ConfigLength);
        CoapMessage last = admin.Send(CoapCode.Put, "/config", body[64..], m => m.AddUintOption(CoapOptionNumber.Block1, BlockOption.Encode(1, false, 2)));
        Assert.Equal(CoapCode.Changed, last.Code);
        byte[] kept = new byte[rig.Runtime.Resources.ConfigLength];
        rig.Runtime.Resources.CopyConfig(kept, 0);
        Assert.Equal(body, kept);

        // Too large a body: 4.13 with the size /config takes (RFC 7959 §2.9.3); the old body stays.
        CoapMessage big = admin.Send(CoapCode.Put, "/config", new byte[300]);
        Assert.Equal(CoapCode.RequestEntityTooLarge, big.Code);
        Assert.Equal(100, rig.Runtime.Resources.ConfigLength);
    }

    [Fact]
    public void A_large_representation_goes_out_in_block2_blocks()
    {
        var settings = new DeviceRuntimeSettings { Ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { MaxBlockSzx = 0 } };
        var rig = new DeviceRuntimeRig(settings);
        Assert.True(rig.Runtime.Start());

        // "hello from tempSensor4711" is 25 bytes: two 16-byte blocks (RFC 7959 §2.4).
        CoapMessage b0 = rig.Request(1, CoapCode.Get, "/hello");
        Assert.True(b0.TryGetUint(CoapOptionNumber.Block2, out uint v0));
        Assert.True(BlockOption.More(v0));
        Assert.Equal(16, b0.PayloadLength);
        CoapMessage b1 = rig.Request(1, CoapCode.Get, "/hello", null, m => m.AddUintOption(CoapOptionNumber.Block2, BlockOption.Encode(1, false, 0)));
        Assert.True(b1.TryGetUint(CoapOptionNumber.Block2, out uint v1));
        Assert.False(BlockOption.More(v1));
        Assert.Equal("hello from " + AceTestSupport.Audience, Text(b0) + Text(b1));
    }

    [Theory]
    [InlineData(nameof(DeviceRuntimeSettings.MaxPeers))]
    [InlineData(nameof(DeviceRuntimeSettings.MaxObservers))]
    [InlineData(nameof(DeviceRuntimeSettings.ClockTickMs))]
    [InlineData(nameof(DeviceRuntimeSettings.Block1Slots))]
    [InlineData(nameof(DeviceRuntimeSettings.MaxBodySize))]
    [InlineData(nameof(DeviceRuntimeSettings.ConfirmableNotificationEvery))]
    [InlineData(nameof(DeviceRuntimeSettings.Ace))]
    public void A_bad_setting_is_named(string name)
    {
        var s = new DeviceRuntimeSettings { Ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) };
        switch (name)
        {
            case nameof(DeviceRuntimeSettings.Ace): s.Ace = null; break;
            case nameof(DeviceRuntimeSettings.MaxPeers): s.MaxPeers = 0; break;
            case nameof(DeviceRuntimeSettings.MaxObservers): s.MaxObservers = 65; break;
            case nameof(DeviceRuntimeSettings.ClockTickMs): s.ClockTickMs = 0; break;
            case nameof(DeviceRuntimeSettings.Block1Slots): s.Block1Slots = 0; break;
            case nameof(DeviceRuntimeSettings.MaxBodySize): s.MaxBodySize = 0; break;
            default: s.ConfirmableNotificationEvery = 0; break;
        }

        ArgumentException e = Assert.Throws<ArgumentException>(() => new DeviceRuntimeRig(s));
        Assert.Contains("DeviceRuntimeSettings." + name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_engine_or_coap_setting_is_named_with_its_group()
    {
        var s = new DeviceRuntimeSettings { Ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { Slots = 0 } };
        Assert.StartsWith("DeviceRuntimeSettings.Ace.Slots", Assert.Throws<ArgumentException>(() => new DeviceRuntimeRig(s)).Message, StringComparison.Ordinal);
        var c = new DeviceRuntimeSettings { Ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) };
        c.Coap.TokenLength = 9;
        Assert.StartsWith("DeviceRuntimeSettings.Coap: ", Assert.Throws<ArgumentException>(() => new DeviceRuntimeRig(c)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_datagram_buffer_is_sized_from_the_message_size_and_a_longer_datagram_is_dropped()
    {
        var settings = new DeviceRuntimeSettings { Ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) };
        settings.Coap.MaxMessageSize = 200;
        var rig = new DeviceRuntimeRig(settings);
        Assert.True(rig.Runtime.Start());
        Assert.Equal(200, rig.Runtime.DatagramBufferSize);
        CoapMessage big = rig.NewRequest(CoapCode.Put, "/hello", new byte[300]);
        Assert.Empty(rig.Exchange(1, AceTestSupport.Serialize(big)));
        Assert.Equal(CoapCode.Content, rig.Request(1, CoapCode.Get, "/hello").Code);
    }

    [Fact]
    public void Without_a_token_key_the_device_does_not_start_and_says_why()
    {
        var rig = new DeviceRuntimeRig(keys: false);
        Assert.False(rig.Runtime.Start());
        Assert.Contains(rig.Log.Lines, l => l.Level == DeviceLogLevel.Error && l.Message.Contains("no AS-RS token key", StringComparison.Ordinal));
        Assert.Throws<InvalidOperationException>(() => rig.Runtime.RunOnce());
    }

    [Fact]
    public void The_configuration_record_gives_the_audience_and_keys_and_a_bad_one_stops_the_device()
    {
        var storage = new MemoryDeviceStorage(4);
        byte[] record = ConfigurationRecord("coap://other-device");
        Assert.True(storage.Write(DeviceRecords.Configuration, record, 0, record.Length));
        var rig = new DeviceRuntimeRig(storage: storage, keys: false);
        Assert.True(rig.Runtime.Start());
        Assert.Contains(rig.Log.Lines, l => l.Level == DeviceLogLevel.Information && l.Message.Contains("audience coap://other-device, tokens COSE_Mac0", StringComparison.Ordinal));

        // A token for the configured audience is taken; one for the settings' audience is not (RFC 9200 §5.10.1.1).
        var ours = new RuntimeClient(rig, 2, new TokenSpec { Audience = "coap://other-device", Protection = "mac0" });
        Assert.Equal(CoapCode.Created, ours.Post().Code);
        Assert.Equal(CoapCode.Content, ours.Send(CoapCode.Get, "/temp").Code);
        var stale = new RuntimeClient(rig, 3, new TokenSpec { Protection = "mac0", Id = [0x07] });
        Assert.NotEqual(CoapCode.Created, stale.Post().Code);
        Assert.Equal("hello from coap://other-device", Text(rig.Request(4, CoapCode.Get, "/hello")));

        var broken = new MemoryDeviceStorage(4);
        Assert.True(broken.Write(DeviceRecords.Configuration, record, 0, record.Length - 3));
        var refused = new DeviceRuntimeRig(storage: broken);
        Assert.False(refused.Runtime.Start());
        Assert.Contains(refused.Log.Lines, l => l.Level == DeviceLogLevel.Error && l.Message.Contains("configuration record refused: malformed", StringComparison.Ordinal));

        var unreadable = new MemoryDeviceStorage(4) { FailReads = true };
        Assert.True(unreadable.Write(DeviceRecords.Configuration, record, 0, record.Length));
        var failed = new DeviceRuntimeRig(storage: unreadable);
        Assert.False(failed.Runtime.Start());
    }

    [Fact]
    public void Until_the_wall_time_is_known_the_device_is_clockless_and_says_so_once()
    {
        var clock = new ManualDeviceClock { WallTimeKnown = false };
        var rig = new DeviceRuntimeRig(clock: clock);
        Assert.True(rig.Runtime.Start());
        for (int i = 0; i < 5; i++)
        {
            clock.Advance(1000);
            rig.Runtime.RunOnce();
        }

        Assert.Single(rig.Log.Lines, l => l.Level == DeviceLogLevel.Warning && l.Message.Contains("no wall time", StringComparison.Ordinal));
        Assert.False(rig.Runtime.Engine.WallClockKnown);

        // RFC 9200 §5.3: a clockless RS asks for a cnonce; RFC 9200 §5.10.3: a token with exp but no exi is refused.
        CoapMessage hints = rig.Request(1, CoapCode.Get, "/temp");
        Assert.NotNull(AsCreationHints.TryParse(hints.PayloadBuffer, hints.PayloadOffset, hints.PayloadLength).Cnonce);
        var expOnly = new RuntimeClient(rig, 2, new TokenSpec());
        Assert.NotEqual(CoapCode.Created, expOnly.Post().Code);

        clock.WallTimeKnown = true;
        clock.Advance(1000);
        rig.Runtime.RunOnce();
        Assert.True(rig.Runtime.Engine.WallClockKnown);
        Assert.Single(rig.Log.Lines, l => l.Level == DeviceLogLevel.Information && l.Message.StartsWith("wall time known", StringComparison.Ordinal));
        var later = new RuntimeClient(rig, 3, new TokenSpec { Id = [0x03] });
        Assert.Equal(CoapCode.Created, later.Post().Code);
        CoapMessage after = rig.Request(1, CoapCode.Get, "/temp");
        Assert.Null(AsCreationHints.TryParse(after.PayloadBuffer, after.PayloadOffset, after.PayloadLength).Cnonce);
    }

    [Fact]
    public void RunOnce_waits_at_most_until_the_next_timer()
    {
        var rig = new DeviceRuntimeRig(new DeviceRuntimeSettings { Ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri), ClockTickMs = 250 });
        Assert.True(rig.Runtime.Start());
        rig.Runtime.RunOnce();
        Assert.Equal(250, rig.Socket.LastTimeoutMs);
        rig.Clock.Advance(100);
        rig.Runtime.RunOnce();
        Assert.Equal(150, rig.Socket.LastTimeoutMs);
        Assert.Equal(rig.Clock.MonotonicMilliseconds + 150, rig.Runtime.NextDueMs);
    }

    [Fact]
    public void A_full_peer_table_evicts_the_least_recently_used_idle_peer_and_a_new_number_never_reaches_the_old_peers_state()
    {
        var settings = new DeviceRuntimeSettings { Ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri), MaxPeers = 2 };
        var rig = new DeviceRuntimeRig(settings);
        Assert.True(rig.Runtime.Start());
        CoapMessage first = rig.NewRequest(CoapCode.Get, "/hello");
        byte[] firstBytes = AceTestSupport.Serialize(first);
        Assert.Single(rig.Exchange(1, firstBytes));
        Assert.Single(rig.Exchange(2, AceTestSupport.Serialize(rig.NewRequest(CoapCode.Get, "/hello"))));
        Assert.Single(rig.Exchange(3, AceTestSupport.Serialize(rig.NewRequest(CoapCode.Get, "/hello"))));
        Assert.Equal(1, rig.Runtime.Peers.Evictions);
        Assert.Equal(2, rig.Runtime.Peers.Count);
        long handled = rig.Runtime.Resources.RequestsHandled;

        // Client 1 comes back with the same Message ID: it is a new peer now, so the request is served, not taken for a
        // duplicate of its evicted number's cache entry (RFC 7252 §4.5 matches by endpoint).
        Assert.Single(rig.Exchange(1, firstBytes));
        Assert.Equal(handled + 1, rig.Runtime.Resources.RequestsHandled);
        Assert.Equal(0, rig.Runtime.MessageLayer.DuplicatesDetected);
    }

    [Fact]
    public void An_observer_is_never_evicted_and_a_full_table_of_busy_peers_drops_the_datagram()
    {
        var settings = new DeviceRuntimeSettings { Ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri), MaxPeers = 1 };
        var rig = new DeviceRuntimeRig(settings);
        Assert.True(rig.Runtime.Start());
        var client = new RuntimeClient(rig, 2, new TokenSpec());
        Assert.Equal(CoapCode.Created, client.Post().Code);
        Assert.Equal(CoapCode.Content, client.Send(CoapCode.Get, "/temp", null, m => m.AddUintOption(CoapOptionNumber.Observe, 0)).Code);
        Assert.Equal(1, rig.Runtime.ObserverCount);

        Assert.Empty(rig.Exchange(9, AceTestSupport.Serialize(rig.NewRequest(CoapCode.Get, "/hello"))));
        Assert.Equal(1, rig.Runtime.Peers.FullDrops);
        Assert.Equal(0, rig.Runtime.Peers.Evictions);
        Assert.Equal(1, rig.Runtime.ObserverCount);
    }

    [Fact]
    public void Malformed_datagrams_from_many_peers_never_throw_and_a_valid_client_is_still_served()
    {
        var rig = new DeviceRuntimeRig();
        Assert.True(rig.Runtime.Start());
        var random = new Random(14);
        for (int i = 0; i < 2000; i++)
        {
            byte[] junk = new byte[random.Next(0, 80)];
            random.NextBytes(junk);
            if (junk.Length > 0 && i % 2 == 0)
            {
                junk[0] = (byte)(0x40 | (junk[0] & 0x3F));
            }

            rig.Socket.Enqueue(10 + (i % 200), junk);
            rig.Runtime.RunOnce();
        }

        var client = new RuntimeClient(rig, 2, new TokenSpec());
        Assert.Equal(CoapCode.Created, client.Post().Code);
        Assert.Equal(CoapCode.Content, client.Send(CoapCode.Get, "/temp").Code);
    }

    internal static string Text(CoapMessage m) => Encoding.ASCII.GetString(m.PayloadBuffer ?? [], m.PayloadOffset, m.PayloadLength);

    internal static byte[] ConfigurationRecord(string audience)
    {
        byte[] buffer = new byte[512];
        var w = new CborWriter(buffer);
        w.WriteStartMap(5);
        w.WriteInt32(1);
        w.WriteTextString(audience);
        w.WriteInt32(2);
        w.WriteTextString(AceTestSupport.AsUri);
        w.WriteInt32(3);
        w.WriteInt32(CoseTag.Mac0);
        w.WriteInt32(4);
        AceTestSupport.AsMacKey().Encode(w);
        w.WriteInt32(5);
        AceTestSupport.AsEncKey().Encode(w);
        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }
}
