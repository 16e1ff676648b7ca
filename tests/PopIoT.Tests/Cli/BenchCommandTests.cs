using System.Text.Json;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary>
/// <c>popiot bench crypto</c> prints one JSON object per line with a same-run ratio. These tests
/// check the shape and the allocation counts, never the timings (DESIGN.md §8).
/// </summary>
public class BenchCommandTests
{
    [Fact]
    public void Bench_crypto_prints_json_lines_with_ratios_against_the_platform()
    {
        var r = CliRunner.Run("bench", "crypto", "--seconds", "0.05", "--size", "16");

        Assert.Equal(0, r.ExitCode);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(4, lines.Count);
        Assert.Equal(["hmac-sha256/platform", "hmac-sha256/managed", "aes-ccm-16-64-128-encrypt/platform", "aes-ccm-16-64-128-encrypt/managed"],
            lines.Select(l => l.GetProperty("bench").GetString() + "/" + l.GetProperty("impl").GetString()));
        foreach (var managed in lines.Where(l => l.GetProperty("impl").GetString() == "managed"))
        {
            Assert.Equal("platform", managed.GetProperty("baseline").GetString());
            Assert.True(managed.GetProperty("ratio").GetDouble() > 0);
            // The managed primitives allocate nothing per operation (DESIGN.md §4).
            Assert.Equal(0, managed.GetProperty("alloc_bytes_per_op").GetDouble());
        }

        Assert.All(lines, l => Assert.Equal(16, l.GetProperty("size").GetInt32()));
    }

    [Fact]
    public void A_nonsensical_budget_is_a_usage_error()
    {
        var r = CliRunner.Run("bench", "crypto", "--seconds", "0");

        Assert.Equal(2, r.ExitCode);
        Assert.Equal("popiot: --seconds must be in (0, 600]" + Environment.NewLine, r.Error);
    }
}
