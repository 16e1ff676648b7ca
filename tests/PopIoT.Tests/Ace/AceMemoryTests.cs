using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using Xunit;

namespace PopIoT.Tests.Ace;

/// <summary>Fixed memory end to end (DESIGN.md §6): more clients than slots, each ends working after a clean 4.01 and a re-post.</summary>
public class AceMemoryTests
{
    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void Ten_clients_taking_turns_on_four_slots_all_end_working_via_4_01_and_an_automatic_repost(string network)
    {
        // Eviction itself is the point: ten clients take turns on four slots within seconds, so the eviction protection
        // and the /authz-info rate limits are off here (Core's AceAdmissionTests and AceAdmissionTests here cover them).
        using var world = new AceWorld(network, slots: 4, protectionSeconds: 0, rateLimits: false);
        var clients = Enumerable.Range(0, 10).Select(i => world.Client(world.Mint(i % 2 == 0 ? "read" : "write"))).ToList();
        for (int round = 0; round < 3; round++)
        {
            foreach (AceOscoreClient c in clients)
            {
                CoapResponse r = world.Run(c.GetAsync(world.At("/led")));
                Assert.Equal(CoapCode.Content, r.Code);
            }
        }

        // Never more than four contexts; every turn after the first round found its context evicted, got a clean 4.01
        // (context not found), and the client posted its token again with fresh nonces before retrying once.
        Assert.Equal(4, world.Device.ActiveSlots);
        Assert.Equal(30 - 4, world.Device.Evictions);
        Assert.All(clients, c => Assert.Equal(3, c.TokenPosts));
        var rejections = world.Rejections();
        Assert.Equal(20, rejections.Count);
        Assert.All(rejections, d => Assert.Equal((AceDecisionKind.RequestDenied, AceRsError.SecurityContextNotFound), (d.Kind, d.Reason)));
        Assert.Equal(30, world.Device.Decisions.Count(d => d.Kind == AceDecisionKind.RequestAllowed));
        Assert.Equal(30 - 4, world.Device.Decisions.Count(d => d.Kind == AceDecisionKind.SlotEvicted));

        // With the last four clients' contexts still in place, they go on without posting again.
        foreach (AceOscoreClient c in clients.TakeLast(4))
        {
            Assert.Equal(CoapCode.Content, world.Run(c.GetAsync(world.At("/led"))).Code);
            Assert.Equal(3, c.TokenPosts);
        }
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void After_a_device_restart_the_client_gets_4_01_posts_its_token_again_and_goes_on(string network)
    {
        using var world = new AceWorld(network);
        AceOscoreClient client = world.Client(world.Mint("write"));
        Assert.Equal(CoapCode.Changed, world.Run(client.PutAsync(world.At("/led"), "on"u8.ToArray())).Code);

        world.Restart();
        Assert.Equal(0, world.Device.ActiveSlots);
        CoapResponse r = world.Run(client.GetAsync(world.At("/led")));
        Assert.Equal(CoapCode.Content, r.Code);
        Assert.Equal("off", r.PayloadText);
        Assert.Equal(2, client.TokenPosts);

        // The new device saw the request without a context, refused it cleanly, then took the token again.
        var decisions = world.Device.Decisions;
        Assert.Equal((AceDecisionKind.RequestDenied, AceRsError.SecurityContextNotFound), (decisions[0].Kind, decisions[0].Reason));
        Assert.Equal(AceDecisionKind.TokenStored, decisions[1].Kind);
        Assert.Equal(AceDecisionKind.RequestAllowed, decisions[2].Kind);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("lossy")]
    public void An_observation_ends_when_its_context_is_evicted_and_nothing_unprotected_is_sent(string network)
    {
        using var world = new AceWorld(network, slots: 1);
        AceOscoreClient watcher = world.Client(world.Mint("read"));
        using var stop = new CancellationTokenSource();
        var first = new TaskCompletionSource<CoapResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        int received = 0;
        Task observing = Task.Run(async () =>
        {
            try
            {
                await foreach (CoapResponse r in watcher.ObserveAsync(world.At("/temp"), stop.Token))
                {
                    Interlocked.Increment(ref received);
                    first.TrySetResult(r);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        Assert.Equal("21.5", world.Run(first.Task).PayloadText);
        Assert.Equal(1, world.Device.ObserverCount);

        // Another client takes the only slot once the watcher's registration is older than the eviction protection (a
        // notification proves nothing about the client); the watcher's keys are erased, so its next notification cannot
        // be protected: the device drops the observation instead of sending anything in clear.
        world.Clock.Advance(TimeSpan.FromSeconds(AceRsSettings.DefaultEvictionProtectionSeconds + 1));
        AceOscoreClient other = world.Client(world.Mint("read"));
        Assert.Equal(CoapCode.Content, world.Run(other.GetAsync(world.At("/temp"))).Code);
        Assert.Equal(1, world.Device.Evictions);
        world.Device.SetTemperature(30.0);
        Assert.Equal(0, world.Device.ObserverCount);
        Assert.Equal(1, Volatile.Read(ref received));
        stop.Cancel();
        world.Run(observing);
    }
}
