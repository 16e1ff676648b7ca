namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The help of <c>as rs add --protection</c> states what each protection does (docs/authorization-server.md): every
/// one of them carries the coap_oscore input material, mac0 and sign1 inside an Encrypted_COSE_Key in cnf
/// (RFC 8747 §3.3), encrypt0 inside the encrypted claims (RFC 9203 §3.2.1).
/// </summary>
public sealed class AsProtectionHelpTests
{
    [Fact]
    public void The_protection_help_names_all_three_and_says_mac0_carries_the_oscore_keys()
    {
        CliRunner.Result help = CliRunner.Run("as", "rs", "add", "--help");
        Assert.Equal(0, help.ExitCode);
        string text = string.Join(' ', help.Out.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
        int at = text.IndexOf("--protection", StringComparison.Ordinal);
        Assert.True(at >= 0, help.Out);
        string protection = text[at..text.IndexOf("--no-clock", at, StringComparison.Ordinal)];
        Assert.DoesNotContain("cannot carry", protection, StringComparison.Ordinal);
        Assert.Contains("sign1", protection, StringComparison.Ordinal);
        Assert.Contains("mac0 (HMAC 256/64 token; the OSCORE input material in cnf sealed", protection, StringComparison.Ordinal);
    }
}
