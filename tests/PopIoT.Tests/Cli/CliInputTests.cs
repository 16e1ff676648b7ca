using PopIoT.Cli;
using Xunit;

namespace PopIoT.Tests.Cli;

public class CliInputTests
{
    [Theory]
    [InlineData("a26161", new byte[] { 0xa2, 0x61, 0x61 })]
    [InlineData("0xA2 61\n61", new byte[] { 0xa2, 0x61, 0x61 })]
    [InlineData("", new byte[0])]
    public void Hex_arguments_are_parsed_ignoring_white_space_and_0x(string text, byte[] expected)
    {
        Assert.Equal(expected, CliInput.Resolve(text, Stream.Null));
    }

    [Fact]
    public void A_non_hex_character_is_reported_with_its_position()
    {
        var e = Assert.Throws<CliUsageException>(() => CliInput.Resolve("a2g1", Stream.Null));
        Assert.Equal("argument is not hex: unexpected character 'g' at position 2", e.Message);
    }

    [Fact]
    public void An_odd_number_of_digits_is_reported()
    {
        var e = Assert.Throws<CliUsageException>(() => CliInput.Resolve("a26", Stream.Null));
        Assert.Equal("argument is not hex: odd number of hex digits (3)", e.Message);
    }

    [Fact]
    public void Stdin_holding_hex_text_is_decoded_and_raw_bytes_are_kept()
    {
        using var hex = new MemoryStream("  83 01 02 03\n"u8.ToArray());
        Assert.Equal(new byte[] { 0x83, 1, 2, 3 }, CliInput.Resolve("-", hex));

        byte[] raw = [0x83, 0x01, 0x02, 0x03];
        using var bin = new MemoryStream(raw);
        Assert.Equal(raw, CliInput.Resolve("-", bin));
    }

    [Fact]
    public void Files_hold_raw_bytes_or_hex_text()
    {
        string dir = Directory.CreateTempSubdirectory("popiot-cli").FullName;
        try
        {
            string bin = Path.Combine(dir, "item.cbor");
            File.WriteAllBytes(bin, [0xf5]);
            Assert.Equal(new byte[] { 0xf5 }, CliInput.Resolve("@" + bin, Stream.Null));

            string txt = Path.Combine(dir, "item.hex");
            File.WriteAllText(txt, "0xf4\n");
            Assert.Equal(new byte[] { 0xf4 }, CliInput.Resolve("@" + txt, Stream.Null));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_missing_file_is_a_usage_error_naming_the_file()
    {
        var e = Assert.Throws<CliUsageException>(() => CliInput.Resolve("@/nonexistent/popiot.bin", Stream.Null));
        Assert.StartsWith("cannot read '/nonexistent/popiot.bin': ", e.Message, StringComparison.Ordinal);
        Assert.Throws<CliUsageException>(() => CliInput.Resolve("@", Stream.Null));
    }
}
