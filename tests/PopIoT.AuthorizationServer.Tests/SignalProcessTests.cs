using System.Globalization;
using Microsoft.Data.Sqlite;
using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// Every long-running command stops gracefully on SIGTERM and on SIGINT, also when started in the background (where a
/// shell leaves SIGINT ignored): exit 0 within a few seconds, and for <c>as serve</c> the database intact with every
/// token it issued. A service manager (systemd, a container runtime) stops services with exactly these signals.
/// </summary>
public sealed class SignalProcessTests : TempDirectoryTest
{
    private static readonly TimeSpan StopWithin = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("TERM", false)]
    [InlineData("TERM", true)]
    [InlineData("INT", false)]
    [InlineData("INT", true)]
    public async Task As_serve_stops_on_the_signal_with_exit_0_and_its_database_intact(string signal, bool background)
    {
        string db = F("as.db");
        Assert.Equal(0, CliRunner.Run("as", "init", "--db", db).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "rs", "add", "--db", db, "--audience", "temp1", "--key-out", F("rs.key")).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "client", "add", "--db", db, "--client-id", "gw1", "--credential-out", F("gw1.json")).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "grant", "--db", db, "--client", "gw1", "--audience", "temp1", "--scope", "read").ExitCode);
        SqliteConnection.ClearAllPools();

        int port = PopiotProcess.FreeUdpPort();
        using PopiotProcess serve = PopiotProcess.Start("listening on", background, "as", "serve", "--db", db, "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture));
        using (SecurityContext client = AceCredentialFile.Load(F("gw1.json")).Oscore.CreateContext())
        await using (CoapClient c = Client(client))
        {
            CoapResponse r = await Post(c, new Uri("coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)), "/token", TokenRequest("temp1"));
            Assert.True(r.Code == CoapCode.Created, r.CodeText + " " + r.PayloadText);
        }

        serve.Signal(signal);
        Assert.True(serve.WaitForExit(StopWithin), "as serve did not stop within " + StopWithin + " of SIG" + signal + ": " + serve.Out + serve.Error);
        Assert.True(serve.ExitCode == 0, "exit " + serve.ExitCode + ": " + serve.Error);
        Assert.Contains("popiot as serve: stopped", serve.Out, StringComparison.Ordinal);

        // The database is whole and holds the token; the lock is free again.
        using (var connection = new SqliteConnection("Data Source=" + db))
        {
            connection.Open();
            using SqliteCommand check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", check.ExecuteScalar());
        }

        SqliteConnection.ClearAllPools();
        Assert.Contains("1 token(s)", CliRunner.Run("as", "tokens", "--db", db).Out, StringComparison.Ordinal);
        using PopiotProcess again = PopiotProcess.Start("listening on", false, "as", "serve", "--db", db, "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture));
        again.Signal("TERM");
        Assert.True(again.WaitForExit(StopWithin));
        Assert.Equal(0, again.ExitCode);
    }

    [Theory]
    [InlineData("coap", "TERM")]
    [InlineData("coap", "INT")]
    [InlineData("device", "TERM")]
    [InlineData("device", "INT")]
    public void Coap_serve_and_device_simulate_stop_on_the_signal_in_the_background(string command, string signal)
    {
        string port = PopiotProcess.FreeUdpPort().ToString(CultureInfo.InvariantCulture);
        if (command == "device")
        {
            Assert.Equal(0, CliRunner.Run("as", "init", "--db", F("as.db")).ExitCode);
            Assert.Equal(0, CliRunner.Run("as", "rs", "add", "--db", F("as.db"), "--audience", "sensor-a", "--key-out", F("rs.key")).ExitCode);
            SqliteConnection.ClearAllPools();
        }

        string[] args = command == "coap"
            ? ["coap", "serve", "--port", port]
            : ["device", "simulate", "--audience", "sensor-a", "--as-key", "@" + F("rs.key"), "--port", port];
        using PopiotProcess p = PopiotProcess.Start("listening on", true, args);
        p.Signal(signal);
        Assert.True(p.WaitForExit(StopWithin), command + " did not stop within " + StopWithin + " of SIG" + signal + ": " + p.Out + p.Error);
        Assert.True(p.ExitCode == 0, "exit " + p.ExitCode + ": " + p.Error);
    }
}
