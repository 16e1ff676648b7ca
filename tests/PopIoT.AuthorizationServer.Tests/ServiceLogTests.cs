using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The services' log lines: a UTC timestamp, a level and a short category on every line of <c>as serve</c>; and with
/// <c>-v</c>, one line per request from <c>coap serve</c> and <c>device simulate</c>.
/// </summary>
public sealed partial class ServiceLogTests : TempDirectoryTest
{
    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trace|debug|info |warn |error|crit ) [A-Za-z]{2,20}: \S")]
    private static partial Regex LogLine();

    [Fact]
    public async Task As_serve_logs_one_timestamped_line_per_event_with_a_short_category()
    {
        string db = F("as.db");
        Assert.Equal(0, CliRunner.Run("as", "init", "--db", db).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "rs", "add", "--db", db, "--audience", "temp1", "--key-out", F("rs.key")).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "client", "add", "--db", db, "--client-id", "gw1", "--credential-out", F("gw1.json")).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "grant", "--db", db, "--client", "gw1", "--audience", "temp1", "--scope", "read").ExitCode);
        SqliteConnection.ClearAllPools();
        int port = PopiotProcess.FreeUdpPort();
        using PopiotProcess serve = PopiotProcess.Start("listening on", false, "as", "serve", "--db", db, "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture));
        using (var ctx = PopIoT.Ace.AceCredentialFile.Load(F("gw1.json")).Oscore.CreateContext())
        await using (PopIoT.Coap.CoapClient c = AceTestBed.Client(ctx))
        {
            PopIoT.Coap.CoapResponse r = await AceTestBed.Post(c, new Uri("coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)), "/token", AceTestBed.TokenRequest("temp1"));
            Assert.Equal(PopIoT.Core.Coap.CoapCode.Created, r.Code);
        }

        serve.Signal("TERM");
        Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(10)));
        string[] lines = serve.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains("info  as: issued token cti ", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches(LogLine(), l));
        Assert.DoesNotContain("PopIoT.AuthorizationServer", serve.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coap")]
    [InlineData("device")]
    public void Serving_commands_log_each_request_with_v(string command)
    {
        string port = PopiotProcess.FreeUdpPort().ToString(CultureInfo.InvariantCulture);
        string[] args = ["coap", "serve", "--port", port, "-v"];
        string path = "/time";
        if (command == "device")
        {
            Assert.Equal(0, CliRunner.Run("as", "init", "--db", F("as.db")).ExitCode);
            Assert.Equal(0, CliRunner.Run("as", "rs", "add", "--db", F("as.db"), "--audience", "sensor-a", "--key-out", F("rs.key")).ExitCode);
            SqliteConnection.ClearAllPools();
            args = ["device", "simulate", "--audience", "sensor-a", "--as-key", "@" + F("rs.key"), "--port", port, "-v"];
            path = "/hello";
        }

        using PopiotProcess p = PopiotProcess.Start("listening on", false, args);
        CliRunner.Result get = CliRunner.Run("coap", "get", "coap://127.0.0.1:" + port + path, "--timeout", "20");
        Assert.True(get.ExitCode == 0, get.Out + get.Error);
        p.Signal("TERM");
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(10)));
        string line = Assert.Single(p.Error.Split('\n'), l => l.Contains(" GET " + path + " -> 2.05", StringComparison.Ordinal));
        Assert.Matches(LogLine(), line);
        Assert.Contains("debug " + command + ": 127.0.0.1:", line, StringComparison.Ordinal);
    }
}
