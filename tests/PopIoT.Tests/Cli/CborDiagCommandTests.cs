using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary><c>popiot cbor diag</c>: RFC 8949 Appendix A examples and malformed input.</summary>
public class CborDiagCommandTests
{
    [Theory]
    // RFC 8949 Appendix A (encoded, diagnostic), a sample of every kind of item.
    [InlineData("00", "0")]
    [InlineData("1bffffffffffffffff", "18446744073709551615")]
    [InlineData("c249010000000000000000", "2(h'010000000000000000')")]
    [InlineData("3bffffffffffffffff", "-18446744073709551616")]
    [InlineData("3863", "-100")]
    [InlineData("f90000", "0.0")]
    [InlineData("f98000", "-0.0")]
    [InlineData("fb3ff199999999999a", "1.1")]
    [InlineData("fb7e37e43c8800759c", "1.0e+300")]
    [InlineData("f90001", "5.960464477539063e-8")]
    [InlineData("f97c00", "Infinity")]
    [InlineData("f97e00", "NaN")]
    [InlineData("fbfff0000000000000", "-Infinity")]
    [InlineData("f4", "false")]
    [InlineData("f7", "undefined")]
    [InlineData("f0", "simple(16)")]
    [InlineData("f8ff", "simple(255)")]
    [InlineData("c074323031332d30332d32315432303a30343a30305a", "0(\"2013-03-21T20:04:00Z\")")]
    [InlineData("d82076687474703a2f2f7777772e6578616d706c652e636f6d", "32(\"http://www.example.com\")")]
    [InlineData("4401020304", "h'01020304'")]
    [InlineData("62225c", "\"\\\"\\\\\"")]
    [InlineData("62c3bc", "\"\\u00fc\"")]
    [InlineData("64f0908591", "\"\\ud800\\udd51\"")]
    [InlineData("8301820203820405", "[1, [2, 3], [4, 5]]")]
    [InlineData("a201020304", "{1: 2, 3: 4}")]
    [InlineData("a26161016162820203", "{\"a\": 1, \"b\": [2, 3]}")]
    [InlineData("5f42010243030405ff", "(_ h'0102', h'030405')")]
    [InlineData("7f657374726561646d696e67ff", "(_ \"strea\", \"ming\")")]
    [InlineData("9f018202039f0405ffff", "[_ 1, [2, 3], [_ 4, 5]]")]
    [InlineData("bf61610161629f0203ffff", "{_ \"a\": 1, \"b\": [_ 2, 3]}")]
    public void Prints_the_rfc8949_appendix_a_notation(string hex, string diagnostic)
    {
        var r = CliRunner.Run("cbor", "diag", hex);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(diagnostic + Environment.NewLine, r.Out);
        Assert.Equal("", r.Error);
    }

    [Fact]
    public void Reads_hex_from_stdin_and_raw_bytes_from_a_file()
    {
        Assert.Equal("[1, 2]" + Environment.NewLine, CliRunner.RunWithStdin("82 01 02\n", "cbor", "diag", "-").Out);

        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, [0xa1, 0x01, 0xf5]);
            Assert.Equal("{1: true}" + Environment.NewLine, CliRunner.Run("cbor", "diag", "@" + file).Out);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_sequence_is_printed_only_when_asked_for()
    {
        var seq = CliRunner.Run("cbor", "diag", "--sequence", "0102");
        Assert.Equal(0, seq.ExitCode);
        Assert.Equal("1, 2" + Environment.NewLine, seq.Out);

        var single = CliRunner.Run("cbor", "diag", "0102");
        Assert.Equal(2, single.ExitCode);
        Assert.Contains("at byte 1", single.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a2616101", "at byte 0")] // a map of two pairs with bytes for fewer: refused at its head
    [InlineData("5a00000010ab", "at byte 0")] // byte string whose length runs past the end
    [InlineData("1c", "at byte 0")] // additional information 28 is reserved (RFC 8949 §3)
    [InlineData("ff", "at byte 0")] // break outside an indefinite-length item
    [InlineData("62c328", "at byte 1")] // invalid UTF-8 in a text string
    [InlineData("f818", "at byte 0")] // simple value 24 encoded in two bytes (RFC 8949 §3.3)
    public void Malformed_input_exits_2_with_the_problem_and_its_offset(string hex, string where)
    {
        var r = CliRunner.Run("cbor", "diag", hex);

        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Out);
        Assert.StartsWith("popiot: malformed CBOR: ", r.Error, StringComparison.Ordinal);
        Assert.Contains(where, r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("zz", "popiot: argument is not hex: unexpected character 'z' at position 0")]
    [InlineData("", "popiot: the input is empty: there is no CBOR item to print")]
    public void Bad_arguments_exit_2_with_a_sentence(string arg, string message)
    {
        var r = CliRunner.Run("cbor", "diag", arg);

        Assert.Equal(2, r.ExitCode);
        Assert.Equal(message + Environment.NewLine, r.Error);
    }

    [Fact]
    public void Deep_nesting_is_refused_not_a_crash()
    {
        string hex = string.Concat(Enumerable.Repeat("81", 10_000)) + "00";

        var r = CliRunner.Run("cbor", "diag", hex);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("at byte 16", r.Error, StringComparison.Ordinal);
    }
}
