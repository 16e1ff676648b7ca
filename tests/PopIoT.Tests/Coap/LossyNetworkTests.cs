using System.Net;
using System.Text;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using Xunit;

namespace PopIoT.Tests.Coap;

/// <summary>Client and server on the seeded lossy in-memory network with a virtual clock (DESIGN.md §7).</summary>
public class LossyNetworkTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 5683);

    [Fact]
    public async Task Thousand_con_posts_over_a_bad_network_each_complete_or_time_out_after_the_rfc_retransmissions_and_run_at_most_once()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 2026, DropRate = 0.30, DuplicateRate = 0.10, ReorderRate = 0.20, MinDelayMs = 1, MaxDelayMs = 40, ReorderDelayMs = 400 });
        var runs = new int[1000];
        using var server = new CoapServer(new CoapServerOptions
        {
            Random = new SeededRandomSource(1),
            // Big enough to remember every request for EXCHANGE_LIFETIME, and refuse rather than evict (no request runs twice).
            Settings = new CoapSettings { DeduplicationCapacity = 1100, DeduplicationPerPeer = 1100, EvictOldestWhenFull = false, MaxExchanges = 16, OutboxCapacity = 64 },
        });
        server.Map("/counter", CoapMethods.Post, (req, _) =>
        {
            int id = int.Parse(req.PayloadText, System.Globalization.CultureInfo.InvariantCulture);
            runs[id]++;
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed, req.Payload.ToArray()));
        });
        server.Start(net.CreateTransport(ServerAddress));

        // Count how often each client request (by source and Message ID) was put on the wire.
        var transmissions = new Dictionary<(IPEndPoint, int), int>();
        net.DatagramSent += (from, to, data) =>
        {
            if (to.Equals(ServerAddress) && data.Length >= 4 && (data[0] >> 4 & 3) == 0)
            {
                var key = (from, (data[2] << 8) | data[3]);
                transmissions[key] = transmissions.GetValueOrDefault(key) + 1;
            }
        };

        var clients = new List<CoapClient>();
        var tasks = new List<(int Id, Task<CoapResponse> Task)>();
        for (int c = 0; c < 20; c++)
        {
            var client = new CoapClient(net.CreateTransport(new IPEndPoint(IPAddress.Parse("10.0.1." + (c + 1)), 40000)), new CoapClientOptions { Random = new SeededRandomSource(100 + c), MaxConcurrentRequests = 64 });
            clients.Add(client);
            for (int k = 0; k < 50; k++)
            {
                int id = (c * 50) + k;
                tasks.Add((id, client.PostAsync(new Uri("coap://10.0.0.1/counter"), Encoding.ASCII.GetBytes(id.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
            }
        }

        var wall = System.Diagnostics.Stopwatch.StartNew();
        // Every exchange ends by itself (response or give-up), so the network runs dry well within a virtual day.
        net.RunTo(24L * 3600 * 1000);
        Assert.True(net.NowMs < 24L * 3600 * 1000);
        await WhenAllSettled(tasks.Select(t => t.Task));
        Assert.True(wall.Elapsed < TimeSpan.FromSeconds(30));

        int ok = 0, timedOut = 0;
        foreach ((int id, Task<CoapResponse> task) in tasks)
        {
            if (task.IsCompletedSuccessfully)
            {
                ok++;
                CoapResponse r = await task;
                Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), r.PayloadText);
                Assert.Equal(CoapCode.Changed, r.Code);
                Assert.Equal(1, runs[id]); // exactly once
            }
            else
            {
                timedOut++;
                var e = Assert.IsType<CoapTimeoutException>(task.Exception!.InnerException);
                Assert.True(e.ByMessageLayer);
                Assert.True(runs[id] <= 1);
            }
        }

        Assert.Equal(1000, ok + timedOut);
        Assert.True(ok > 900, ok + " completed");
        // 30% loss each way: a CON exchange fails when all five tries lose the request or the ACK (0.51^5, about 3.5%).
        Assert.True(timedOut > 0, "some requests exhaust MAX_RETRANSMIT");
        Assert.True(runs.All(r => r <= 1), "no POST ran twice");
        // RFC 7252 §4.2: a request that failed went out exactly 1 + MAX_RETRANSMIT (4) times.
        Assert.True(transmissions.Values.All(n => n <= 5));
        Assert.True(transmissions.Count(kv => kv.Value == 5) >= timedOut);
        LossyNetworkStatistics s = net.Statistics;
        Assert.True(s.Dropped > 0 && s.Duplicated > 0 && s.Reordered > 0);

        foreach (CoapClient client in clients)
        {
            client.Dispose();
        }
    }

    // Tasks complete their awaiting continuations on the thread pool, a moment after the network delivered the response.
    private static async Task WhenAllSettled(IEnumerable<Task> tasks)
    {
        try
        {
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (CoapTimeoutException)
        {
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_run()
    {
        Assert.Equal(Run(5), Run(5));
        Assert.NotEqual(Run(5), Run(6));

        static LossyNetworkStatistics Run(int seed)
        {
            var net = new LossyNetwork(new LossyNetworkOptions { Seed = seed, DropRate = 0.3, DuplicateRate = 0.1, ReorderRate = 0.2 });
            using var server = new CoapServer(new CoapServerOptions { Random = new SeededRandomSource(1) });
            CoapDemoResources.Map(server);
            server.Start(net.CreateTransport(ServerAddress));
            using var client = new CoapClient(net.CreateTransport(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 1000)), new CoapClientOptions { Random = new SeededRandomSource(2) });
            var t = Enumerable.Range(0, 20).Select(_ => client.GetAsync(new Uri("coap://10.0.0.1/large"))).ToArray();
            net.RunTo(3_600_000);
            return net.Statistics;
        }
    }

    [Fact]
    public async Task Block_wise_transfers_survive_loss_and_reordering()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 9, DropRate = 0.2, DuplicateRate = 0.1, ReorderRate = 0.3 });
        using var server = new CoapServer(new CoapServerOptions { Random = new SeededRandomSource(3) });
        CoapDemoResources.Map(server);
        server.Start(net.CreateTransport(ServerAddress));
        using var client = new CoapClient(net.CreateTransport(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 1000)), new CoapClientOptions { Random = new SeededRandomSource(4) });
        byte[] body = new byte[3000];
        SeededRandomSource.NewRandom(1).NextBytes(body);
        var put = client.SendAsync(new CoapRequest(CoapCode.Put, new Uri("coap://10.0.0.1/store")) { Payload = body, BlockSize = 64 });
        net.RunTo(3_600_000);
        Assert.True((await put).IsSuccess);
        var get = client.SendAsync(new CoapRequest(CoapCode.Get, new Uri("coap://10.0.0.1/store")) { BlockSize = 32 });
        net.RunTo(7_200_000);
        Assert.Equal(body, (await get).Payload.ToArray());
    }
}
