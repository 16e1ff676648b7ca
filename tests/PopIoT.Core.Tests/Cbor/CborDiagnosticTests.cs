using System;

using PopIoT.Cbor;
using PopIoT.Core.Cbor;

using Xunit;

namespace PopIoT.Core.Tests.Cbor;

/// <summary>The RFC 8949 §8 diagnostic notation printer beyond Appendix A: sequences, trailing bytes, errors.</summary>
public class CborDiagnosticTests
{
    private static string Diag(string hex, CborDiagnosticOptions? options = null)
    {
        return CborDiagnostic.ToDiagnosticString(Convert.FromHexString(hex), options);
    }

    [Theory]
    [InlineData("5fff", "(_ )")]
    [InlineData("7fff", "(_ )")]
    [InlineData("bfff", "{_ }")]
    [InlineData("3bffffffffffffffff", "-18446744073709551616")]
    [InlineData("3b7fffffffffffffff", "-9223372036854775808")]
    [InlineData("c1c2c340", "1(2(3(h'')))")]
    [InlineData("81f820", "[simple(32)]")]
    [InlineData("6a0a09220d5c087f0c0001", "\"\\n\\t\\\"\\r\\\\\\b\\u007f\\f\\u0000\\u0001\"")]
    [InlineData("fa47c35000", "100000.0")]
    [InlineData("fb3fb999999999999a", "0.1")]
    [InlineData("fb3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("fb3e7ad7f29abcaf48", "1.0e-7")]
    [InlineData("fb444b1ae4d6e2ef50", "1.0e+21")]
    [InlineData("fb4415af1d78b58c40", "100000000000000000000.0")]
    [InlineData("fbc0c81c8000000000", "-12345.0")]
    [InlineData("fb0000000000000001", "5.0e-324")]
    [InlineData("fb7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("f90001", "5.960464477539063e-8")]
    [InlineData("a2 01 7815636f61703a2f2f61732e6578616d706c652e636f6d 04 1a5612aeb0", "{1: \"coap://as.example.com\", 4: 1444064944}")]
    public void Prints_diagnostic_notation(string hex, string expected)
    {
        Assert.Equal(expected, Diag(hex.Replace(" ", string.Empty, StringComparison.Ordinal)));
    }

    [Fact]
    public void Non_ASCII_text_can_be_printed_as_itself()
    {
        Assert.Equal("\"\\u00fc\\u6c34\\ud800\\udd51\"", Diag("69c3bce6b0b4f0908591"));
        Assert.Equal("\"\u00fc\u6c34\ud800\udd51\"", Diag("69c3bce6b0b4f0908591", new CborDiagnosticOptions { EscapeNonAscii = false }));
    }

    [Fact]
    public void A_sequence_prints_every_item_and_a_single_item_refuses_trailing_bytes()
    {
        CborDiagnosticOptions seq = new() { Sequence = true };
        Assert.Equal("1, [2], \"a\"", Diag("01810261 61".Replace(" ", string.Empty, StringComparison.Ordinal), seq));
        Assert.Equal(string.Empty, Diag(string.Empty, seq));

        CborException e = Assert.Throws<CborException>(() => Diag("0102"));
        Assert.Equal(CborError.TrailingBytes, e.Error);
        Assert.Equal(1, e.Offset);

        Assert.Equal("1 / 2 trailing bytes at byte 1: h'02ff' /", Diag("0102ff", new CborDiagnosticOptions { AllowTrailingBytes = true }));
    }

    [Fact]
    public void Bad_input_throws_CborException_with_the_offset()
    {
        CborException e = Assert.Throws<CborException>(() => Diag("83 01 1c 02".Replace(" ", string.Empty, StringComparison.Ordinal)));
        Assert.Equal(CborError.ReservedAdditionalInformation, e.Error);
        Assert.Equal(2, e.Offset);

        e = Assert.Throws<CborException>(() => Diag(string.Empty));
        Assert.Equal(CborError.UnexpectedEndOfData, e.Error);

        e = Assert.Throws<CborException>(() => Diag("8201", new CborDiagnosticOptions { Sequence = true }));
        Assert.Equal(CborError.UnexpectedEndOfData, e.Error);

        e = Assert.Throws<CborException>(() => Diag("c1"));
        Assert.Equal(CborError.UnexpectedEndOfData, e.Error);
        Assert.Equal(1, e.Offset);

        byte[] buffer = Convert.FromHexString("eeee8181818100");
        e = Assert.Throws<CborException>(() => CborDiagnostic.ToDiagnosticString(buffer, 2, 5, new CborDiagnosticOptions { MaxDepth = 3 }));
        Assert.Equal(CborError.DepthLimitExceeded, e.Error);
        Assert.Equal(5, e.Offset);
    }

    [Fact]
    public void A_long_chain_of_tags_does_not_recurse()
    {
        byte[] data = new byte[100_001];
        data.AsSpan(0, 100_000).Fill(0xc6);
        string d = CborDiagnostic.ToDiagnosticString(data);
        Assert.Equal((100_000 * 2) + 1 + 100_000, d.Length);
        Assert.StartsWith("6(6(", d, StringComparison.Ordinal);
    }
}
