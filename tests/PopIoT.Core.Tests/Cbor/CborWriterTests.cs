using System;
using System.Text;

using PopIoT.Core.Cbor;

using Xunit;

namespace PopIoT.Core.Tests.Cbor;

/// <summary>Unit tests of <see cref="CborWriter"/>: buffer overflow, float widths, refused values.</summary>
public class CborWriterTests
{
    [Fact]
    public void Running_out_of_room_throws_and_writes_nothing_past_the_window()
    {
        byte[] buffer = new byte[12];
        buffer.AsSpan().Fill(0xEE);
        CborWriter w = new(buffer, 2, 4);
        w.WriteUInt64(256); // 19 01 00
        Assert.Equal(3, w.BytesWritten);
        Assert.Equal(5, w.Offset);

        CborException e = Assert.Throws<CborException>(() => w.WriteUInt64(256));
        Assert.Equal(CborError.BufferTooSmall, e.Error);
        Assert.Equal(5, e.Offset);
        Assert.Equal("CBOR: buffer too small: 3 bytes needed, 1 left at byte 5", e.Message);

        Assert.Throws<CborException>(() => w.WriteTextString("ab"));
        Assert.Throws<CborException>(() => w.WriteByteString([1]));
        Assert.Throws<CborException>(() => w.WriteDouble(1.1));
        Assert.Throws<CborException>(() => w.WriteFloat(1.1));
        Assert.Throws<CborException>(() => w.WriteHalf(1.0));
        Assert.Throws<CborException>(() => w.WriteEncodedValue([0x18, 0x18], 0, 2));
        Assert.Equal("eeee190100eeeeeeeeeeeeee", Convert.ToHexStringLower(buffer));

        w.WriteNull();
        Assert.Equal(0, w.BytesRemaining);
        Assert.Equal(CborError.BufferTooSmall, Assert.Throws<CborException>(() => w.WriteBreak()).Error);
        Assert.Equal("eeee190100f6eeeeeeeeeeee", Convert.ToHexStringLower(buffer));

        w.Reset();
        Assert.Equal(0, w.BytesWritten);
    }

    [Theory]
    [InlineData(0.0, "f90000")]
    [InlineData(5.960464477539063e-8, "f90001")]
    [InlineData(6.097555160522461e-5, "f903ff")]
    [InlineData(-5.960464477539063e-8, "f98001")]
    [InlineData(2.98023223876953125e-8, "fa33000000")] // 2^-25: below the half range, exact in single
    [InlineData(65504.0, "f97bff")]
    [InlineData(65505.0, "fa477fe100")]
    [InlineData(65520.0, "fa477ff000")] // would round to half infinity: must not be written as half
    [InlineData(1.401298464324817e-45, "fa00000001")]
    [InlineData(double.Epsilon, "fb0000000000000001")]
    [InlineData(1.0e+300, "fb7e37e43c8800759c")]
    [InlineData(double.NegativeInfinity, "f9fc00")]
    public void WriteFloat_uses_the_shortest_exact_width(double value, string hex)
    {
        // RFC 8949 §4.2.2 preferred serialization.
        byte[] buffer = new byte[9];
        CborWriter w = new(buffer);
        w.WriteFloat(value);
        Assert.Equal(hex, Convert.ToHexStringLower(buffer, 0, w.BytesWritten));
    }

    [Fact]
    public void Every_NaN_is_written_as_f97e00_by_WriteFloat_and_WriteHalf()
    {
        foreach (long bits in new[] { 0x7ff8000000000000, unchecked((long)0xfff8000000000000), 0x7ff0000000000001, 0x7ff4000000000000 })
        {
            double nan = BitConverter.Int64BitsToDouble(bits);
            byte[] buffer = new byte[3];
            new CborWriter(buffer).WriteFloat(nan);
            Assert.Equal("f97e00", Convert.ToHexStringLower(buffer));
            new CborWriter(buffer).WriteHalf(nan);
            Assert.Equal("f97e00", Convert.ToHexStringLower(buffer));
        }
    }

    [Fact]
    public void Explicit_widths_keep_the_width_and_refuse_inexact_halves()
    {
        byte[] buffer = new byte[9];
        CborWriter w = new(buffer);
        w.WriteSingle(1.0f);
        Assert.Equal("fa3f800000", Convert.ToHexStringLower(buffer, 0, 5));
        w.Reset();
        w.WriteDouble(1.0);
        Assert.Equal("fb3ff0000000000000", Convert.ToHexStringLower(buffer, 0, 9));
        w.Reset();
        w.WriteHalf(-2.0);
        Assert.Equal("f9c000", Convert.ToHexStringLower(buffer, 0, 3));
        w.Reset();
        CborException e = Assert.Throws<CborException>(() => w.WriteHalf(1.1));
        Assert.Equal(CborError.ValueNotRepresentable, e.Error);
        Assert.Equal(0, e.Offset);
        Assert.Equal(0, w.BytesWritten);
    }

    [Fact]
    public void Reserved_simple_values_and_unpaired_surrogates_are_refused()
    {
        byte[] buffer = new byte[8];
        CborWriter w = new(buffer, 1, 7);
        for (int v = 24; v < 32; v++)
        {
            CborException e = Assert.Throws<CborException>(() => w.WriteSimpleValue((byte)v));
            Assert.Equal(CborError.InvalidSimpleValue, e.Error);
            Assert.Equal(1, e.Offset);
        }

        Assert.Equal(CborError.InvalidUtf8, Assert.Throws<CborException>(() => w.WriteTextString("a\ud800")).Error);
        Assert.Equal(CborError.InvalidUtf8, Assert.Throws<CborException>(() => w.WriteTextString("\udc00a")).Error);
        Assert.Equal(CborError.InvalidUtf8, Assert.Throws<CborException>(() => w.WriteTextString([0xc0, 0x80], 0, 2)).Error);
        Assert.Equal(0, w.BytesWritten);
        w.WriteSimpleValue(23);
        w.WriteSimpleValue(32);
        Assert.Equal("f7f820", Convert.ToHexStringLower(buffer, 1, 3));
    }

    [Fact]
    public void WriteEncodedValue_copies_one_well_formed_item_and_refuses_anything_else()
    {
        byte[] buffer = new byte[16];
        CborWriter w = new(buffer);
        byte[] source = Convert.FromHexString("ff8201020000");
        w.WriteStartArray(2);
        w.WriteEncodedValue(source, 1, 3);
        w.WriteEncodedValue(source, 4, 1);
        Assert.Equal("82820102" + "00", Convert.ToHexStringLower(buffer, 0, w.BytesWritten));
        Assert.Equal(CborError.TrailingBytes, Assert.Throws<CborException>(() => w.WriteEncodedValue(source, 4, 2)).Error);
        Assert.Equal(CborError.UnexpectedBreak, Assert.Throws<CborException>(() => w.WriteEncodedValue(source, 0, 1)).Error);
        Assert.Equal(CborError.UnexpectedEndOfData, Assert.Throws<CborException>(() => w.WriteEncodedValue(source, 1, 2)).Error);
    }

    [Fact]
    public void Text_from_a_string_and_from_a_utf8_slice_encode_the_same()
    {
        string text = "coap://as.example.com \u00fc\u6c34\ud800\udd51\uffff";
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        byte[] a = new byte[64];
        byte[] b = new byte[64];
        CborWriter wa = new(a);
        CborWriter wb = new(b);
        wa.WriteTextString(text);
        wb.WriteTextString(utf8, 0, utf8.Length);
        Assert.Equal(wa.BytesWritten, wb.BytesWritten);
        Assert.Equal(a, b);
        Assert.Equal(text, new CborReader(a, 0, wa.BytesWritten).ReadTextString());
    }

    [Fact]
    public void Heads_of_every_major_type_are_shortest()
    {
        byte[] buffer = new byte[64];
        CborWriter w = new(buffer);
        w.WriteTag(ulong.MaxValue);
        w.WriteStartMap(24);
        w.WriteStartArray(65536);
        w.WriteHead(CborMajorType.ByteString, 255);
        w.WriteNegativeIntegerArgument(0);
        w.WriteInt64(long.MinValue);
        Assert.Equal("dbffffffffffffffff" + "b818" + "9a00010000" + "58ff" + "20" + "3b7fffffffffffffff", Convert.ToHexStringLower(buffer, 0, w.BytesWritten));
    }

    [Fact]
    public void Bad_arguments_are_argument_exceptions()
    {
        Assert.Throws<ArgumentNullException>(() => new CborWriter(null!, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CborWriter(new byte[4], 3, 2));
        CborWriter w = new(new byte[4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => w.WriteStartArray(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.WriteByteString(new byte[2], 1, 2));
    }
}
