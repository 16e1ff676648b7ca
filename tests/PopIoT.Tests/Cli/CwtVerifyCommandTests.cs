using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary><c>popiot cwt verify</c> and <c>cwt decode --key</c> on RFC 8392 Appendix A.</summary>
public class CwtVerifyCommandTests
{
    private const string Aud = "coap://light.example.com";
    private const string Inside = "1444000000"; // between nbf 1443944944 and exp 1444064944

    [Theory]
    [InlineData("A.4_maced_cwt_tag61_mac0_hmac256_64_hex")]
    [InlineData("A.3_signed_cwt_sign1_es256_hex")]
    [InlineData("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex")]
    [InlineData("A.6_nested_cwt_encrypt0_of_sign1_hex")]
    public void Valid_tokens_exit_0_and_print_the_claims(string vector)
    {
        var r = CliRunner.Run("cwt", "verify", "--key", Rfc8392Vectors.HmacKey, "--key", Rfc8392Vectors.Hex("A.2.1_key_symmetric128_cose_key_hex"),
            "--key", Rfc8392Vectors.Hex("A.2.3_key_ecdsa_p256_cose_key_hex"), "--aud", Aud, "--now", Inside, Rfc8392Vectors.Hex(vector));

        Assert.Equal("", r.Error);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("1 /iss/: \"coap://as.example.com\"", r.Out, StringComparison.Ordinal);
        Assert.Contains("7 /cti/: h'0b71'", r.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--aud", Aud, "--now", "1444064944" }, "Expired")] // now == exp: expired (RFC 7519 §4.1.4)
    [InlineData(new[] { "--aud", Aud, "--now", "1443944943" }, "NotYetValid")]
    [InlineData(new[] { "--aud", "coap://other.example.com", "--now", Inside }, "AudienceMismatch")]
    [InlineData(new[] { "--aud", Aud, "--no-clock" }, "NoExiWithoutClock")]
    public void Claims_that_do_not_hold_exit_1_with_the_reason(string[] options, string reason)
    {
        var r = CliRunner.Run(["cwt", "verify", "--key", Rfc8392Vectors.HmacKey, .. options, Rfc8392Vectors.Hex("A.4_maced_cwt_tag61_mac0_hmac256_64_hex")]);

        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Out);
        Assert.StartsWith($"popiot: rejected: {reason}: ", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Skew_widens_the_window_symmetrically()
    {
        var r = CliRunner.Run("cwt", "verify", "--key", Rfc8392Vectors.HmacKey, "--now", "1444064944", "--skew", "1",
            Rfc8392Vectors.Hex("A.4_maced_cwt_tag61_mac0_hmac256_64_hex"));

        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void A_tampered_token_names_the_cose_reason()
    {
        string token = Rfc8392Vectors.Hex("A.4_maced_cwt_tag61_mac0_hmac256_64_hex");
        token = token[..^2] + "01";

        var r = CliRunner.Run("cwt", "verify", "--key", Rfc8392Vectors.HmacKey, "--now", Inside, token);

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("popiot: rejected: CoseFailed: the COSE layer refused it: TagMismatch: ", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_of_another_kind_than_the_token_is_refused()
    {
        var r = CliRunner.Run("cwt", "verify", "--key", Rfc8392Vectors.Hex("A.2.1_key_symmetric128_cose_key_hex"), "--now", Inside,
            Rfc8392Vectors.Hex("A.4_maced_cwt_tag61_mac0_hmac256_64_hex"));

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("popiot: rejected: UnexpectedMessageType: ", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_whose_key_ops_do_not_permit_verifying_is_a_usage_error_naming_the_argument_not_the_key()
    {
        // {1: 4, 3: 4 (HMAC 256/64), 4: [9 (MAC create)], -1: 32 bytes}: a key that may only make MACs (RFC 9052 §7.1).
        string secret = new string('3', 64);
        var r = CliRunner.Run("cwt", "verify", "--key", "a401040304048109205820" + secret, "--now", Inside,
            Rfc8392Vectors.Hex("A.4_maced_cwt_tag61_mac0_hmac256_64_hex"));

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--key #1: The key cannot be used to verify COSE_Mac0 tokens (key_ops must permit MAC verify, 10)", r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Now_and_no_clock_exclude_each_other()
    {
        var r = CliRunner.Run("cwt", "verify", "--key", Rfc8392Vectors.HmacKey, "--now", Inside, "--no-clock", "00");

        Assert.Equal(2, r.ExitCode);
        Assert.Equal("popiot: --now and --no-clock exclude each other" + Environment.NewLine, r.Error);
    }

    [Fact]
    public void Decode_with_a_key_opens_the_nested_rfc8392_a6_token()
    {
        var r = CliRunner.Run("cwt", "decode", "--key", Rfc8392Vectors.Hex("A.2.1_key_symmetric128_cose_key_hex"), Rfc8392Vectors.Hex("A.6_nested_cwt_encrypt0_of_sign1_hex"));

        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("16(/COSE_Encrypt0/ [", r.Out, StringComparison.Ordinal);
        Assert.Contains("/ plaintext (decrypted with --key) / 18(/COSE_Sign1/ [", r.Out, StringComparison.Ordinal);
        Assert.Contains("1 /alg/: -7 /ES256/", r.Out, StringComparison.Ordinal);
        Assert.Contains("2 /sub/: \"erikw\"", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_with_the_wrong_key_says_so_and_still_prints_the_envelope()
    {
        var r = CliRunner.Run("cwt", "decode", "--key", "a30104030a2050000102030405060708090a0b0c0d0e0f", Rfc8392Vectors.Hex("A.5_encrypted_cwt_encrypt0_aes_ccm_16_64_128_hex"));

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("/ the --key given does not decrypt this layer /", r.Out, StringComparison.Ordinal);
    }
}
