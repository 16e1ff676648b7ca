using System.Globalization;
using Microsoft.Data.Sqlite;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// Where <c>as serve</c> takes its port and address from: the command line, then the environment (POPIOT_AS__*), then
/// the configuration file (section "As"), then the defaults; and a bad configuration exits 2 naming the file (or the
/// variable) and the key.
/// </summary>
public sealed class AsServeConfigTests : TempDirectoryTest
{
    private string Database()
    {
        string db = F("as.db");
        Assert.Equal(0, CliRunner.Run("as", "init", "--db", db).ExitCode);
        SqliteConnection.ClearAllPools();
        return db;
    }

    private static string Port() => PopiotProcess.FreeUdpPort().ToString(CultureInfo.InvariantCulture);

    private static string Listening(PopiotProcess p)
    {
        string line = p.Out.Split('\n').First(l => l.Contains("listening on", StringComparison.Ordinal));
        p.Signal("TERM");
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(10)));
        return line;
    }

    [Fact]
    public void The_config_file_gives_bind_and_port_when_nothing_else_does()
    {
        string db = Database();
        string port = Port();
        File.WriteAllText(F("as.json"), "{ \"As\": { \"Bind\": \"127.0.0.1\", \"Port\": " + port + " } }");
        using PopiotProcess p = PopiotProcess.Start("listening on", false, "as", "serve", "--db", db, "--config", F("as.json"));
        Assert.Contains("listening on coap://127.0.0.1:" + port + " ", Listening(p), StringComparison.Ordinal);
    }

    [Fact]
    public void The_environment_wins_over_the_file_and_the_command_line_over_both()
    {
        string db = Database();
        string filePort = Port();
        string envPort = Port();
        string cliPort = Port();
        File.WriteAllText(F("as.json"), "{ \"As\": { \"Bind\": \"0.0.0.0\", \"Port\": " + filePort + " } }");
        var env = new Dictionary<string, string> { ["POPIOT_AS__PORT"] = envPort, ["POPIOT_AS__BIND"] = "127.0.0.1" };
        using (PopiotProcess p = PopiotProcess.Start("listening on", false, env, "as", "serve", "--db", db, "--config", F("as.json")))
        {
            Assert.Contains("listening on coap://127.0.0.1:" + envPort + " ", Listening(p), StringComparison.Ordinal);
        }

        using (PopiotProcess p = PopiotProcess.Start("listening on", false, env, "as", "serve", "--db", db, "--config", F("as.json"), "--port", cliPort))
        {
            Assert.Contains("listening on coap://127.0.0.1:" + cliPort + " ", Listening(p), StringComparison.Ordinal);
        }

        // The database can come from the configuration as well.
        File.WriteAllText(F("db.json"), "{ \"As\": { \"Database\": \"" + db + "\", \"Bind\": \"127.0.0.1\", \"Port\": " + filePort + " } }");
        using (PopiotProcess p = PopiotProcess.Start("listening on", false, "as", "serve", "--config", F("db.json")))
        {
            Assert.Contains("listening on coap://127.0.0.1:" + filePort + " ", Listening(p), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("{ \"As\": { \"Port\": \"many\" } }", "As:Port")]
    [InlineData("{ \"As\": { \"Port\": 70000 } }", "As:Port")]
    [InlineData("{ \"As\": { \"Bind\": \"localhost:99\" } }", "As:Bind")]
    [InlineData("{ \"As\": { \"Prot\": 5690 } }", "As:Prot")]
    [InlineData("{ \"As\": { \"TokenLifetimeSeconds\": 0 } }", "As:TokenLifetimeSeconds")]
    public void A_bad_value_in_the_config_file_exits_2_naming_the_file_and_the_key(string json, string key)
    {
        string db = Database();
        File.WriteAllText(F("as.json"), json);
        CliRunner.Result r = CliRunner.Run("as", "serve", "--db", db, "--config", F("as.json"), "--duration", "5");
        Assert.True(r.ExitCode == 2, r.ExitCode + ": " + r.Out + r.Error);
        Assert.Contains(key, r.Error, StringComparison.Ordinal);
        Assert.Contains(F("as.json"), r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("this is a bug", r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("listening on", r.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"As\": { \"Port\": 5690, } ")]
    [InlineData("[1, 2")]
    public void A_config_file_that_is_not_json_exits_2_naming_it(string json)
    {
        string db = Database();
        File.WriteAllText(F("as.json"), json);
        CliRunner.Result r = CliRunner.Run("as", "serve", "--db", db, "--config", F("as.json"), "--duration", "5");
        Assert.True(r.ExitCode == 2, r.ExitCode + ": " + r.Out + r.Error);
        Assert.Contains(F("as.json"), r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("this is a bug", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_config_file_exits_2_naming_it()
    {
        CliRunner.Result r = CliRunner.Run("as", "serve", "--db", Database(), "--config", F("nope.json"), "--duration", "5");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(F("nope.json"), r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_environment_value_exits_2_naming_the_variable()
    {
        string db = Database();
        File.WriteAllText(F("as.json"), "{ \"As\": { \"Bind\": \"127.0.0.1\" } }");
        string cli = Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll");
        var info = new System.Diagnostics.ProcessStartInfo("dotnet", [cli, "as", "serve", "--db", db, "--config", F("as.json"), "--duration", "5"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.Environment["POPIOT_AS__PORT"] = "x1";
        using var p = System.Diagnostics.Process.Start(info)!;
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        string error = await p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000));
        Assert.True(p.ExitCode == 2, p.ExitCode + ": " + await output + error);
        Assert.Contains("POPIOT_AS__PORT", error, StringComparison.Ordinal);
        Assert.Contains("As:Port", error, StringComparison.Ordinal);
    }
}
