using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Device;
using PopIoT.Device;
using Xunit;

namespace PopIoT.Tests.Ace;

/// <summary>
/// The simulated device rebooted in the middle of a flow (the same storage, a fresh device; docs/device.md, "State that
/// survives a reboot"), and a device whose wall clock becomes known later (docs/ace-rs.md, "Time that becomes known later").
/// </summary>
public class AceRebootTests
{
    [Fact]
    public void A_clockless_device_refuses_after_a_reboot_a_captured_token_whose_exi_number_it_burnt()
    {
        var storage = new MemoryDeviceStorage(4);
        using var world = new AceWorld("lossy", hasClock: false, storage: storage);
        AccessTokenFile token = world.Mint("read", exi: 60);
        AceOscoreClient client = world.Client(token, options: new AceOscoreClientOptions { RepostOnUnauthorized = false });
        Assert.Equal(CoapCode.Content, world.Run(client.GetAsync(world.At("/temp"))).Code);
        world.Clock.Advance(TimeSpan.FromSeconds(61));
        world.Device.Tick();
        Assert.Equal(0, world.Device.ActiveSlots);

        world.Restart();
        CoapResponse r = world.Run(world.PlainClient().PostAsync(world.At("/authz-info"), AuthzInfoRequest.Encode(token.AccessToken, null, null), CoapContentFormat.AceCbor));
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        Assert.Equal(AceRsError.TokenCtiReplayed, world.Rejections().Last().Reason);
        Assert.Equal(0, world.Device.ActiveSlots);
    }

    [Fact]
    public void A_request_replayed_across_a_reboot_is_refused_and_its_token_cannot_be_posted_again()
    {
        var storage = new MemoryDeviceStorage(4);
        using var world = new AceWorld("lossy", hasClock: false, storage: storage);
        AccessTokenFile token = world.Mint("write", exi: 600);
        var sent = new List<byte[]>();
        AceOscoreClient client = world.Client(token, d => { lock (sent) { sent.Add(d); } }, new AceOscoreClientOptions { RepostOnUnauthorized = false });
        Assert.Equal(CoapCode.Changed, world.Run(client.PutAsync(world.At("/led"), "on"u8.ToArray())).Code);
        byte[] captured;
        lock (sent)
        {
            captured = sent.Last(d => Parse(d).HasOption(CoapOptionNumber.Oscore));
        }

        // RFC 8613 Appendix B.1.2: after the reboot every context is new; the old one's keys went with the RAM.
        world.Restart();
        Assert.False(world.Device.Led);
        Assert.Equal(CoapCode.Unauthorized, Parse(world.SendRaw(captured)).Code);
        Assert.Equal(AceRsError.SecurityContextNotFound, world.Rejections().Last().Reason);

        // RFC 9200 §5.10.3: nor can the token come back with a fresh exi lifetime to set up a context again.
        CoapResponse r = world.Run(world.PlainClient().PostAsync(world.At("/authz-info"), AuthzInfoRequest.Encode(token.AccessToken, null, null), CoapContentFormat.AceCbor));
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        Assert.Equal(AceRsError.TokenCtiReplayed, world.Rejections().Last().Reason);
        Assert.Equal(0, world.Device.RequestsHandled);
        Assert.False(world.Device.Led);
    }

    [Fact]
    public void A_device_whose_storage_fails_refuses_exi_tokens()
    {
        var storage = new MemoryDeviceStorage(4) { FailWrites = true };
        using var world = new AceWorld("lossy", hasClock: false, storage: storage);
        AceOscoreClient client = world.Client(world.Mint("read", exi: 60), options: new AceOscoreClientOptions { RepostOnUnauthorized = false, AuthzInfoRetries = 0 });
        Assert.ThrowsAny<AceTokenRejectedException>(() => world.Run(client.GetAsync(world.At("/temp"))));
        Assert.Contains(world.Device.Decisions, d => d.Reason == AceRsError.ExiStateUnavailable && d.Code == CoapCode.ServiceUnavailable);
        Assert.Equal(0, world.Device.ActiveSlots);

        // The medium recovers: the next clock tick writes the number the refused token moved.
        storage.FailWrites = false;
        world.Clock.Advance(TimeSpan.FromSeconds(1));
        world.Device.Tick();
        Assert.False(world.Device.ExiStateUnavailable);
        Assert.Equal(1, storage.Writes);

        // A record that cannot be read at the next boot: exi tokens are refused for that boot.
        storage.FailReads = true;
        world.Restart();
        Assert.False(world.Device.StorageReadable);
        Assert.True(world.Device.ExiStateUnavailable);
    }

    [Fact]
    public void A_device_whose_clock_becomes_known_later_is_clockless_until_then_and_enforces_exp_after()
    {
        using var world = new AceWorld("lossy", hasClock: false, wallClockKnownAfter: TimeSpan.FromSeconds(30));
        var options = new AceOscoreClientOptions { RepostOnUnauthorized = false, AuthzInfoRetries = 0 };
        Assert.False(world.Device.WallClockKnown);
        AceOscoreClient early = world.Client(world.Mint("read"), options: options);
        Assert.ThrowsAny<AceTokenRejectedException>(() => world.Run(early.GetAsync(world.At("/temp"))));
        Assert.Contains(world.Device.Decisions, d => d.Reason == AceRsError.TokenLifetimeMissing);

        world.Clock.Advance(TimeSpan.FromSeconds(31));
        world.Device.Tick();
        Assert.True(world.Device.WallClockKnown);
        Assert.Contains(world.Device.Decisions, d => d.Kind == AceDecisionKind.WallClockKnown);
        AceOscoreClient late = world.Client(world.Mint("read"), options: options);
        Assert.Equal(CoapCode.Content, world.Run(late.GetAsync(world.At("/temp"))).Code);
    }

    private static CoapMessage Parse(byte[] d)
    {
        var m = new CoapMessage();
        Assert.Equal(CoapParseError.None, m.Parse(d, 0, d.Length));
        return m;
    }
}
