using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The multi-terminal flow of docs/gateway.md with real processes: <c>as serve</c> and <c>device simulate</c> run as
/// their own processes, the gateway is <c>popiot coap … --ace</c>.
/// </summary>
public abstract class AceFlowProcessTests(StoreKind kind) : TempDirectoryTest
{
    private readonly List<TestStore> _stores = [];

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
            Db = t.NewDb();
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

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        foreach (TestStore s in _stores)
        {
            s.Dispose();
        }

        base.Dispose(disposing);
    }

    // The server's log once it holds TEXT (or after 30 s): the console logger writes from its own queue, so a line may
    // follow the response it is about.
    private static string LogOf(PopiotProcess process, string text)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (!process.Error.Contains(text, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        return process.Error;
    }

    // An empty database of this suite's kind for `as init --db`.
    private string NewDb()
    {
        TestStore s = TestStore.Empty(kind);
        _stores.Add(s);
        return s.Db;
    }

    [SkippableFact]
    public void A_token_response_over_1_KiB_goes_block_wise_and_the_token_is_issued_once()
    {
        using var flow = new Flow(this, LargeScope, "1024", "1024");

        CliRunner.Result r = flow.Get("/temp");

        Assert.True(r.ExitCode == 0, r.ExitCode + ": " + r.Out + r.Error + "\nAS: " + flow.As.Error);
        Assert.Contains("2.05", r.Out, StringComparison.Ordinal);
        Assert.Contains("1 token(s)", flow.Tokens(), StringComparison.Ordinal);
    }

    [SkippableFact]
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

    [SkippableFact]
    public void A_client_rs_and_grant_added_while_as_serve_runs_are_seen_at_once()
    {
        using var flow = new Flow(this, "[[\"/temp\",1]]", null, null);
        Assert.Equal(0, flow.Get("/temp").ExitCode);

        // A second client, registered and granted while the AS serves.
        Ok("as", "client", "add", "--db", flow.Db, "--client-id", "gw2", "--credential-out", F("gw2.json"), "--as-uri", "coap://127.0.0.1:" + flow.AsPort);
        Ok("as", "grant", "--db", flow.Db, "--client", "gw2", "--audience", "sensor-a", "--scope", "[[\"/temp\",1]]");
        CliRunner.Result second = CliRunner.Run("coap", "get", flow.Uri("/temp"), "--ace", F("gw2.json"), "--timeout", "20");
        Assert.True(second.ExitCode == 0, second.ExitCode + ": " + second.Out + second.Error + "\nAS: " + flow.As.Error);
        Assert.Contains("2.05", second.Out, StringComparison.Ordinal);

        // A second resource server, with its credential for /introspect, and a grant for it.
        Ok("as", "rs", "add", "--db", flow.Db, "--audience", "sensor-b", "--key-out", F("sensor-b.key"), "--credential-out", F("sensor-b.json"), "--as-uri", "coap://127.0.0.1:" + flow.AsPort);
        Ok("as", "grant", "--db", flow.Db, "--client", "gw1", "--audience", "sensor-b", "--scope", "[[\"/temp\",1]]");
        string portB = PopiotProcess.FreeUdpPort().ToString(CultureInfo.InvariantCulture);
        using PopiotProcess deviceB = PopiotProcess.Start(
            "listening on", false, "device", "simulate", "--audience", "sensor-b", "--as-key", "@" + F("sensor-b.key"), "--as-uri", "coap://127.0.0.1:" + flow.AsPort + "/token", "--port", portB);
        CliRunner.Result b = CliRunner.Run("coap", "get", "coap://127.0.0.1:" + portB + "/temp", "--ace", flow.Credential, "--timeout", "20");
        Assert.True(b.ExitCode == 0, b.ExitCode + ": " + b.Out + b.Error + "\nAS: " + flow.As.Error);
        Assert.Contains("2.05", b.Out, StringComparison.Ordinal);
        Assert.Contains("3 token(s)", flow.Tokens(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_deleted_or_restored_seq_file_names_the_file_and_the_way_out_and_the_as_logs_the_refusal()
    {
        using var flow = new Flow(this, "[[\"/temp\",1]]", null, null);
        Assert.Equal(0, flow.Get("/temp").ExitCode);
        string saved = File.ReadAllText(flow.Credential + ".seq");

        // Without the kept token the next run asks the AS again, using more Sender Sequence Numbers.
        File.Delete(flow.Credential + ".token.sensor-a.json");
        Assert.Equal(0, flow.Get("/temp").ExitCode);
        File.Delete(flow.Credential + ".token.sensor-a.json");

        // Deleted, for a client whose registration does not allow re-keying with the AS (RFC 8613 Appendix B.2): the AS
        // refuses request #1 as an unknown context, and the client names the file and both ways out.
        Ok("as", "client", "rekeying", "--db", flow.Db, "--client-id", "gw1", "off");
        Assert.Contains("re-keying with the AS (RFC 8613 Appendix B.2): not allowed", Ok("as", "client", "show", "--db", flow.Db, "--client-id", "gw1").Out, StringComparison.Ordinal);
        string before = File.ReadAllText(flow.Credential);
        File.Delete(flow.Credential + ".seq");
        CliRunner.Result missing = flow.Get("/temp");
        Assert.True(missing.ExitCode == 2, missing.ExitCode + ": " + missing.Error);
        Assert.Contains("'" + flow.Credential + ".seq' is missing", missing.Error, StringComparison.Ordinal);
        Assert.Contains("Re-keying with the AS failed: re-keying (RFC 8613 Appendix B.2) refused: 4.01 Security context not found", missing.Error, StringComparison.Ordinal);
        Assert.Contains("--seq N", missing.Error, StringComparison.Ordinal);
        Assert.Contains("popiot as client rotate --db AS.db --client-id gw1 --credential-out " + flow.Credential + " --force", missing.Error, StringComparison.Ordinal);
        Assert.Contains("which its registration does not allow", LogOf(flow.As, "which its registration does not allow"), StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(flow.Credential));
        Assert.False(File.Exists(flow.Credential + ".seq"));

        // Restored from an old copy: the AS refuses the reused numbers, logs who and why, and the client prints the
        // reason the AS gave and the way out.
        File.WriteAllText(flow.Credential + ".seq", saved);
        CliRunner.Result replay = flow.Get("/temp");
        Assert.True(replay.ExitCode == 1, replay.ExitCode + ": " + replay.Error);
        Assert.Contains("refused the token request: 4.01 (Replay detected)", replay.Error, StringComparison.Ordinal);
        Assert.Contains("popiot as client rotate", replay.Error, StringComparison.Ordinal);
        Assert.Contains("request from client 'gw1'", LogOf(flow.As, "Replay detected"), StringComparison.Ordinal);
        Assert.Contains("Replay detected", LogOf(flow.As, "Replay detected"), StringComparison.Ordinal);

        // The way out, while the AS runs: re-key, and the next run works with the new credential and its .seq at 0.
        Ok("as", "client", "rotate", "--db", flow.Db, "--client-id", "gw1", "--credential-out", flow.Credential, "--as-uri", "coap://127.0.0.1:" + flow.AsPort, "--force");
        Assert.Equal("0", File.ReadAllText(flow.Credential + ".seq").Trim());
        CliRunner.Result again = flow.Get("/temp");
        Assert.True(again.ExitCode == 0, again.ExitCode + ": " + again.Error + "\nAS: " + flow.As.Error);
        Assert.Contains("was re-keyed", flow.As.Error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Coap_ace_with_a_deleted_seq_file_re_keys_with_the_as_by_itself_and_the_next_runs_do_not()
    {
        using var flow = new Flow(this, "[[\"/temp\",1]]", null, null);
        Assert.Equal(0, flow.Get("/temp").ExitCode);
        string before = File.ReadAllText(flow.Credential);
        Assert.DoesNotContain("\"id_context\": \"", before, StringComparison.Ordinal);
        File.Delete(flow.Credential + ".seq");

        // RFC 8613 Appendix B.2: request #1 under R1, response #1 under R2 || R1, the token request under R2 || R3.
        CliRunner.Result rekeyed = flow.Get("/temp");
        Assert.True(rekeyed.ExitCode == 0, rekeyed.ExitCode + ": " + rekeyed.Out + rekeyed.Error + "\nAS: " + flow.As.Error);
        Assert.Contains("2.05", rekeyed.Out, StringComparison.Ordinal);
        Assert.Single(rekeyed.Error.Split('\n'), l => l.Contains("re-keyed the OSCORE context with the AS (RFC 8613 Appendix B.2)", StringComparison.Ordinal));
        Assert.Contains("client 'gw1' lost its OSCORE sequence number and is re-keying", flow.As.Error, StringComparison.Ordinal);
        Assert.Contains("client 'gw1' re-keyed its OSCORE context with the AS (RFC 8613 Appendix B.2)", flow.As.Error, StringComparison.Ordinal);

        // Both sides keep the new ID Context: the credential file (rewritten owner-only) and the AS's registry.
        string after = File.ReadAllText(flow.Credential);
        string idContext = after[(after.IndexOf("\"id_context\": \"", StringComparison.Ordinal) + 15)..].Split('"')[0];
        Assert.Equal(32, idContext.Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(flow.Credential));
        }

        Assert.True(long.Parse(File.ReadAllText(flow.Credential + ".seq").Trim(), CultureInfo.InvariantCulture) > 0);
        Assert.Contains("ID Context " + idContext, Ok("as", "client", "show", "--db", flow.Db, "--client-id", "gw1").Out, StringComparison.Ordinal);

        // The next runs use the new context without re-keying, also with a new token from the AS.
        CliRunner.Result second = flow.Get("/temp");
        Assert.True(second.ExitCode == 0, second.ExitCode + ": " + second.Error + "\nAS: " + flow.As.Error);
        Assert.DoesNotContain("re-keyed", second.Error, StringComparison.Ordinal);
        File.Delete(flow.Credential + ".token.sensor-a.json");
        CliRunner.Result third = flow.Get("/temp");
        Assert.True(third.ExitCode == 0, third.ExitCode + ": " + third.Error + "\nAS: " + flow.As.Error);
        Assert.DoesNotContain("re-keyed", third.Error, StringComparison.Ordinal);
        Assert.Equal(after, File.ReadAllText(flow.Credential));
    }

    [SkippableFact]
    public void A_wrong_key_is_refused_as_a_decryption_failure_on_both_sides()
    {
        using var flow = new Flow(this, "[[\"/temp\",1]]", null, null);
        string json = File.ReadAllText(flow.Credential);
        int at = json.IndexOf("\"master_secret\": \"", StringComparison.Ordinal) + "\"master_secret\": \"".Length;
        Assert.True(at > 20, json.Length.ToString(CultureInfo.InvariantCulture));
        char flipped = json[at] == '0' ? '1' : '0';
        File.WriteAllText(flow.Credential, json[..at] + flipped + json[(at + 1)..]);

        CliRunner.Result r = flow.Get("/temp");
        Assert.True(r.ExitCode == 1, r.ExitCode + ": " + r.Error);
        Assert.Contains("Decryption failed", r.Error, StringComparison.Ordinal);
        Assert.Contains("popiot as client rotate", r.Error, StringComparison.Ordinal);
        Assert.Contains("Decryption failed", flow.As.Error, StringComparison.Ordinal);
        Assert.Contains("client 'gw1'", flow.As.Error, StringComparison.Ordinal);
        Assert.Contains("0 token(s)", flow.Tokens(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Coap_ace_keeps_its_token_next_to_the_credential_and_reuses_it_across_runs()
    {
        using var flow = new Flow(this, "[[\"/temp\",1],[\"/led\",5]]", null, null);
        CliRunner.Result first = flow.Get("/temp");
        Assert.True(first.ExitCode == 0, first.Error);
        string kept = flow.Credential + ".token.sensor-a.json";
        Assert.True(File.Exists(kept), "the token is kept next to ID.json");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kept));
        }

        // The next runs reuse it: one token at the AS, each run posts it again with fresh nonces (one slot on the device).
        for (int i = 0; i < 3; i++)
        {
            CliRunner.Result again = flow.Get("/temp");
            Assert.True(again.ExitCode == 0, again.Error);
            Assert.Contains("TokenReused", again.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("TokenRequested", again.Error, StringComparison.Ordinal);
        }

        Assert.Contains("1 token(s)", flow.Tokens(), StringComparison.Ordinal);

        // The kept file is a TOKEN.json: cwt decode and cwt verify read it.
        CliRunner.Result decoded = CliRunner.Run("cwt", "decode", "@" + kept);
        Assert.True(decoded.ExitCode == 0, decoded.Error);
        Assert.Contains("COSE_Encrypt0", decoded.Out, StringComparison.Ordinal);
        CliRunner.Result verified = CliRunner.Run("cwt", "verify", "--key", "@" + F("sensor-a.key"), "--aud", "sensor-a", "@" + kept);
        Assert.True(verified.ExitCode == 0, verified.Out + verified.Error);

        // A kept token the device refuses (a device restarted with another key refuses everything it did not verify)
        // is replaced by a new one from the AS.
        string json = File.ReadAllText(kept);
        int end = json.IndexOf('"', json.IndexOf("\"access_token\": \"", StringComparison.Ordinal) + "\"access_token\": \"".Length) - 1;
        File.WriteAllText(kept, json[..end] + (json[end] == '0' ? '1' : '0') + json[(end + 1)..]);
        CliRunner.Result replaced = flow.Get("/temp");
        Assert.True(replaced.ExitCode == 0, replaced.Error);
        Assert.Contains("the kept token was refused", replaced.Error, StringComparison.Ordinal);
        Assert.Contains("2 token(s)", flow.Tokens(), StringComparison.Ordinal);
    }
}

/// <summary>The suite on SQLite.</summary>
public sealed class AceFlowProcessTestsOnSqlite() : AceFlowProcessTests(StoreKind.Sqlite);

/// <summary>The suite on PostgreSQL.</summary>
public sealed class AceFlowProcessTestsOnPostgres() : AceFlowProcessTests(StoreKind.Postgres);
