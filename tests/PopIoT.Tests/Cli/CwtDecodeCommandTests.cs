using Xunit;

namespace PopIoT.Tests.Cli;

public class CwtDecodeCommandTests
{
    [Fact]
    public void Decodes_rfc8392_a4_with_tag_header_and_claim_names()
    {
        var r = CliRunner.Run("cwt", "decode", Rfc8392Vectors.Hex("A.4_maced_cwt_tag61_mac0_hmac256_64_hex"));

        Assert.Equal(0, r.ExitCode);
        string o = r.Out;
        Assert.StartsWith("61(/CWT/ 17(/COSE_Mac0/ [", o, StringComparison.Ordinal);
        Assert.Contains("/ protected / << {", o, StringComparison.Ordinal);
        Assert.Contains("1 /alg/: 4 /HMAC 256/64/", o, StringComparison.Ordinal);
        Assert.Contains("4 /kid/: h'53796d6d6574726963323536'", o, StringComparison.Ordinal);
        Assert.Contains("1 /iss/: \"coap://as.example.com\"", o, StringComparison.Ordinal);
        Assert.Contains("3 /aud/: \"coap://light.example.com\"", o, StringComparison.Ordinal);
        Assert.Contains("4 /exp/: 1444064944", o, StringComparison.Ordinal);
        Assert.Contains("7 /cti/: h'0b71'", o, StringComparison.Ordinal);
        Assert.Contains("/ tag / h'093101ef6d789200'", o, StringComparison.Ordinal);
    }

    [Fact]
    public void Decodes_the_float_iat_of_rfc8392_a7()
    {
        var r = CliRunner.Run("cwt", "decode", Rfc8392Vectors.Hex("A.7_maced_cwt_float_iat_hex"));

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("6 /iat/: 1443944944.5", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Hides_secret_key_bytes_in_cnf_unless_asked()
    {
        // {8 /cnf/: {1 /COSE_Key/: {1: 4, -1: h'00..0f'}}} as a bare claims set.
        const string claims = "a108a101a2010420500001020304050607" + "08090a0b0c0d0e0f";

        var hidden = CliRunner.Run("cwt", "decode", claims);
        var shown = CliRunner.Run("cwt", "decode", "--show-secrets", claims);

        Assert.Equal(0, hidden.ExitCode);
        Assert.Contains("8 /cnf/: {", hidden.Out, StringComparison.Ordinal);
        Assert.Contains("1 /COSE_Key/: {", hidden.Out, StringComparison.Ordinal);
        Assert.Contains("-1 /k/: / 16 secret bytes hidden; --show-secrets prints them /", hidden.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("000102030405060708090a0b0c0d0e0f", hidden.Out, StringComparison.Ordinal);
        Assert.Contains("-1 /k/: h'000102030405060708090a0b0c0d0e0f'", shown.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_tokens_exit_2_with_the_offset()
    {
        var r = CliRunner.Run("cwt", "decode", "d83dd18443a10104");

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("popiot: malformed CBOR: ", r.Error, StringComparison.Ordinal);
        Assert.Contains("at byte ", r.Error, StringComparison.Ordinal);
    }
}
