using System.Text.Json;
using PopIoT.Tests.Device;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary><c>popiot device budget --board NAME</c> through the CLI (docs/firmware.md "Device budgets").</summary>
public sealed class DeviceBudgetCommandTests : TempDirectoryTest
{
    private static (int Code, string Out, JsonElement Json) Budget(string board, string? dir = null)
    {
        var r = CliRunner.Run(["device", "budget", "--board", board, "--boards-dir", dir ?? BoardProfiles.Dir]);
        string last = r.Out.TrimEnd().Split('\n')[^1];
        return (r.ExitCode, r.Out + r.Error, JsonDocument.Parse(last).RootElement.Clone());
    }

    [Fact]
    public void The_whole_esp32_c3_runtime_fits_within_32_KiB_and_the_figures_add_up()
    {
        var (code, text, json) = Budget("esp32-c3");
        Assert.True(code == 0, text);
        Assert.Contains("per client slot", text, StringComparison.Ordinal);
        Assert.Contains("whole runtime, 8 slots", text, StringComparison.Ordinal);
        Assert.Contains("32 KiB target    met", text, StringComparison.Ordinal);
        Assert.Equal("esp32-c3", json.GetProperty("board").GetString());
        Assert.True(json.GetProperty("fits").GetBoolean());
        Assert.True(json.GetProperty("target_met").GetBoolean());
        int total = json.GetProperty("fixed_bytes").GetInt32() + (8 * json.GetProperty("per_slot_bytes").GetInt32());
        Assert.Equal(total, json.GetProperty("total_bytes").GetInt32());
        Assert.True(total <= 32 * 1024, "runtime " + total);
        Assert.True(total <= json.GetProperty("share_bytes").GetInt32());
        Assert.Equal(8 * json.GetProperty("per_slot_bytes").GetInt32(), json.GetProperty("eight_clients_bytes").GetInt32());

        // The engine is a part of the runtime, reported as a detail.
        Assert.InRange(json.GetProperty("engine_total_bytes").GetInt32(), 1, total - 1);
        Assert.Equal(384, json.GetProperty("message_bytes").GetInt32());
    }

    [Fact]
    public void The_dtls_profile_adds_the_boards_dtls_engine_and_a_psk_and_session_per_slot_and_says_psk_only()
    {
        var oscore = CliRunner.Run(["device", "budget", "--board", "esp32-s3-psram", "--boards-dir", BoardProfiles.Dir]);
        var dtls = CliRunner.Run(["device", "budget", "--board", "esp32-s3-psram", "--boards-dir", BoardProfiles.Dir, "--profile", "both"]);
        Assert.True(dtls.ExitCode == 0, dtls.Out + dtls.Error);
        JsonElement a = JsonDocument.Parse(oscore.Out.TrimEnd().Split('\n')[^1]).RootElement;
        JsonElement b = JsonDocument.Parse(dtls.Out.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.Equal("both", b.GetProperty("profiles").GetString());
        Assert.Equal(4, b.GetProperty("dtls_sessions").GetInt32());
        Assert.Equal(2, b.GetProperty("dtls_handshakes").GetInt32());
        Assert.Equal(0, a.GetProperty("dtls_sessions").GetInt32());
        Assert.True(b.GetProperty("fixed_bytes").GetInt32() > a.GetProperty("fixed_bytes").GetInt32());

        // A slot keeps the PSK (32), its length, a mark and the bound session and handshake peers (9): 42 bytes more.
        Assert.Equal(a.GetProperty("per_slot_bytes").GetInt32() + 42, b.GetProperty("per_slot_bytes").GetInt32());
        Assert.Contains("PSK only: no elliptic curves on nanoFramework", dtls.Out, StringComparison.Ordinal);
        Assert.True(b.GetProperty("profile_stated").GetBoolean());
        Assert.Equal(["oscore", "dtls", "both"], b.GetProperty("board_profiles").EnumerateArray().Select(e => e.GetString()!));
    }

    [Fact]
    public void Dtls_on_the_esp32_c3_does_not_fit_is_not_stated_and_exits_1()
    {
        var r = CliRunner.Run(["device", "budget", "--board", "esp32-c3", "--boards-dir", BoardProfiles.Dir, "--profile", "both"]);

        Assert.Equal(1, r.ExitCode);
        JsonElement j = JsonDocument.Parse(r.Out.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.False(j.GetProperty("fits").GetBoolean());
        Assert.False(j.GetProperty("profile_stated").GetBoolean());
        Assert.Contains("board runs       oscore (\"profiles\" in its board profile): both is not stated, as it does not fit", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_profile_whose_engine_fits_but_whose_runtime_does_not_is_refused_with_exit_1()
    {
        // The ESP32-C3 with 1024-byte blocks: 1152-byte messages in every datagram buffer of the runtime.
        string json = File.ReadAllText(Path.Combine(BoardProfiles.Dir, "esp32-c3.json")).Replace("\"blockSzx\": 4", "\"blockSzx\": 6", StringComparison.Ordinal);
        Assert.Contains("\"blockSzx\": 6", json, StringComparison.Ordinal);
        File.WriteAllText(F("c3-big-blocks.json"), json);
        var (code, text, result) = Budget("c3-big-blocks", Dir);
        Assert.Equal(1, code);
        Assert.Contains("DOES NOT FIT", text, StringComparison.Ordinal);
        Assert.False(result.GetProperty("fits").GetBoolean());
        Assert.False(result.GetProperty("target_met").GetBoolean());
        Assert.True(result.GetProperty("engine_total_bytes").GetInt32() <= result.GetProperty("share_bytes").GetInt32());
        Assert.True(result.GetProperty("total_bytes").GetInt32() > result.GetProperty("share_bytes").GetInt32());
    }

    [Fact]
    public void The_32_KB_nucleo_profile_does_not_fit_and_exits_1()
    {
        var (code, text, json) = Budget("nucleo64-f091rc");
        Assert.Equal(1, code);
        Assert.Contains("DOES NOT FIT", text, StringComparison.Ordinal);
        Assert.False(json.GetProperty("fits").GetBoolean());
        Assert.True(json.GetProperty("total_bytes").GetInt32() > json.GetProperty("share_bytes").GetInt32());
    }

    [Theory]
    [InlineData("esp32-devkitc")]
    [InlineData("esp32-s3-psram")]
    [InlineData("stm32f769i-discovery")]
    public void The_other_profiles_fit(string board)
    {
        var (code, text, json) = Budget(board);
        Assert.True(code == 0, text);
        Assert.True(json.GetProperty("fits").GetBoolean());
    }

    [Fact]
    public void An_unknown_board_is_a_usage_error_naming_it()
    {
        var r = CliRunner.Run(["device", "budget", "--board", "nosuch", "--boards-dir", BoardProfiles.Dir]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("nosuch.json' does not exist", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Breakdown_prints_where_the_bytes_of_a_slot_and_of_the_runtime_go_and_still_ends_with_the_json_line()
    {
        var r = CliRunner.Run(["device", "budget", "--board", "esp32-c3", "--boards-dir", BoardProfiles.Dir, "--breakdown"]);
        Assert.True(r.ExitCode == 0, r.Out + r.Error);
        Assert.Contains("per client slot, by place", r.Out, StringComparison.Ordinal);
        Assert.Contains("runtime fixed part, by place", r.Out, StringComparison.Ordinal);
        Assert.Contains("engine fixed part, by place", r.Out, StringComparison.Ordinal);
        Assert.Contains("SecurityContext", r.Out, StringComparison.Ordinal);

        // The runtime's own objects: the message layer's tables, the duplicate cache's pool, the datagram buffer.
        Assert.Contains("at DeduplicationCache.Pool", r.Out, StringComparison.Ordinal);
        Assert.Contains("at Outbox._data[]", r.Out, StringComparison.Ordinal);
        Assert.Contains("at DeviceRuntime._datagram", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("k__BackingField", r.Out, StringComparison.Ordinal);
        string last = r.Out.TrimEnd().Split('\n')[^1];
        Assert.Equal("esp32-c3", JsonDocument.Parse(last).RootElement.GetProperty("board").GetString());
    }
}
