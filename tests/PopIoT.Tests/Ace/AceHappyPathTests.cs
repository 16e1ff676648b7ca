using System.Text;
using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using Xunit;

namespace PopIoT.Tests.Ace;

/// <summary>Mint, post to /authz-info, then GET /temp, PUT /led and Observe /temp under OSCORE, over UDP loopback and the lossy network.</summary>
public class AceHappyPathTests
{
    [Theory]
    [InlineData("udp", TokenProtection.Encrypt0)]
    [InlineData("udp", TokenProtection.Mac0)]
    [InlineData("lossy", TokenProtection.Encrypt0)]
    [InlineData("lossy", TokenProtection.Mac0)]
    public void Mint_post_then_get_temp_and_put_led_under_oscore(string network, TokenProtection protection)
    {
        using var world = new AceWorld(network, protection: protection);
        AccessTokenFile token = world.Mint("[[\"/temp\",\"GET\"],[\"/led\",\"GET|PUT\"]]");
        AceOscoreClient client = world.Client(token);

        CoapResponse temp = world.Run(client.GetAsync(world.At("/temp")));
        Assert.Equal(CoapCode.Content, temp.Code);
        Assert.Equal("21.5", temp.PayloadText);
        Assert.Equal(1, client.TokenPosts);
        Assert.NotNull(client.Context);

        CoapResponse put = world.Run(client.PutAsync(world.At("/led"), "on"u8.ToArray(), 0));
        Assert.Equal(CoapCode.Changed, put.Code);
        Assert.True(world.Device.Led);
        Assert.Equal("on", world.Run(client.GetAsync(world.At("/led"))).PayloadText);

        // The device decided each step and said so: the token stored, then three requests allowed; nothing refused.
        var decisions = world.Device.Decisions;
        Assert.Equal(AceDecisionKind.TokenStored, decisions[0].Kind);
        Assert.Equal(3, decisions.Count(d => d.Kind == AceDecisionKind.RequestAllowed));
        Assert.Empty(world.Rejections());
        Assert.Contains("TokenStored reason=none code=2.01 POST /authz-info", decisions[0].ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void Hello_needs_no_token_and_temp_without_one_gets_4_01_with_creation_hints(string network)
    {
        using var world = new AceWorld(network);
        CoapClient plain = world.PlainClient();
        CoapResponse hello = world.Run(plain.GetAsync(world.At("/hello")));
        Assert.Equal(CoapCode.Content, hello.Code);
        Assert.Equal("hello from " + AceWorld.Audience, hello.PayloadText);

        CoapResponse temp = world.Run(plain.GetAsync(world.At("/temp")));
        Assert.Equal(CoapCode.Unauthorized, temp.Code);
        Assert.Equal(CoapContentFormat.AceCbor, temp.ContentFormat);
        byte[] body = temp.Payload.ToArray();
        AsCreationHints hints = AsCreationHints.TryParse(body, 0, body.Length);
        Assert.NotNull(hints);
        Assert.Equal(AceWorld.Audience, hints.Audience);
        Assert.Equal(world.Device.Options.AsUri, hints.AsUri);
        Assert.Equal(AceRsError.NotProtected, world.Rejections().Single().Reason);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void Observe_temp_under_oscore_gets_each_new_temperature(string network)
    {
        using var world = new AceWorld(network);
        AceOscoreClient client = world.Client(world.Mint("read"));
        var seen = new List<string>();
        using var stop = new CancellationTokenSource();
        var gotOne = new SemaphoreSlim(0);
        Task observing = Task.Run(async () =>
        {
            await foreach (CoapResponse r in client.ObserveAsync(world.At("/temp"), stop.Token))
            {
                Assert.Equal(CoapCode.Content, r.Code);
                Assert.NotNull(r.Observe);
                lock (seen)
                {
                    seen.Add(r.PayloadText);
                }

                gotOne.Release();
                if (seen.Count == 3)
                {
                    break;
                }
            }
        });

        world.Run(gotOne.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(t => t.Result ? 0 : throw new TimeoutException("no first response"), TaskScheduler.Default));
        Assert.Equal(1, world.Device.ObserverCount);
        foreach (double t in new[] { 22.0, 23.5 })
        {
            Assert.Equal(1, world.Device.SetTemperature(t));
            world.Run(gotOne.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(x => x.Result ? 0 : throw new TimeoutException("no notification"), TaskScheduler.Default));
        }

        world.Run(observing);
        Assert.Equal(["21.5", "22.0", "23.5"], seen);
        Assert.Equal(1, client.TokenPosts);
        Assert.Empty(world.Rejections());
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void A_large_token_goes_to_authz_info_in_block1_blocks(string network)
    {
        using var world = new AceWorld(network, maxTokenSize: 4096);
        string scope = "read " + string.Join(' ', Enumerable.Range(0, 150).Select(i => "extra-scope-" + i));
        AccessTokenFile token = world.Mint(scope);
        Assert.True(token.AccessToken.Length > 2048, "token of " + token.AccessToken.Length + " bytes");
        AceOscoreClient client = world.Client(token, options: new AceOscoreClientOptions { Coap = new CoapClientOptions { BlockSize = 256, Timeout = TimeSpan.FromSeconds(600) } });
        Assert.Equal("21.5", world.Run(client.GetAsync(world.At("/temp"))).PayloadText);
        Assert.Equal(AceDecisionKind.TokenStored, world.Device.Decisions[0].Kind);
    }
}
