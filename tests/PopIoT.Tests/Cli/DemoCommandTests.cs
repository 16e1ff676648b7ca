using Xunit;

namespace PopIoT.Tests.Cli;

public class DemoCommandTests
{
    [Fact]
    public void The_demo_runs_the_AS_two_devices_and_a_gateway_and_every_step_behaves()
    {
        var r = CliRunner.Run("demo");

        Assert.Equal("", r.Error);
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain("FAILED", r.Out, StringComparison.Ordinal);
        string[] lines = r.Out.Split('\n');

        // Nine summary rows, each "ok", and each refusal for its own reason.
        Assert.Equal(9, lines.Count(l => l.TrimEnd().EndsWith("  ok", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.Contains("PUT outside the scope", StringComparison.Ordinal) && l.Contains("4.05", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("replayed request", StringComparison.Ordinal) && l.Contains("4.01 Replay", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("tampered token", StringComparison.Ordinal) && l.Contains("TokenVerificationFailed", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("revocation via introspection", StringComparison.Ordinal) && l.Contains("active, then inactive", StringComparison.Ordinal));

        // The device logs name their reasons; the gateway reports its steps.
        Assert.Contains("reason=MethodNotInScope", r.Out, StringComparison.Ordinal);
        Assert.Contains("reason=Replay", r.Out, StringComparison.Ordinal);
        Assert.Contains("[gateway]  HintsReceived", r.Out, StringComparison.Ordinal);
        Assert.Contains("[gateway]  TokenRefreshed", r.Out, StringComparison.Ordinal);
        Assert.EndsWith("demo: all steps behaved as expected" + Environment.NewLine, r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_vector_demo_recomputes_every_published_value_and_exits_0()
    {
        var r = CliRunner.Run("demo", "--vectors");

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
