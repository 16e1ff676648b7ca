using Xunit;

namespace PopIoT.Tests.Cli;

public class DemoCommandTests
{
    [Fact]
    public void The_demo_recomputes_every_published_value_and_exits_0()
    {
        var r = CliRunner.Run("demo");

        Assert.Equal("", r.Error);
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain("FAILED", r.Out, StringComparison.Ordinal);
        // One line per check: A.1 bytes; A.4 managed = platform, tag; A.5 ciphertext, decrypt, tamper; C.1.1 key.
        Assert.Equal(7, r.Out.Split('\n').Count(l => l.StartsWith("   ok: ", StringComparison.Ordinal)));
        Assert.Contains("Sender Key: f0910ed7295e6ad4b54fc793154302ff", r.Out, StringComparison.Ordinal);
        Assert.EndsWith("demo: all checks passed" + Environment.NewLine, r.Out, StringComparison.Ordinal);
    }
}
