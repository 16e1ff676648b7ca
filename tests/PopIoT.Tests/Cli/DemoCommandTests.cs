using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace PopIoT.Tests.Cli;

public class DemoCommandTests
{
    // One run of the demo serves both of its tests (it takes a few seconds: two DTLS handshakes that cannot complete).
    private static readonly Lazy<CliRunner.Result> Demo = new(() => CliRunner.Run("demo"));

    [Fact]
    public void The_demo_runs_the_AS_four_devices_and_a_gateway_and_every_step_behaves()
    {
        CliRunner.Result r = Demo.Value;

        Assert.Equal("", r.Error);
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain("FAILED", r.Out, StringComparison.Ordinal);
        string[] lines = r.Out.Split('\n');

        // Fifteen summary rows, each "ok", and each refusal for its own reason.
        Assert.Equal(15, lines.Count(l => l.TrimEnd().EndsWith("  ok", StringComparison.Ordinal)));
        AssertRow(lines, "registration", "4 RS, 1 client");
        AssertRow(lines, "PUT outside the scope", "4.05");
        AssertRow(lines, "replayed request", "4.01 Replay");
        AssertRow(lines, "tampered token", "4.01 TokenVerificationFailed");
        AssertRow(lines, "token for A refused by B", "4.01 TokenVerificationFailed");
        AssertRow(lines, "revocation via introspection", "active, then inactive");

        // The device logs name their reasons; the gateway reports its steps.
        Assert.Contains("reason=MethodNotInScope", r.Out, StringComparison.Ordinal);
        Assert.Contains("reason=Replay", r.Out, StringComparison.Ordinal);
        Assert.Contains("[gateway]  HintsReceived", r.Out, StringComparison.Ordinal);
        Assert.Contains("[gateway]  TokenRefreshed", r.Out, StringComparison.Ordinal);
        Assert.EndsWith("demo: all steps behaved as expected" + Environment.NewLine, r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_demo_dtls_steps_show_each_outcome_of_the_coap_dtls_profile()
    {
        CliRunner.Result r = Demo.Value;
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Out.Split('\n');

        // The DTLS devices listen for coaps on the port after their CoAP port (RFC 7252 §6.1, §6.2), where the gateway looks.
        Match ports = Regex.Match(r.Out, @"sensor-c on coap://127\.0\.0\.1:(\d+)/ and coaps://127\.0\.0\.1:(\d+)/");
        Assert.True(ports.Success, r.Out);
        Assert.Equal(int.Parse(ports.Groups[1].Value, CultureInfo.InvariantCulture) + 1, int.Parse(ports.Groups[2].Value, CultureInfo.InvariantCulture));

        // 9: a coap_dtls token (ace_profile 1) given whole as the psk_identity, then the kid form after /authz-info.
        AssertRow(lines, "DTLS: token as psk_identity", "ace_profile 1, 2.05");
        Assert.Contains("[gateway]  TokenPosted: DTLS session with coaps://127.0.0.1:", r.Out, StringComparison.Ordinal);
        Assert.Matches(@"\[sensor-c\] \S+ PskIdentityAccepted reason=none peer=127\.0\.0\.1:\d+ slot=0", r.Out);
        AssertRow(lines, "DTLS: kid form after /authz-info", "2.01, 2.05");
        Assert.Matches(@"psk_identity A108A101A201040248[0-9A-F]{16} = \{8: \{1: \{1: 4, 2: kid\}\}\} \(17 bytes\)", r.Out);
        Assert.Matches(@"\[sensor-c\] \S+ TokenStored reason=none code=2\.01 POST /authz-info", r.Out);

        // 10: over the session, a method outside the scope (4.05) and a resource outside it (4.03).
        AssertRow(lines, "DTLS: PUT outside the scope", "4.05");
        AssertRow(lines, "DTLS: resource outside the scope", "4.03");
        Assert.Matches(@"\[sensor-c\] \S+ RequestDenied reason=MethodNotInScope code=4\.05 PUT /led", r.Out);
        Assert.Matches(@"\[sensor-c\] \S+ RequestDenied reason=ScopeDenied code=4\.03 PUT /config", r.Out);
        Assert.Contains("the LED stays off", lines.Single(l => l.Contains("PUT /led -> 4.05 (\"read\" allows GET on /led", StringComparison.Ordinal)), StringComparison.Ordinal);

        // 11: sensor-d's token works at sensor-d and fails sensor-c's handshake with illegal_parameter (RFC 9202 §3.3.2).
        AssertRow(lines, "DTLS: token for D shown to C", "illegal_parameter TokenVerificationFailed");
        Assert.Contains("at sensor-d, its audience: GET /temp -> 2.05", r.Out, StringComparison.Ordinal);
        Assert.Matches(@"at sensor-c: .*alert 47 illegal_parameter", r.Out);
        Assert.Matches(@"\[sensor-c\] \S+ PskIdentityRefused reason=TokenVerificationFailed", r.Out);

        // 12: the relay captures the token in the clear but has no PSK: neither handshake completes, nothing leaks.
        AssertRow(lines, "DTLS: relay without the PSK", "0 bytes, 0 requests");
        Assert.Contains("relay: captured the gateway's psk_identity", r.Out, StringComparison.Ordinal);
        Assert.Contains("bytes: the access token itself", r.Out, StringComparison.Ordinal);
        Assert.Matches(@"relay -> sensor-c with the captured token: .*did not complete the handshake", r.Out);
        Assert.Matches(@"gateway -> relay \(posing as sensor-c\): no handshake with coaps://127\.0\.0\.1:\d+ after \d+\.\d s: the gateway gives up", r.Out);
        Assert.Matches(@"[1-9]\d* record\(s\) from the gateway failed authentication at the relay", r.Out);
        Assert.Contains("relay: 0 application bytes decrypted, 0 requests accepted by sensor-c (0 served)", r.Out, StringComparison.Ordinal);
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

    // A summary row: the step's name, the observed value, and "ok".
    private static void AssertRow(string[] lines, string step, string observed)
    {
        string row = Assert.Single(lines, l => l.StartsWith("   " + step + "  ", StringComparison.Ordinal));
        Assert.Contains("  " + observed + "  ", row, StringComparison.Ordinal);
        Assert.EndsWith("  ok", row.TrimEnd(), StringComparison.Ordinal);
    }
}
