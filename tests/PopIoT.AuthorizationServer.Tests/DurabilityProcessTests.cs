using PopIoT.Core.Ace;
using PopIoT.Ace;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using static PopIoT.AuthorizationServer.Tests.AceTestBed;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// Durability: tokens issued by a real <c>popiot as serve</c> process survive killing it hard; after a
/// restart every one is still listed and introspects as active, and the AS keeps issuing.
/// </summary>
public abstract class DurabilityProcessTests(StoreKind kind) : TempDirectoryTest
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

    [SkippableFact]
    public async Task Tokens_survive_a_hard_kill_of_the_as_process()
    {
        string db = NewDb();
        Assert.Equal(0, CliRunner.Run("as", "init", "--db", db).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "rs", "add", "--db", db, "--audience", "temp1", "--key-out", F("rs.key"), "--credential-out", F("rs.json")).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "client", "add", "--db", db, "--client-id", "gw1", "--credential-out", F("gw1.json")).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "grant", "--db", db, "--client", "gw1", "--audience", "temp1", "--scope", "read").ExitCode);
        SqliteConnection.ClearAllPools();

        int port = FreeUdpPort();
        var asUri = new Uri("coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));
        using SecurityContext client = AceCredentialFile.Load(F("gw1.json")).Oscore.CreateContext();
        using SecurityContext rs = AceCredentialFile.Load(F("rs.json")).Oscore.CreateContext();
        var tokens = new List<byte[]>();

        using (Process first = StartServe(db, port))
        {
            await using CoapClient c = Client(client);
            for (int i = 0; i < 5; i++)
            {
                CoapResponse r = await Post(c, asUri, "/token", TokenRequest("temp1"));
                Assert.True(r.Code == CoapCode.Created, r.CodeText + " " + r.PayloadText);
                tokens.Add(Bytes(Map(r.Payload)[AceParameters.AccessToken]));
            }

            // A hard kill: no shutdown code runs (the 2.01s above went out only after each commit).
            first.Kill(entireProcessTree: true);
            Assert.True(first.WaitForExit(10_000));
        }

        CliRunner.Result list = CliRunner.Run("as", "tokens", "--db", db);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("5 token(s)", list.Out, StringComparison.Ordinal);
        Assert.Equal(5, list.Out.Split('\n').Count(l => l.TrimEnd().EndsWith("active", StringComparison.Ordinal)));
        SqliteConnection.ClearAllPools();

        using (Process second = StartServe(db, port))
        {
            // The AS's replay windows start unknown after a restart: the first request of each peer gets an Echo
            // challenge, which CoapClient answers by itself (RFC 8613 Appendix B.1.2).
            await using CoapClient rsClient = Client(rs);
            foreach (byte[] token in tokens)
            {
                CoapResponse r = await Post(rsClient, asUri, "/introspect", IntrospectionRequest(token));
                Assert.True(r.Code == CoapCode.Created, r.CodeText + " " + r.PayloadText);
                Assert.Equal([0xf5], Map(r.Payload)[AceParameters.Active]);
            }

            await using CoapClient c = Client(client);
            CoapResponse more = await Post(c, asUri, "/token", TokenRequest("temp1"));
            Assert.Equal(CoapCode.Created, more.Code);
            second.Kill(entireProcessTree: true);
            Assert.True(second.WaitForExit(10_000));
        }

        Assert.Contains("6 token(s)", CliRunner.Run("as", "tokens", "--db", db).Out, StringComparison.Ordinal);
    }

    protected static Process StartServe(string db, int port)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll");
        var info = new ProcessStartInfo("dotnet", [cli, "as", "serve", "--db", db, "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--duration", "120"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process p = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        Task<bool> ready = Task.Run(() =>
        {
            string? line;
            while ((line = p.StandardOutput.ReadLine()) != null)
            {
                if (line.Contains("listening on", StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        });
        if (!ready.Wait(TimeSpan.FromSeconds(60)) || !ready.Result)
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException("popiot as serve did not say 'listening on' within 60 s");
        }

        return p;
    }

    protected static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }
}

/// <summary>The suite on SQLite.</summary>
public sealed class DurabilityProcessTestsOnSqlite() : DurabilityProcessTests(StoreKind.Sqlite)
{
    [Fact]
    public async Task A_second_as_serve_on_the_same_database_exits_2_naming_the_holder_and_the_first_keeps_serving()
    {
        // The lock is the SQLite store's; several AS instances share one PostgreSQL database (FleetProcessTests).
        string db = F("as.db");
        Assert.Equal(0, CliRunner.Run("as", "init", "--db", db).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "rs", "add", "--db", db, "--audience", "temp1", "--key-out", F("rs.key")).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "client", "add", "--db", db, "--client-id", "gw1", "--credential-out", F("gw1.json")).ExitCode);
        Assert.Equal(0, CliRunner.Run("as", "grant", "--db", db, "--client", "gw1", "--audience", "temp1", "--scope", "read").ExitCode);
        SqliteConnection.ClearAllPools();

        int port = FreeUdpPort();
        var asUri = new Uri("coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));
        using SecurityContext client = AceCredentialFile.Load(F("gw1.json")).Oscore.CreateContext();
        using Process first = StartServe(db, port);
        try
        {
            var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll"), "as", "serve", "--db", db, "--bind", "127.0.0.1", "--port", FreeUdpPort().ToString(CultureInfo.InvariantCulture), "--duration", "20"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using Process second = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
            Task<string> output = second.StandardOutput.ReadToEndAsync();
            string error = await second.StandardError.ReadToEndAsync();
            Assert.True(second.WaitForExit(60_000), "the second as serve did not exit");
            Assert.Equal(2, second.ExitCode);
            Assert.DoesNotContain("listening on", await output, StringComparison.Ordinal);
            Assert.Contains("database '" + db + "' is already served by another authorization server", error, StringComparison.Ordinal);
            Assert.Contains("'" + db + ".lock' is locked by pid " + first.Id.ToString(CultureInfo.InvariantCulture), error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);

            // Read-only admin commands still open the database while it is served.
            Assert.Equal(0, CliRunner.Run("as", "tokens", "--db", db).ExitCode);
            SqliteConnection.ClearAllPools();

            await using CoapClient c = Client(client);
            CoapResponse r = await Post(c, asUri, "/token", TokenRequest("temp1"));
            Assert.True(r.Code == CoapCode.Created, r.CodeText + " " + r.PayloadText);
        }
        finally
        {
            first.Kill(entireProcessTree: true);
            Assert.True(first.WaitForExit(10_000));
        }
    }
}

/// <summary>The suite on PostgreSQL.</summary>
public sealed class DurabilityProcessTestsOnPostgres() : DurabilityProcessTests(StoreKind.Postgres);
