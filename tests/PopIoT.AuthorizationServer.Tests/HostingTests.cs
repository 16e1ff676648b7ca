using PopIoT.Ace;
using PopIoT.Core.Ace;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Hosting;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>The AS as a Microsoft.Extensions.Hosting service, configured from a JSON file and overrides.</summary>
public sealed class HostingTests : TempDirectoryTest
{
    [Fact]
    public async Task The_hosted_service_reads_its_settings_from_json_and_overrides_and_serves_tokens()
    {
        string db = Path.Combine(Dir, "as.db");
        ClientRecord gw;
        using (SqliteAuthorizationStore store = SqliteAuthorizationStore.Create(db))
        {
            var registry = new AuthorizationServerRegistry(store, PlatformCryptoProvider.Instance.Random);
            registry.AddResourceServer("temp1");
            gw = registry.AddClient("gw1");
            registry.Grant("gw1", "temp1", AccessScope.Parse("read"));
        }

        string json = Path.Combine(Dir, "as.json");
        File.WriteAllText(json, """{ "As": { "Database": "ignored.db", "Bind": "127.0.0.1", "Port": 0, "TokenLifetimeSeconds": 600 } }""");
        using IHost host = AuthorizationServerHost.CreateBuilder(json, new Dictionary<string, string?> { ["As:Database"] = db }).Build();
        var service = host.Services.GetRequiredService<AuthorizationServerService>();
        await host.StartAsync();
        System.Net.IPEndPoint at = await service.Started.WaitAsync(TimeSpan.FromSeconds(30));
        try
        {
            using SecurityContext ctx = PeerContext(gw.Credential);
            await using CoapClient client = Client(ctx);
            CoapResponse r = await Post(client, new Uri("coap://127.0.0.1:" + at.Port), "/token", TokenRequest("temp1"));
            Assert.Equal(CoapCode.Created, r.Code);
            Assert.Equal(600, Int(Map(r.Payload)[AceParameters.ExpiresIn]));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_missing_database_fails_the_start_with_the_reason()
    {
        using IHost host = AuthorizationServerHost.CreateBuilder(null, new Dictionary<string, string?> { ["As:Database"] = Path.Combine(Dir, "none.db"), ["As:Port"] = "0" }).Build();
        var service = host.Services.GetRequiredService<AuthorizationServerService>();
        try
        {
            await host.StartAsync();
        }
        catch (AuthorizationStoreException)
        {
        }

        var e = await Assert.ThrowsAsync<AuthorizationStoreException>(() => service.Started);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
    }
}
