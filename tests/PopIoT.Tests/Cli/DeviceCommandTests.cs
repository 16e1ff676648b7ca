using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using PopIoT.Cli;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary>
/// <c>popiot token mint</c>, <c>popiot device simulate</c> and <c>popiot coap get|put --token</c>, in process: the
/// two-terminal walk-through of docs/device.md, and bad TOKEN.json files.
/// </summary>
public sealed class DeviceCommandTests : TempDirectoryTest
{
    // COSE_Keys: {1: 4 (Symmetric), 3: 4 (HMAC 256/64), -1: 32 bytes} and {1: 4, 3: 10 (AES-CCM-16-64-128), -1: 16 bytes}.
    private const string MacKey = "a301040304205820" + "1111111111111111111111111111111111111111111111111111111111111111";
    private const string AeadKey = "a30104030a2050" + "22222222222222222222222222222222";

    private string Mint(string scope, params string[] more)
    {
        string file = F("t" + Guid.NewGuid().ToString("N")[..6] + ".json");
        var r = CliRunner.Run(["token", "mint", "--as-key", MacKey, "--as-key", AeadKey, "--audience", "coap://rs1", "--scope", scope, "--out", file, .. more]);
        Assert.True(r.ExitCode == 0, r.Out + r.Error);
        return file;
    }

    // Starts `popiot device simulate --port 0` for a few seconds and reads the port it chose from its first log line
    // (a port picked beforehand could be taken by another test's server meanwhile).
    private static async Task<(Task<CliRunner.Result> Device, int Port)> SimulateAsync(int seconds, params string[] more)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Task<CliRunner.Result> device = Task.Run(() =>
        {
            int code = PopIotCli.Run(
                ["device", "simulate", "--audience", "coap://rs1", "--as-key", MacKey, "--as-key", AeadKey, "--port", "0", "--duration", seconds.ToString(CultureInfo.InvariantCulture), .. more],
                new CliContext(new MemoryStream(), output, error));
            lock (output)
            {
                return new CliRunner.Result(code, output.ToString(), error.ToString());
            }
        });
        for (int i = 0; i < 100 && !device.IsCompleted; i++)
        {
            string text;
            lock (output)
            {
                text = output.ToString();
            }

            Match m = Regex.Match(text, @"listening on coap://127\.0\.0\.1:(\d+) ");
            if (m.Success)
            {
                int port = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                await using var probe = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromSeconds(5) });
                Assert.Equal("hello from coap://rs1", (await probe.GetAsync(new Uri("coap://127.0.0.1:" + port + "/hello"))).PayloadText);
                return (device, port);
            }

            await Task.Delay(50);
        }

        Assert.Fail("the device did not start: " + (device.IsCompleted ? device.Result.Out + device.Result.Error : "no start line"));
        return (device, 0);
    }

    [Fact]
    public void Token_mint_writes_a_token_json_whose_token_verifies_with_cwt_verify()
    {
        string file = Mint("[[\"/temp\",\"GET\"],[\"/led\",5]]", "--protection", "encrypt0", "--exp", "600");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
        JsonElement root = doc.RootElement;
        Assert.Equal("coap_oscore", root.GetProperty("ace_profile").GetString());
        Assert.Equal(600, root.GetProperty("expires_in").GetInt32());
        Assert.Equal("[[\"/temp\",1],[\"/led\",5]]", root.GetProperty("scope").GetRawText().Replace(" ", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal).Replace("\r", string.Empty, StringComparison.Ordinal));
        JsonElement osc = root.GetProperty("cnf").GetProperty("osc");
        Assert.Equal(32, osc.GetProperty("ms").GetString()!.Length);
        string token = root.GetProperty("access_token").GetString()!;

        var verified = CliRunner.Run("cwt", "verify", "--key", AeadKey, "--aud", "coap://rs1", token);
        Assert.True(verified.ExitCode == 0, verified.Error);
        Assert.Contains("9 /scope/: [[\"/temp\", 1], [\"/led\", 5]]", verified.Out, StringComparison.Ordinal);
        Assert.Contains("38 /ace_profile/: 2", verified.Out, StringComparison.Ordinal);
        Assert.Contains("0 /id/: h'" + osc.GetProperty("id").GetString(), verified.Out, StringComparison.Ordinal);

        // Each mint has its own Master Secret.
        using JsonDocument again = JsonDocument.Parse(File.ReadAllText(Mint("read")));
        Assert.NotEqual(osc.GetProperty("ms").GetString(), again.RootElement.GetProperty("cnf").GetProperty("osc").GetProperty("ms").GetString());
    }

    [Fact]
    public void Device_simulate_refuses_a_key_whose_key_ops_do_not_allow_its_purpose_and_names_the_file()
    {
        // {1: 4, 3: 4 (HMAC 256/64), 4: [9 (MAC create)], -1: 32 bytes}: the AS's half of a Mac0 key, not a device's.
        string file = F("mac-create-only.key");
        File.WriteAllText(file, "a401040304048109" + "205820" + new string('3', 64) + "\n");
        var r = CliRunner.Run("device", "simulate", "--audience", "coap://rs1", "--as-key", "@" + file, "--port", "0", "--duration", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(file, r.Error, StringComparison.Ordinal);
        Assert.Contains("MAC verify", r.Error, StringComparison.Ordinal);
        Assert.Contains("Mac0 tokens", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_mint_refuses_bad_arguments_with_exit_2()
    {
        var both = CliRunner.Run("token", "mint", "--as-key", AeadKey, "--audience", "a", "--scope", "read", "--exp", "5", "--exi", "5", "--out", F("x.json"));
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--exp and --exi exclude each other", both.Error, StringComparison.Ordinal);

        var mac0 = CliRunner.Run("token", "mint", "--as-key", MacKey, "--audience", "a", "--scope", "read", "--out", F("x.json"));
        Assert.Equal(2, mac0.ExitCode);
        Assert.Contains("must travel encrypted", mac0.Error, StringComparison.Ordinal);

        var scope = CliRunner.Run("token", "mint", "--as-key", AeadKey, "--audience", "a", "--scope", "[[\"/led\",\"GET|SHOUT\"]]", "--out", F("x.json"));
        Assert.Equal(2, scope.ExitCode);
        Assert.Contains("unknown CoAP method \"SHOUT\"", scope.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(F("x.json")));
    }

    [Fact]
    public async Task Device_simulate_and_coap_get_with_a_token_show_the_whole_flow_and_log_each_decision()
    {
        (Task<CliRunner.Result> device, int port) = await SimulateAsync(10);
        string uri = "coap://127.0.0.1:" + port;
        string reader = Mint("read");

        var get = CliRunner.Run("coap", "get", uri + "/temp", "--token", reader, "-B", "10");
        Assert.True(get.ExitCode == 0, get.Out + get.Error);
        Assert.StartsWith("2.05 Content", get.Out, StringComparison.Ordinal);
        Assert.Contains("token accepted by " + uri + "/authz-info", get.Error, StringComparison.Ordinal);

        var put = CliRunner.Run("coap", "put", uri + "/led", "-e", "on", "--token", reader, "-B", "10");
        Assert.Equal(1, put.ExitCode);
        Assert.StartsWith("4.05 Method Not Allowed", put.Out, StringComparison.Ordinal);

        var observe = CliRunner.Run("coap", "get", uri + "/temp", "--token", reader, "--observe", "2", "-B", "10");
        Assert.True(observe.ExitCode == 0, observe.Out + observe.Error);
        Assert.Equal(2, observe.Out.Split("2.05 Content").Length - 1);

        string other = F("other.json");
        Assert.Equal(0, CliRunner.Run("token", "mint", "--as-key", MacKey, "--as-key", AeadKey, "--audience", "coap://rs2", "--scope", "read", "--out", other).ExitCode);
        var refused = CliRunner.Run("coap", "get", uri + "/temp", "--token", other, "-B", "10");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("refused the token: 4.03 Forbidden", refused.Error, StringComparison.Ordinal);
        Assert.Contains("(AudienceMismatch)", refused.Error, StringComparison.Ordinal);

        // The device holds the AEAD key for the cnf only: an Encrypt0 token made with it is not of its protection.
        string encrypt0 = F("encrypt0.json");
        Assert.Equal(0, CliRunner.Run("token", "mint", "--as-key", AeadKey, "--audience", "coap://rs1", "--scope", "read", "--out", encrypt0).ExitCode);
        var wrongType = CliRunner.Run("coap", "get", uri + "/temp", "--token", encrypt0, "-B", "10");
        Assert.Equal(1, wrongType.ExitCode);
        Assert.Contains("(TokenTypeNotAccepted)", wrongType.Error, StringComparison.Ordinal);

        CliRunner.Result log = await device;
        Assert.Equal(0, log.ExitCode);
        string[] lines = log.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("popiot device simulate: coap://rs1 listening on coap://127.0.0.1:" + port, lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("TokenStored reason=none code=2.01 POST /authz-info", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("RequestAllowed reason=none code=2.05 GET /temp", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("RequestDenied reason=MethodNotInScope code=4.05 PUT /led", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("TokenRejected reason=AudienceMismatch code=4.03 POST /authz-info", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("TokenRejected reason=TokenTypeNotAccepted code=4.01 POST /authz-info", StringComparison.Ordinal));
        Assert.StartsWith("popiot device simulate: stopped after", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_board_profile_the_device_takes_its_sizes_and_crypto_path_and_an_explicit_option_still_wins()
    {
        string boards = PopIoT.Tests.Device.BoardProfiles.Dir;
        (Task<CliRunner.Result> device, int port) = await SimulateAsync(4, "--board", "esp32-s3-psram", "--boards-dir", boards, "--slots", "5");
        var get = CliRunner.Run("coap", "get", "coap://127.0.0.1:" + port + "/temp", "--token", Mint("read"), "-B", "10");
        Assert.True(get.ExitCode == 0, get.Out + get.Error);
        Assert.StartsWith("2.05 Content", get.Out, StringComparison.Ordinal);

        CliRunner.Result log = await device;
        Assert.Contains("coap://rs1 (board esp32-s3-psram) listening on", log.Out, StringComparison.Ordinal);
        Assert.Contains("slots 5,", log.Out, StringComparison.Ordinal);
        Assert.Contains("replay window 64, max token 1024 bytes", log.Out, StringComparison.Ordinal);
        Assert.Contains("managed crypto", log.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_board_is_a_usage_error()
    {
        var r = CliRunner.Run("device", "simulate", "--audience", "coap://rs1", "--as-key", MacKey, "--port", "0", "--board", "nosuch", "--boards-dir", PopIoT.Tests.Device.BoardProfiles.Dir);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("board profile", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_device_without_a_clock_takes_exi_tokens_and_refuses_exp_ones_for_want_of_a_lifetime_it_can_count()
    {
        (Task<CliRunner.Result> device, int port) = await SimulateAsync(4, "--no-clock");
        string uri = "coap://127.0.0.1:" + port + "/temp";
        var exi = CliRunner.Run("coap", "get", uri, "--token", Mint("read", "--exi", "30"), "-B", "10");
        Assert.True(exi.ExitCode == 0, exi.Out + exi.Error);
        Assert.StartsWith("2.05 Content", exi.Out, StringComparison.Ordinal);

        var exp = CliRunner.Run("coap", "get", uri, "--token", Mint("read", "--exp", "30"), "-B", "10");
        Assert.Equal(1, exp.ExitCode);
        Assert.Contains("(TokenLifetimeMissing)", exp.Error, StringComparison.Ordinal);

        CliRunner.Result log = await device;
        Assert.Contains("no clock (exi tokens only)", log.Out, StringComparison.Ordinal);
        Assert.Contains("TokenRejected reason=TokenLifetimeMissing code=4.01 POST /authz-info", log.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_managed_crypto_the_device_runs_the_boards_path_and_the_flow_works_after_an_eviction()
    {
        // --crypto managed: Core's AES-CCM, all contexts sharing one re-keyable cipher; one slot, so the second token
        // evicts the first and the first client's next request re-posts (RFC 9203 §4.1 flow via the CLI client).
        // Eviction itself is the point, so the protection of a slot in use is off.
        (Task<CliRunner.Result> device, int port) = await SimulateAsync(6, "--crypto", "managed", "--slots", "1", "--eviction-protection", "0");
        string uri = "coap://127.0.0.1:" + port + "/temp";
        string first = Mint("read");
        string second = Mint("read");
        foreach (string token in new[] { first, second, first })
        {
            var get = CliRunner.Run("coap", "get", uri, "--token", token, "-B", "10");
            Assert.True(get.ExitCode == 0, get.Out + get.Error);
            Assert.StartsWith("2.05 Content", get.Out, StringComparison.Ordinal);
        }

        CliRunner.Result log = await device;
        Assert.Contains("managed crypto (" + AceResourceServer.StateBytesPerSlot(new AceRsSettings("a", "b")) + " bytes of state per slot", log.Out, StringComparison.Ordinal);
        Assert.Contains("eviction protection 0 s", log.Out, StringComparison.Ordinal);
        Assert.Contains("SlotEvicted", log.Out, StringComparison.Ordinal);
        Assert.Matches(@"stopped after [4-9] requests to resources, [1-9]\d* evictions", log.Out);
    }

    [Fact]
    public async Task A_second_token_meeting_a_slot_in_use_is_refused_with_table_full_and_the_time_to_wait()
    {
        // One slot, the default 60 s protection: the first client's context verified a request moments ago, so the
        // second token gets 5.03 with Max-Age well beyond half the CLI's timeout, and the CLI says so at once.
        (Task<CliRunner.Result> device, int port) = await SimulateAsync(4, "--slots", "1");
        string uri = "coap://127.0.0.1:" + port + "/temp";
        var first = CliRunner.Run("coap", "get", uri, "--token", Mint("read"), "-B", "10");
        Assert.True(first.ExitCode == 0, first.Out + first.Error);
        var second = CliRunner.Run("coap", "get", uri, "--token", Mint("read"), "-B", "10");
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("5.03", second.Error, StringComparison.Ordinal);
        Assert.Contains("TableFull", second.Error, StringComparison.Ordinal);
        Assert.Matches(@"try again in \d+ s \(Max-Age\)", second.Error);

        CliRunner.Result log = await device;
        Assert.Contains("TokenRejected reason=TableFull code=5.03", log.Out, StringComparison.Ordinal);
        Assert.Contains("0 evictions", log.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("absent", "cannot read token file")]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[]", "expected a JSON object")]
    [InlineData("{\"cnf\":{\"osc\":{\"id\":\"01\",\"ms\":\"00112233\"}}}", "missing field \"access_token\"")]
    [InlineData("{\"access_token\":\"zz\",\"cnf\":{\"osc\":{\"id\":\"01\",\"ms\":\"00112233\"}}}", "\"access_token\" is not valid hex")]
    [InlineData("{\"access_token\":\"d0\"}", "missing object \"cnf\"")]
    [InlineData("{\"access_token\":\"d0\",\"cnf\":{\"osc\":{\"id\":\"01\"}}}", "cnf.osc: missing field \"ms\"")]
    [InlineData("{\"access_token\":\"d0\",\"cnf\":{\"osc\":{\"id\":\"01\",\"ms\":\"0011\",\"alg\":99}}}", "\"alg\" 99 is not supported")]
    [InlineData("{\"access_token\":\"d0\",\"tokn\":1,\"cnf\":{\"osc\":{\"id\":\"01\",\"ms\":\"0011\"}}}", "unknown field \"tokn\"")]
    [InlineData("{\"access_token\":\"d0\",\"ace_profile\":\"coap_tls\",\"cnf\":{\"osc\":{\"id\":\"01\",\"ms\":\"0011\"}}}", "unknown ACE profile 'coap_tls'")]
    public void A_bad_token_file_exits_2_with_a_clear_message(string content, string message)
    {
        string file = F("bad.json");
        if (content != "absent")
        {
            File.WriteAllText(file, content);
        }

        var r = CliRunner.Run("coap", "get", "coap://127.0.0.1:9/temp", "--token", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("token file '" + file + "'", r.Error, StringComparison.Ordinal);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_and_oscore_together_are_a_usage_error()
    {
        var r = CliRunner.Run("coap", "get", "coap://127.0.0.1:9/temp", "--token", Mint("read"), "--oscore", F("ctx.json"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--oscore and --token exclude each other", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Device_simulate_refuses_bad_settings_with_exit_2()
    {
        var r = CliRunner.Run("device", "simulate", "--audience", "coap://rs1", "--as-key", AeadKey, "--replay-window", "33", "--duration", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("ReplayWindowSize must be 32..256", r.Error, StringComparison.Ordinal);
        var key = CliRunner.Run("device", "simulate", "--audience", "coap://rs1", "--as-key", "a10104", "--duration", "1");
        Assert.Equal(2, key.ExitCode);
        Assert.Contains("--as-key", key.Error, StringComparison.Ordinal);
    }
}
