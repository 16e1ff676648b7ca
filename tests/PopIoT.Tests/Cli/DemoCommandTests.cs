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
        // One line per check: A.1 bytes; A.4 managed = platform, tag; A.5 ciphertext, decrypt, tamper; C.1.1 key;
        // the PoP token: validated, key recovered, tamper refused, other audience refused, expiry refused.
        Assert.Equal(12, r.Out.Split('\n').Count(l => l.StartsWith("   ok: ", StringComparison.Ordinal)));
        Assert.Contains("Sender Key: f0910ed7295e6ad4b54fc793154302ff", r.Out, StringComparison.Ordinal);
        Assert.Contains("ok: a token with one bit changed is refused: CoseFailed (TagMismatch)", r.Out, StringComparison.Ordinal);
        Assert.Contains("ok: the same token presented to another device is refused: AudienceMismatch", r.Out, StringComparison.Ordinal);
        Assert.EndsWith("demo: all checks passed" + Environment.NewLine, r.Out, StringComparison.Ordinal);
    }
}
