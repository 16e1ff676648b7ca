using PopIoT.Core.Ace;
using PopIoT.AuthorizationServer.Ace;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>Load: 2,000 token requests from 32 concurrent clients; all succeed with distinct cti and keys, all stored.</summary>
public abstract class LoadTests(StoreKind kind)
{
    [SkippableFact]
    public async Task Two_thousand_requests_from_32_concurrent_clients_all_succeed_distinct_and_stored()
    {
        const int Clients = 32;
        const int PerClient = 2000 / Clients + 1; // 63 × 32 = 2,016 ≥ 2,000
        using var bed = new AceTestBed(kind, extraClients: Clients);
        byte[] body = TokenRequest("temp1");
        var results = new AceResponse[Clients][];
        var start = new ManualResetEventSlim();
        Task[] workers = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            start.Wait();
            var peer = new AcePeer(false, "load" + c);
            results[c] = new AceResponse[PerClient];
            for (int i = 0; i < PerClient; i++)
            {
                results[c][i] = await bed.Server.Token.HandleAsync(peer, body);
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(workers);

        AceResponse[] all = results.SelectMany(r => r).ToArray();
        Assert.Equal(Clients * PerClient, all.Length);
        Assert.All(all, r => Assert.Null(r.Error));
        var keys = all.Select(r => Convert.ToHexString(Bytes(Map(Map(Map(r.Payload)[AceParameters.Cnf])[4])[2]))).ToHashSet();
        var tokens = all.Select(r => Convert.ToHexString(Bytes(Map(r.Payload)[AceParameters.AccessToken]))).ToHashSet();
        Assert.Equal(all.Length, keys.Count);
        Assert.Equal(all.Length, tokens.Count);

        var stored = bed.Store.ListTokens();
        Assert.Equal(all.Length, stored.Count);
        Assert.Equal(all.Length, stored.Select(t => Convert.ToHexString(t.Cti)).Distinct().Count());
        Assert.Equal(Clients, stored.Select(t => t.ClientId).Distinct().Count());
        Assert.All(stored, t => Assert.StartsWith("load", t.ClientId, StringComparison.Ordinal));
    }
}

/// <summary>The suite on SQLite.</summary>
public sealed class LoadTestsOnSqlite() : LoadTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class LoadTestsOnPostgres() : LoadTests(StoreKind.Postgres);
