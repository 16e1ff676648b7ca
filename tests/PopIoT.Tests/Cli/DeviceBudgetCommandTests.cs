using System.Text.Json;
using PopIoT.Tests.Device;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary><c>popiot device budget --board NAME</c> through the CLI (docs/firmware.md "Device budgets").</summary>
public sealed class DeviceBudgetCommandTests
{
    private static (int Code, string Out, JsonElement Json) Budget(string board)
    {
        var r = CliRunner.Run(["device", "budget", "--board", board, "--boards-dir", BoardProfiles.Dir]);
        string last = r.Out.TrimEnd().Split('\n')[^1];
        return (r.ExitCode, r.Out + r.Error, JsonDocument.Parse(last).RootElement.Clone());
    }

    [Fact]
    public void The_esp32_c3_profile_fits_and_the_figures_add_up()
    {
        var (code, text, json) = Budget("esp32-c3");
        Assert.True(code == 0, text);
        Assert.Contains("per client slot", text, StringComparison.Ordinal);
        Assert.Contains("fits", text, StringComparison.Ordinal);
        Assert.Equal("esp32-c3", json.GetProperty("board").GetString());
        Assert.True(json.GetProperty("fits").GetBoolean());
        int total = json.GetProperty("fixed_bytes").GetInt32() + (8 * json.GetProperty("per_slot_bytes").GetInt32());
        Assert.Equal(total, json.GetProperty("total_bytes").GetInt32());
        Assert.True(total <= json.GetProperty("share_bytes").GetInt32());
        Assert.Equal(8 * json.GetProperty("per_slot_bytes").GetInt32(), json.GetProperty("eight_clients_bytes").GetInt32());
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
    public void Breakdown_prints_where_the_bytes_of_a_slot_go_and_still_ends_with_the_json_line()
    {
        var r = CliRunner.Run(["device", "budget", "--board", "esp32-c3", "--boards-dir", BoardProfiles.Dir, "--breakdown"]);
        Assert.True(r.ExitCode == 0, r.Out + r.Error);
        Assert.Contains("per client slot, by place", r.Out, StringComparison.Ordinal);
        Assert.Contains("fixed part, by place", r.Out, StringComparison.Ordinal);
        Assert.Contains("SecurityContext", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("k__BackingField", r.Out, StringComparison.Ordinal);
        string last = r.Out.TrimEnd().Split('\n')[^1];
        Assert.Equal("esp32-c3", JsonDocument.Parse(last).RootElement.GetProperty("board").GetString());
    }
}
