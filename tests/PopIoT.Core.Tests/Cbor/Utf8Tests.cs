using System;
using System.Text;

using PopIoT.Core.Cbor;

using Xunit;

namespace PopIoT.Core.Tests.Cbor;

/// <summary>The hand-written UTF-8 codec of the nano subset, checked against System.Text.</summary>
public class Utf8Tests
{
    private static readonly UTF8Encoding Strict = new(false, true);

    [Fact]
    public void Encode_and_decode_agree_with_System_Text_on_random_valid_strings()
    {
        Random rnd = new(3629);
        for (int i = 0; i < 5000; i++)
        {
            StringBuilder sb = new();
            int n = rnd.Next(12);
            for (int k = 0; k < n; k++)
            {
                int cp = rnd.Next(4) switch
                {
                    0 => rnd.Next(0x80),
                    1 => rnd.Next(0x80, 0x800),
                    2 => rnd.Next(2) == 0 ? rnd.Next(0x800, 0xD800) : rnd.Next(0xE000, 0x10000),
                    _ => rnd.Next(0x10000, 0x110000),
                };
                sb.Append(char.ConvertFromUtf32(cp));
            }

            string s = sb.ToString();
            byte[] expected = Strict.GetBytes(s);
            Assert.Equal(expected.Length, Utf8.GetByteCount(s));
            byte[] actual = new byte[expected.Length + 2];
            Assert.Equal(expected.Length, Utf8.Encode(s, actual, 1));
            Assert.True(expected.AsSpan().SequenceEqual(actual.AsSpan(1, expected.Length)));
            Assert.Equal(-1, Utf8.Validate(actual, 1, expected.Length));
            Assert.Equal(s.Length, Utf8.GetCharCount(actual, 1, expected.Length));
            Assert.Equal(s, Utf8.Decode(actual, 1, expected.Length));
        }
    }

    [Fact]
    public void Validation_agrees_with_System_Text_on_random_bytes()
    {
        Random rnd = new(3629);
        byte[] leads = [0x00, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff, 0x90, 0xa0, 0x8f, 0x9f];
        for (int i = 0; i < 20000; i++)
        {
            byte[] b = new byte[rnd.Next(1, 6)];
            for (int k = 0; k < b.Length; k++)
            {
                b[k] = leads[rnd.Next(leads.Length)];
            }

            bool valid;
            try
            {
                Strict.GetCharCount(b);
                valid = true;
            }
            catch (DecoderFallbackException)
            {
                valid = false;
            }

            Assert.Equal(valid, Utf8.Validate(b, 0, b.Length) < 0);
            Assert.Equal(valid, Utf8.Decode(b, 0, b.Length) is not null);
        }
    }

    [Theory]
    [InlineData("c080", 0)] // overlong
    [InlineData("e080af", 0)] // overlong
    [InlineData("f08080af", 0)] // overlong
    [InlineData("eda080", 0)] // U+D800
    [InlineData("edbfbf", 0)] // U+DFFF
    [InlineData("f4908080", 0)] // U+110000
    [InlineData("41e2", 1)] // truncated
    [InlineData("4142f0908591e6b0", 6)]
    public void Validate_returns_the_index_of_the_first_bad_sequence(string hex, int index)
    {
        byte[] b = Convert.FromHexString(hex);
        Assert.Equal(index, Utf8.Validate(b, 0, b.Length));
        Assert.Null(Utf8.Decode(b, 0, b.Length));
    }

    [Fact]
    public void Unpaired_surrogates_have_no_byte_count()
    {
        Assert.Equal(-1, Utf8.GetByteCount("\ud800"));
        Assert.Equal(-1, Utf8.GetByteCount("\udc00\ud800"));
        Assert.Equal(4, Utf8.GetByteCount("\ud800\udc00"));
        Assert.Equal(string.Empty, Utf8.Decode([], 0, 0));
    }
}
