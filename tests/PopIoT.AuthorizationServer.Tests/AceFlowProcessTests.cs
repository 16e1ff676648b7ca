using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The multi-terminal flow of docs/gateway.md with real processes: <c>as serve</c> and <c>device simulate</c> run as
/// their own processes, the gateway is <c>popiot coap … --ace</c>.
/// </summary>
public sealed class AceFlowProcessTests : TempDirectoryTest
{
    // An AIF grant of 25 paths: its token (over 512 bytes, under 1,024) and token response (over 1 KiB) are the sizes
    // that failed.
    private static readonly string LargeScope = "[[\"/temp\",1]," + string.Join(",", Enumerable.Range(1, 24).Select(i => "[\"/floor-" + i.ToString("D2", CultureInfo.InvariantCulture) + "/room/temp\",1]")) + "]";

    private static CliRunner.Result Ok(params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, string.Join(' ', args) + " → " + r.ExitCode + ": " + r.Out + r.Error);
        SqliteConnection.ClearAllPools();
        return r;
    }

    private sealed class Flow : IDisposable
    {
        public Flow(AceFlowProcessTests t, string scope, string? rsMaxToken, string? deviceMaxToken)
        {
            Db = t.F("as.db");
            AsPort = PopiotProcess.FreeUdpPort().ToString(CultureInfo.InvariantCulture);
            DevicePort = PopiotProcess.FreeUdpPort().ToString(CultureInfo.InvariantCulture);
            Credential = t.F("gw1.json");
            Ok("as", "init", "--db", Db);
            RsAdd = Ok(["as", "rs", "add", "--db", Db, "--audience", "sensor-a", "--key-out", t.F("sensor-a.key"), .. rsMaxToken == null ? Array.Empty<string>() : ["--max-token", rsMaxToken]]);
            Ok("as", "client", "add", "--db", Db, "--client-id", "gw1", "--credential-out", Credential, "--as-uri", "coap://127.0.0.1:" + AsPort);
            Ok("as", "grant", "--db", Db, "--client", "gw1", "--audience", "sensor-a", "--scope", scope);
            As = PopiotProcess.Start("listening on", false, "as", "serve", "--db", Db, "--bind", "127.0.0.1", "--port", AsPort);
            Device = PopiotProcess.Start(
                "listening on",
                false,
                ["device", "simulate", "--audience", "sensor-a", "--as-key", "@" + t.F("sensor-a.key"), "--as-uri", "coap://127.0.0.1:" + AsPort + "/token", "--port", DevicePort, .. deviceMaxToken == null ? Array.Empty<string>() : ["--max-token", deviceMaxToken]]);
        }

        public string Db { get; }

        public string AsPort { get; }

        public string DevicePort { get; }

        public string Credential { get; }

        public CliRunner.Result RsAdd { get; }

        public PopiotProcess As { get; }

        public PopiotProcess Device { get; }

        public string Uri(string path) => "coap://127.0.0.1:" + DevicePort + path;

        public CliRunner.Result Get(string path, params string[] more) => CliRunner.Run(["coap", "get", Uri(path), "--ace", Credential, "--timeout", "20", .. more]);

        public string Tokens()
        {
            string table = Ok("as", "tokens", "--db", Db).Out;
            SqliteConnection.ClearAllPools();
            return table;
        }

        public void Dispose()
        {
            As.Dispose();
            Device.Dispose();
        }
    }

    [Fact]
    public void A_token_response_over_1_KiB_goes_block_wise_and_the_token_is_issued_once()
    {
        using var flow = new Flow(this, LargeScope, "1024", "1024");

        CliRunner.Result r = flow.Get("/temp");

        Assert.True(r.ExitCode == 0, r.ExitCode + ": " + r.Out + r.Error + "\nAS: " + flow.As.Error);
        Assert.Contains("2.05", r.Out, StringComparison.Ordinal);
        Assert.Contains("1 token(s)", flow.Tokens(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_as_and_device_defaults_agree_and_the_as_never_issues_a_token_over_the_rs_maximum()
    {
        using var flow = new Flow(this, LargeScope, null, null);
        Assert.Contains("tokens up to 512 bytes", flow.RsAdd.Out, StringComparison.Ordinal);
        Assert.Contains("max token 512 bytes", flow.Device.Out, StringComparison.Ordinal);

        CliRunner.Result r = flow.Get("/temp");

        // The AS refuses with its reason, which the client prints; the device never sees an oversized token.
        Assert.True(r.ExitCode == 1, r.ExitCode + ": " + r.Out + r.Error);
        Assert.Contains("accepts at most 512", r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("4.13", r.Out + r.Error, StringComparison.Ordinal);
        Assert.Contains("0 token(s)", flow.Tokens(), StringComparison.Ordinal);
    }
}
