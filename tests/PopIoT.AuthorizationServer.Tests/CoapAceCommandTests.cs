namespace PopIoT.AuthorizationServer.Tests;

/// <summary><c>popiot coap get|put ... --ace ID.json</c>: the whole ACE flow from the command line, in process.</summary>
public abstract class CoapAceCommandTests(StoreKind kind)
{
    [SkippableFact]
    public void Get_with_ace_follows_the_hints_gets_a_token_and_reads_over_OSCORE()
    {
        using var world = new GatewayWorld(kind);

        var r = CliRunner.Run("coap", "get", new Uri(world.BaseA, "/temp").ToString(), "--ace", world.ClientCredential, "--timeout", "30");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("2.05", r.Out, StringComparison.Ordinal);
        Assert.Contains("HintsReceived", r.Error, StringComparison.Ordinal);
        Assert.Contains("TokenPosted", r.Error, StringComparison.Ordinal);
        Assert.Single(world.Store.ListTokens());
        Assert.True(File.Exists(world.ClientCredential + ".seq"), "the Sender Sequence Number with the AS is kept next to ID.json");

        // A second run is a new process in real life: it reuses the token kept next to ID.json (no new slot on the
        // device, no new token at the AS) and posts it again with fresh nonces.
        var again = CliRunner.Run("coap", "get", new Uri(world.BaseA, "/led").ToString(), "--ace", world.ClientCredential, "--timeout", "30");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("TokenReused", again.Error, StringComparison.Ordinal);
        Assert.Single(world.Store.ListTokens());

        // Asking for another scope takes a new token with it.
        var scoped = CliRunner.Run("coap", "get", new Uri(world.BaseA, "/temp").ToString(), "--ace", world.ClientCredential, "--scope", "[[\"/temp\",1]]", "--timeout", "30");
        Assert.Equal(0, scoped.ExitCode);
        Assert.Contains("TokenIssued", scoped.Error, StringComparison.Ordinal);
        Assert.Equal(2, world.Store.ListTokens().Count);
    }

    [SkippableFact]
    public void Put_outside_the_scope_with_ace_exits_1_and_prints_the_4_05()
    {
        using var world = new GatewayWorld(kind);

        var r = CliRunner.Run("coap", "put", new Uri(world.BaseA, "/led").ToString(), "-e", "on", "--ace", world.ClientCredential, "--timeout", "30");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("4.05", r.Out, StringComparison.Ordinal);
        Assert.False(world.DeviceA.Led);
    }

    [SkippableFact]
    public void Ace_with_a_resource_server_credential_or_a_bad_file_is_a_usage_error()
    {
        using var world = new GatewayWorld(kind);
        string bad = Path.GetTempFileName();
        File.WriteAllText(bad, "{ not json");
        try
        {
            var rs = CliRunner.Run("coap", "get", new Uri(world.BaseA, "/temp").ToString(), "--ace", world.RsACredential);
            Assert.Equal(2, rs.ExitCode);
            Assert.Contains("resource server's credential", rs.Error, StringComparison.Ordinal);

            var broken = CliRunner.Run("coap", "get", new Uri(world.BaseA, "/temp").ToString(), "--ace", bad);
            Assert.Equal(2, broken.ExitCode);
            Assert.Contains(bad, broken.Error, StringComparison.Ordinal);

            var both = CliRunner.Run("coap", "get", new Uri(world.BaseA, "/temp").ToString(), "--ace", world.ClientCredential, "--oscore", bad);
            Assert.Equal(2, both.ExitCode);
        }
        finally
        {
            File.Delete(bad);
        }
    }
}

/// <summary><c>popiot bench ace</c> runs the whole system and prints one JSON line per measurement with its ratio.</summary>
public sealed class AceBenchCommandTests
{
    [SkippableFact]
    public void Bench_ace_prints_the_plain_first_and_later_request_lines()
    {
        var r = CliRunner.Run("bench", "ace", "--first", "2", "--requests", "5");

        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Contains("\"bench\":\"plain-get\"", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"bench\":\"ace-first-request\"", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"bench\":\"ace-later-request\"", lines[2], StringComparison.Ordinal);
        Assert.All(lines[..3], l => Assert.Contains("\"ratio_to_plain_get\":", l, StringComparison.Ordinal));

        // The device's per-client state, measured in the same run, against DESIGN.md §8's 4 KiB for 8 clients.
        using var state = System.Text.Json.JsonDocument.Parse(lines[3]);
        Assert.Equal("rs-state", state.RootElement.GetProperty("bench").GetString());
        long perSlot = state.RootElement.GetProperty("bytes_per_slot").GetInt64();
        Assert.Equal(state.RootElement.GetProperty("model_bytes_per_slot").GetInt64(), perSlot);
        Assert.Equal(8 * perSlot, state.RootElement.GetProperty("bytes_8_clients").GetInt64());
        Assert.True(8 * perSlot <= 4096, lines[3]);
    }
}

/// <summary>The suite on SQLite.</summary>
public sealed class CoapAceCommandTestsOnSqlite() : CoapAceCommandTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class CoapAceCommandTestsOnPostgres() : CoapAceCommandTests(StoreKind.Postgres);
