using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// <c>popiot as client|rs list|show|remove|rotate</c>, <c>as tokens --json</c> with filters, <c>as introspect</c>, and
/// <c>cwt decode|verify</c> of a TOKEN.json: finishing the flow from the command line, against a running AS process.
/// </summary>
public abstract class AsRegistryCommandTests(StoreKind kind) : TempDirectoryTest
{
    private readonly List<TestStore> _stores = [];

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        foreach (TestStore s in _stores)
        {
            s.Dispose();
        }

        base.Dispose(disposing);
    }

    // An empty database of this suite's kind for `as init --db`.
    private string NewDb()
    {
        TestStore s = TestStore.Empty(kind);
        _stores.Add(s);
        return s.Db;
    }

    private static CliRunner.Result Ok(params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        SqliteConnection.ClearAllPools();
        Assert.True(r.ExitCode == 0, string.Join(' ', args) + " → " + r.ExitCode + ": " + r.Out + r.Error);
        return r;
    }

    private string Registered(string asPort)
    {
        string db = NewDb();
        Ok("as", "init", "--db", db);
        Ok("as", "rs", "add", "--db", db, "--audience", "sensor-a", "--key-out", F("sensor-a.key"), "--credential-out", F("sensor-a.json"), "--as-uri", "coap://127.0.0.1:" + asPort);
        Ok("as", "client", "add", "--db", db, "--client-id", "gw1", "--credential-out", F("gw1.json"), "--as-uri", "coap://127.0.0.1:" + asPort);
        Ok("as", "client", "add", "--db", db, "--client-id", "gw2-with-a-very-long-name-that-would-stretch-every-table-row", "--credential-out", F("gw2.json"), "--as-uri", "coap://127.0.0.1:" + asPort);
        Ok("as", "grant", "--db", db, "--client", "gw1", "--audience", "sensor-a", "--scope", "[[\"/temp\",1]]");
        Ok("as", "grant", "--db", db, "--client", "gw2-with-a-very-long-name-that-would-stretch-every-table-row", "--audience", "sensor-a", "--scope", "[[\"/temp\",1]]");
        return db;
    }

    [SkippableFact]
    public void List_show_remove_and_rotate_clients_and_resource_servers_without_printing_secrets()
    {
        string db = Registered("5690");
        string clients = Ok("as", "client", "list", "--db", db).Out;
        Assert.StartsWith("CLIENT", clients, StringComparison.Ordinal);
        Assert.Contains("gw1", clients, StringComparison.Ordinal);
        Assert.Contains("2 client(s)", clients, StringComparison.Ordinal);
        Assert.All(clients.Split('\n'), l => Assert.True(l.Length < 120, "an unbounded cell: " + l));
        Assert.Contains("sensor-a", Ok("as", "rs", "list", "--db", db).Out, StringComparison.Ordinal);

        string secret = JsonDocument.Parse(File.ReadAllText(F("gw1.json"))).RootElement.GetProperty("oscore").GetProperty("master_secret").GetString()!;
        string show = Ok("as", "client", "show", "--db", db, "--client-id", "gw1").Out;
        Assert.Contains("audience 'sensor-a' scope [[\"/temp\",\"GET\"]]", show, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, show, StringComparison.Ordinal);
        Assert.Contains("up to 512 bytes", Ok("as", "rs", "show", "--db", db, "--audience", "sensor-a").Out, StringComparison.Ordinal);

        // Rotate refuses to overwrite the credential without --force, then writes a new one with its .seq at 0.
        File.WriteAllText(F("gw1.json.seq"), "640\n");
        CliRunner.Result refused = CliRunner.Run("as", "client", "rotate", "--db", db, "--client-id", "gw1", "--credential-out", F("gw1.json"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--force", refused.Error, StringComparison.Ordinal);
        Assert.Contains("re-keyed client 'gw1'", Ok("as", "client", "rotate", "--db", db, "--client-id", "gw1", "--credential-out", F("gw1.json"), "--force").Out, StringComparison.Ordinal);
        Assert.NotEqual(secret, JsonDocument.Parse(File.ReadAllText(F("gw1.json"))).RootElement.GetProperty("oscore").GetProperty("master_secret").GetString());
        Assert.Equal("0", File.ReadAllText(F("gw1.json.seq")).Trim());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(F("gw1.json")));
        }

        Assert.Contains("removed client 'gw1'", Ok("as", "client", "remove", "--db", db, "--client-id", "gw1").Out, StringComparison.Ordinal);
        Assert.Contains("1 client(s)", Ok("as", "client", "list", "--db", db).Out, StringComparison.Ordinal);
        CliRunner.Result unknown = CliRunner.Run("as", "client", "show", "--db", db, "--client-id", "gw1");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown client 'gw1'", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(2, CliRunner.Run("as", "client", "remove", "--db", db, "--client-id", "gw1").ExitCode);
        Assert.Equal(2, CliRunner.Run("as", "rs", "rotate", "--db", db, "--audience", "nope", "--credential-out", F("nope.json")).ExitCode);
        Assert.False(File.Exists(F("nope.json")));
    }

    [SkippableFact]
    public async Task Tokens_json_filters_introspect_and_removal_while_the_as_runs()
    {
        int port = PopiotProcess.FreeUdpPort();
        string p = port.ToString(CultureInfo.InvariantCulture);
        string db = Registered(p);
        using PopiotProcess serve = PopiotProcess.Start("listening on", false, "as", "serve", "--db", db, "--bind", "127.0.0.1", "--port", p);

        // Two tokens through the real AS, one per client.
        byte[] token1 = await Token(F("gw1.json"), port);
        _ = await Token(F("gw2.json"), port);

        string table = Ok("as", "tokens", "--db", db).Out;
        Assert.Contains("2 token(s)", table, StringComparison.Ordinal);
        Assert.All(table.Split('\n'), l => Assert.True(l.Length < 200, "an unbounded cell: " + l));
        Assert.Contains("…", table, StringComparison.Ordinal);

        using (JsonDocument all = JsonDocument.Parse(Ok("as", "tokens", "--db", db, "--json").Out))
        {
            Assert.Equal(2, all.RootElement.GetArrayLength());
            Assert.Contains(all.RootElement.EnumerateArray(), t => t.GetProperty("client").GetString() == "gw2-with-a-very-long-name-that-would-stretch-every-table-row");
        }

        using (JsonDocument mine = JsonDocument.Parse(Ok("as", "tokens", "--db", db, "--json", "--client", "gw1", "--active").Out))
        {
            JsonElement only = Assert.Single(mine.RootElement.EnumerateArray().ToList());
            Assert.Equal("sensor-a", only.GetProperty("audience").GetString());
            Assert.Equal("active", only.GetProperty("state").GetString());
        }

        Assert.Equal(0, JsonDocument.Parse(Ok("as", "tokens", "--db", db, "--json", "--audience", "other").Out).RootElement.GetArrayLength());

        // Introspection as the RS, from a TOKEN.json as `token mint` and `coap --ace` write it.
        File.WriteAllText(F("token.json"), "{ \"access_token\": \"" + Convert.ToHexStringLower(token1) + "\", \"cnf\": { \"osc\": { \"ms\": \"000102030405060708090a0b0c0d0e0f\", \"id\": \"01\" } } }");
        CliRunner.Result decoded = CliRunner.Run("cwt", "decode", "@" + F("token.json"));
        Assert.True(decoded.ExitCode == 0, decoded.Out + decoded.Error);
        CliRunner.Result verified = CliRunner.Run("cwt", "verify", "--key", "@" + F("sensor-a.key"), "--aud", "sensor-a", "@" + F("token.json"));
        Assert.True(verified.ExitCode == 0, verified.Out + verified.Error);
        CliRunner.Result active = CliRunner.Run("as", "introspect", "--credential", F("sensor-a.json"), "@" + F("token.json"));
        Assert.True(active.ExitCode == 0, active.Out + active.Error + serve.Error);
        Assert.Contains("active: true", active.Out, StringComparison.Ordinal);
        Assert.Contains("client_id: gw1", active.Out, StringComparison.Ordinal);

        // Removing the client while the AS runs: its tokens are revoked, its credential refused at once.
        Ok("as", "client", "remove", "--db", db, "--client-id", "gw1");
        CliRunner.Result inactive = CliRunner.Run("as", "introspect", "--credential", F("sensor-a.json"), Convert.ToHexStringLower(token1));
        Assert.Equal(1, inactive.ExitCode);
        Assert.Contains("active: false", inactive.Out, StringComparison.Ordinal);
        using (var ctx = PopIoT.Ace.AceCredentialFile.Load(F("gw1.json")).Oscore.CreateContext())
        await using (PopIoT.Coap.CoapClient c = AceTestBed.Client(ctx))
        {
            PopIoT.Coap.CoapResponse r = await AceTestBed.Post(c, new Uri("coap://127.0.0.1:" + p), "/token", AceTestBed.TokenRequest("sensor-a"));
            Assert.Equal(PopIoT.Core.Coap.CoapCode.Unauthorized, r.Code);
        }

        Assert.Contains("client 'gw1' was removed", serve.ErrorOnceItHolds("client 'gw1' was removed"), StringComparison.Ordinal);
        Assert.Contains("Security context not found", serve.ErrorOnceItHolds("Security context not found"), StringComparison.Ordinal);

        // A client's credential is not an RS's.
        CliRunner.Result wrong = CliRunner.Run("as", "introspect", "--credential", F("gw2.json"), Convert.ToHexStringLower(token1));
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("client's credential", wrong.Error, StringComparison.Ordinal);
    }

    private static async Task<byte[]> Token(string credential, int port)
    {
        using var ctx = PopIoT.Ace.AceCredentialFile.Load(credential).Oscore.CreateContext();
        await using PopIoT.Coap.CoapClient c = AceTestBed.Client(ctx);
        PopIoT.Coap.CoapResponse r = await AceTestBed.Post(c, new Uri("coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)), "/token", AceTestBed.TokenRequest("sensor-a"));
        Assert.True(r.Code == PopIoT.Core.Coap.CoapCode.Created, r.CodeText + " " + r.PayloadText);
        return AceTestBed.Bytes(AceTestBed.Map(r.Payload)[PopIoT.Core.Ace.AceParameters.AccessToken]);
    }
}

/// <summary>The suite on SQLite.</summary>
public sealed class AsRegistryCommandTestsOnSqlite() : AsRegistryCommandTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class AsRegistryCommandTestsOnPostgres() : AsRegistryCommandTests(StoreKind.Postgres);
