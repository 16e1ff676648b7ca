using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Device;
using PopIoT.Tests.Ace;
using Xunit;

namespace PopIoT.Tests.Device;

/// <summary>
/// The full ACE flow on the simulated device, that is on Core's DeviceRuntime sized by each board profile that fits, with
/// the board's crypto path (docs/firmware.md "Board profiles", "The device runtime").
/// </summary>
public sealed class BoardFlowTests
{
    public static TheoryData<string> FittingBoards()
    {
        var data = new TheoryData<string>();
        foreach (string name in BoardProfiles.Names.Where(n => BoardProfiles.Fits(BoardProfiles.Load(n))))
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void Every_profile_but_the_32_KB_board_fits()
    {
        Assert.Equal(["esp32-c3", "esp32-devkitc", "esp32-s3-psram", "stm32f769i-discovery"], BoardProfiles.Names.Where(n => BoardProfiles.Fits(BoardProfiles.Load(n))).ToArray());
        Assert.False(BoardProfiles.Fits(BoardProfiles.Load("nucleo64-f091rc")));
    }

    [Theory]
    [MemberData(nameof(FittingBoards))]
    public void Hints_token_authz_info_protected_get_refused_put_and_a_reboot_work_on_the_board_profile(string board)
    {
        BoardProfile profile = BoardProfiles.Load(board);
        using var world = new AceWorld("lossy", board: profile);
        Assert.Equal(profile.Slots, world.Device.Options.Slots);
        Assert.Equal(profile.ReplayWindow, world.Device.Options.ReplayWindow);
        Assert.Equal(profile.MaxTokenBytes, world.Device.Options.MaxTokenSize);
        Assert.Equal(profile.MaxMessageBytes, world.Device.MaxMessageSize);

        // Without a token: 4.01 with AS Request Creation Hints naming the audience (RFC 9200 §5.3).
        CoapResponse bare = world.Run(world.PlainClient().GetAsync(world.At("/temp")));
        Assert.Equal(CoapCode.Unauthorized, bare.Code);
        byte[] body = bare.Payload.ToArray();
        Assert.Equal(AceWorld.Audience, AsCreationHints.TryParse(body, 0, body.Length)!.Audience);

        // A read token: posted to /authz-info, then a protected GET; PUT on /led is a method outside its scope (4.05,
        // RFC 9200 §5.10.2; docs/ace-rs.md).
        AceOscoreClient client = world.Client(world.Mint("read"));
        Assert.Equal(CoapCode.Content, world.Run(client.GetAsync(world.At("/temp"))).Code);
        Assert.Equal(1, client.TokenPosts);
        Assert.Equal(CoapCode.MethodNotAllowed, world.Run(client.PutAsync(world.At("/led"), "on"u8.ToArray())).Code);

        // A reboot: a fresh device on the same keys; the client gets 4.01, posts its token again and goes on.
        world.Restart();
        Assert.Equal(0, world.Device.ActiveSlots);
        Assert.Equal(0, world.Device.PeerCount);
        Assert.Equal(CoapCode.Content, world.Run(client.GetAsync(world.At("/temp"))).Code);
        Assert.Equal(2, client.TokenPosts);
    }
}
