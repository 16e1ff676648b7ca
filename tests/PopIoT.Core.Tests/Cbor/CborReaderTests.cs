using System;

using PopIoT.Core.Cbor;

using Xunit;

namespace PopIoT.Core.Tests.Cbor;

/// <summary>Unit tests of <see cref="CborReader"/>: each error with its <see cref="CborError"/> and offset, boundaries, slices.</summary>
public class CborReaderTests
{
    // Inputs are placed after this many bytes of noise, so every offset asserted below is checked to be an
    // index into the caller's buffer, not into the window.
    internal const int Prefix = 3;

    internal static byte[] Embed(string hex, out int count)
    {
        byte[] data = Convert.FromHexString(hex);
        byte[] buffer = new byte[Prefix + data.Length + 2];
        buffer.AsSpan().Fill(0xEE);
        data.CopyTo(buffer, Prefix);
        count = data.Length;
        return buffer;
    }

    private static CborReader Reader(string hex)
    {
        byte[] buffer = Embed(hex, out int count);
        return new CborReader(buffer, Prefix, count);
    }

    private static void AssertError(CborError error, int offset, Action action)
    {
        CborException e = Assert.Throws<CborException>(action);
        Assert.Equal(error, e.Error);
        Assert.Equal(Prefix + offset, e.Offset);
        Assert.StartsWith("CBOR: ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith(" at byte " + (Prefix + offset), e.Message, StringComparison.Ordinal);
    }

    private static void AssertInvalid(string hex, CborError error, int offset)
    {
        byte[] buffer = Embed(hex, out int count);
        AssertError(error, offset, () => CborReader.Validate(buffer, Prefix, count));
    }

    // RFC 8949 Appendix F.1 and Appendix C: each kind of not-well-formed input, with where it is detected.
    [Theory]
    [InlineData("", CborError.UnexpectedEndOfData, 0)]
    [InlineData("1c", CborError.ReservedAdditionalInformation, 0)]
    [InlineData("3d", CborError.ReservedAdditionalInformation, 0)]
    [InlineData("fe", CborError.ReservedAdditionalInformation, 0)]
    [InlineData("82011d", CborError.ReservedAdditionalInformation, 2)]
    [InlineData("1f", CborError.IndefiniteLengthNotAllowed, 0)]
    [InlineData("3f", CborError.IndefiniteLengthNotAllowed, 0)]
    [InlineData("df00", CborError.IndefiniteLengthNotAllowed, 0)]
    [InlineData("ff", CborError.UnexpectedBreak, 0)]
    [InlineData("8201ff", CborError.UnexpectedBreak, 2)]
    [InlineData("a1ff", CborError.UnexpectedEndOfData, 0)] // one pair needs two bytes: the count is checked first
    [InlineData("a201ff0000", CborError.UnexpectedBreak, 2)]
    [InlineData("9fc1ff", CborError.UnexpectedBreak, 2)]
    [InlineData("f800", CborError.InvalidSimpleValue, 0)]
    [InlineData("f81f", CborError.InvalidSimpleValue, 0)]
    [InlineData("8af818", CborError.UnexpectedEndOfData, 0)]
    [InlineData("18", CborError.UnexpectedEndOfData, 0)]
    [InlineData("1b00000000000000", CborError.UnexpectedEndOfData, 0)]
    [InlineData("f97c", CborError.UnexpectedEndOfData, 0)]
    [InlineData("430102", CborError.UnexpectedEndOfData, 0)]
    [InlineData("5bffffffffffffffff00", CborError.UnexpectedEndOfData, 0)]
    [InlineData("7b7fffffffffffffff00", CborError.UnexpectedEndOfData, 0)]
    [InlineData("9bffffffffffffffff00", CborError.UnexpectedEndOfData, 0)]
    [InlineData("bb7fffffffffffffff0000", CborError.UnexpectedEndOfData, 0)]
    [InlineData("a2010203", CborError.UnexpectedEndOfData, 0)]
    [InlineData("8201", CborError.UnexpectedEndOfData, 0)]
    [InlineData("82814100", CborError.UnexpectedEndOfData, 4)]
    [InlineData("9f01", CborError.UnexpectedEndOfData, 2)]
    [InlineData("c1", CborError.UnexpectedEndOfData, 1)]
    [InlineData("81c1", CborError.UnexpectedEndOfData, 2)]
    [InlineData("bf01ff", CborError.IncompleteMap, 2)]
    [InlineData("5f6161ff", CborError.InvalidIndefiniteLengthStringChunk, 1)]
    [InlineData("5f5fffff", CborError.InvalidIndefiniteLengthStringChunk, 1)]
    [InlineData("7f01ff", CborError.InvalidIndefiniteLengthStringChunk, 1)]
    [InlineData("7f7fffff", CborError.InvalidIndefiniteLengthStringChunk, 1)]
    [InlineData("0000", CborError.TrailingBytes, 1)]
    [InlineData("8100ff", CborError.TrailingBytes, 2)]
    public void Not_well_formed_input_is_rejected_with_the_error_and_offset(string hex, CborError error, int offset)
    {
        AssertInvalid(hex, error, offset);
    }

    // RFC 3629 §4 via RFC 8949 §3.1: the offset is that of the first byte of the bad sequence.
    [Theory]
    [InlineData("61ff", 1)]
    [InlineData("6180", 1)]
    [InlineData("62c080", 1)] // overlong NUL
    [InlineData("62c1bf", 1)] // overlong
    [InlineData("63e08080", 1)] // overlong 3-byte
    [InlineData("64f0808080", 1)] // overlong 4-byte
    [InlineData("63eda080", 1)] // U+D800, a surrogate
    [InlineData("63edbfbf", 1)] // U+DFFF
    [InlineData("64f4908080", 1)] // U+110000
    [InlineData("64f5808080", 1)]
    [InlineData("62e6b0", 1)] // truncated 3-byte sequence
    [InlineData("6361e6b0", 2)]
    [InlineData("7f6161 62c3 ff", 4)]
    [InlineData("7f61c361bcff", 2)] // one character split across two chunks (RFC 8949 §3.2.3)
    public void Invalid_utf8_in_text_strings_is_rejected(string hex, int offset)
    {
        AssertInvalid(hex.Replace(" ", string.Empty, StringComparison.Ordinal), CborError.InvalidUtf8, offset);
        CborReader r = Reader(hex.Replace(" ", string.Empty, StringComparison.Ordinal));
        AssertError(CborError.InvalidUtf8, offset, () => r.ReadTextString());
    }

    [Fact]
    public void Depth_limit_is_16_by_default_and_settable()
    {
        string sixteen = string.Concat(System.Linq.Enumerable.Repeat("81", 16)) + "00";
        string seventeen = string.Concat(System.Linq.Enumerable.Repeat("81", 17)) + "00";
        byte[] ok = Convert.FromHexString(sixteen);
        CborReader.Validate(ok, 0, ok.Length);
        AssertInvalid(seventeen, CborError.DepthLimitExceeded, 16);
        AssertInvalid(string.Concat(System.Linq.Enumerable.Repeat("9f", 17)), CborError.DepthLimitExceeded, 16);
        AssertInvalid(string.Concat(System.Linq.Enumerable.Repeat("a100", 17)) + "00", CborError.DepthLimitExceeded, 32);
        // Tags need no reader state, so a long chain of them is not nesting.
        byte[] tags = Convert.FromHexString(string.Concat(System.Linq.Enumerable.Repeat("c1", 10_000)) + "00");
        CborReader.Validate(tags, 0, tags.Length);

        CborReader r = Reader("83818100818100");
        r.MaxDepth = 2;
        Assert.Equal(3, r.ReadStartArray());
        Assert.Equal(1, r.ReadStartArray());
        AssertError(CborError.DepthLimitExceeded, 2, () => r.ReadStartArray());
        Assert.Throws<InvalidOperationException>(() => r.MaxDepth = 5);
        byte[] buffer = Embed("8181818100", out int count);
        AssertError(CborError.DepthLimitExceeded, 3, () => CborReader.Validate(buffer, Prefix, count, 3));
    }

    [Theory]
    [InlineData("00", 0UL)]
    [InlineData("17", 23UL)]
    [InlineData("1818", 24UL)]
    [InlineData("18ff", 255UL)]
    [InlineData("190100", 256UL)]
    [InlineData("19ffff", 65535UL)]
    [InlineData("1a00010000", 65536UL)]
    [InlineData("1affffffff", 4294967295UL)]
    [InlineData("1b0000000100000000", 4294967296UL)]
    [InlineData("1b7fffffffffffffff", 9223372036854775807UL)]
    [InlineData("1bffffffffffffffff", 18446744073709551615UL)]
    public void Unsigned_integers_at_the_head_boundaries(string hex, ulong value)
    {
        Assert.Equal(value, Reader(hex).ReadUInt64());
        byte[] buffer = new byte[9];
        CborWriter w = new(buffer);
        w.WriteUInt64(value);
        Assert.Equal(hex, Convert.ToHexStringLower(buffer, 0, w.BytesWritten));
        if (value <= long.MaxValue)
        {
            Assert.Equal((long)value, Reader(hex).ReadInt64());
        }
        else
        {
            AssertError(CborError.IntegerOverflow, 0, () => Reader(hex).ReadInt64());
        }
    }

    [Theory]
    [InlineData("20", -1L)]
    [InlineData("37", -24L)]
    [InlineData("3818", -25L)]
    [InlineData("38ff", -256L)]
    [InlineData("390100", -257L)]
    [InlineData("3a7fffffff", -2147483648L)]
    [InlineData("3affffffff", -4294967296L)]
    [InlineData("3b7fffffffffffffff", long.MinValue)]
    public void Negative_integers_at_the_head_boundaries(string hex, long value)
    {
        Assert.Equal(value, Reader(hex).ReadInt64());
        Assert.Equal((ulong)(-1 - value), Reader(hex).ReadNegativeIntegerArgument());
        byte[] buffer = new byte[9];
        CborWriter w = new(buffer);
        w.WriteInt64(value);
        Assert.Equal(hex, Convert.ToHexStringLower(buffer, 0, w.BytesWritten));
        AssertError(CborError.IntegerOverflow, 0, () => Reader(hex).ReadUInt64());
    }

    [Fact]
    public void Minus_two_to_the_64_is_reachable_through_the_argument_and_overflows_long()
    {
        // RFC 8949 §3.1: major type 1 with argument 2^64-1 is -2^64.
        Assert.Equal(ulong.MaxValue, Reader("3bffffffffffffffff").ReadNegativeIntegerArgument());
        AssertError(CborError.IntegerOverflow, 0, () => Reader("3bffffffffffffffff").ReadInt64());
        AssertError(CborError.IntegerOverflow, 0, () => Reader("3b8000000000000000").ReadInt64());
        AssertError(CborError.IntegerOverflow, 0, () => Reader("1a80000000").ReadInt32());
        AssertError(CborError.IntegerOverflow, 0, () => Reader("3a80000000").ReadInt32());
        Assert.Equal(int.MinValue, Reader("3a7fffffff").ReadInt32());
        Assert.Equal(int.MaxValue, Reader("1a7fffffff").ReadInt32());
    }

    [Fact]
    public void Reading_the_wrong_type_names_what_was_expected_and_found()
    {
        CborReader r = Reader("420102");
        CborException e = Assert.Throws<CborException>(() => r.ReadTextString());
        Assert.Equal(CborError.UnexpectedDataType, e.Error);
        Assert.Equal("CBOR: expected a text string but found major type 2 at byte 3", e.Message);
        AssertError(CborError.UnexpectedDataType, 0, () => r.ReadUInt64());
        AssertError(CborError.UnexpectedDataType, 0, () => r.ReadStartMap());
        AssertError(CborError.UnexpectedDataType, 0, () => r.ReadDouble());
        AssertError(CborError.UnexpectedDataType, 0, () => r.ReadBoolean());
        AssertError(CborError.UnexpectedDataType, 0, () => Reader("5f41").ReadByteString(out _, out _));
        AssertError(CborError.UnexpectedDataType, 0, () => Reader("f4").ReadNull());
        AssertError(CborError.UnexpectedDataType, 0, () => Reader("f9").ReadSimpleValue());

        CborReader arr = Reader("820102");
        arr.ReadStartArray();
        arr.ReadInt32();
        CborException early = Assert.Throws<CborException>(() => arr.ReadEndArray());
        Assert.Equal(CborError.UnexpectedDataType, early.Error);
        Assert.Equal(Prefix + 2, early.Offset);
        arr.ReadInt32();
        AssertError(CborError.UnexpectedDataType, 3, () => arr.ReadInt32());
        arr.ReadEndArray();
        Assert.Equal(CborReaderState.Finished, arr.PeekState());
    }

    [Fact]
    public void Strings_are_slices_of_the_callers_buffer()
    {
        CborReader r = Reader("824401020304634142ff");
        // A text string of 3 bytes "AB\xff" is invalid; read only the byte string here.
        r.ReadStartArray();
        r.ReadByteString(out int off, out int len);
        Assert.Equal(Prefix + 2, off);
        Assert.Equal(4, len);
        AssertError(CborError.InvalidUtf8, 9, () => r.ReadTextString(out _, out _));

        CborReader t = Reader("6449455446");
        t.ReadTextString(out off, out len);
        Assert.Equal(Prefix + 1, off);
        Assert.Equal(4, len);
        Assert.Equal(0, t.BytesRemaining);
    }

    [Fact]
    public void Indefinite_length_strings_concatenate_or_read_chunk_by_chunk()
    {
        // RFC 8949 §3.2.3 (Appendix A: (_ h'0102', h'030405') and (_ "strea", "ming")).
        CborReader r = Reader("835f42010243030405ff7f657374726561646d696e67ff5fff");
        Assert.Equal(3, r.ReadStartArray());
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, r.ReadByteString());
        Assert.Equal("streaming", r.ReadTextString());
        Assert.Equal(CborReaderState.StartIndefiniteLengthByteString, r.PeekState());
        r.ReadStartIndefiniteLengthByteString();
        Assert.Equal(CborReaderState.EndIndefiniteLengthByteString, r.PeekState());
        r.ReadEndIndefiniteLengthByteString();
        r.ReadEndArray();
        Assert.Equal(CborReaderState.Finished, r.PeekState());

        CborReader c = Reader("7f657374726561646d696e67ff");
        c.ReadStartIndefiniteLengthTextString();
        c.ReadTextString(out int off, out int len);
        Assert.Equal((Prefix + 2, 5), (off, len));
        Assert.Equal("ming", c.ReadTextString());
        c.ReadEndIndefiniteLengthTextString();
        Assert.Equal(0, c.BytesRemaining);
    }

    [Theory]
    [InlineData("f90000", 0.0)]
    [InlineData("f90001", 5.960464477539063e-8)] // smallest half subnormal, 2^-24
    [InlineData("f903ff", 6.097555160522461e-5)] // largest half subnormal
    [InlineData("f90400", 6.103515625e-5)] // smallest half normal
    [InlineData("f98001", -5.960464477539063e-8)]
    [InlineData("f93c00", 1.0)]
    [InlineData("f97bff", 65504.0)]
    [InlineData("f97c00", double.PositiveInfinity)]
    [InlineData("f9fc00", double.NegativeInfinity)]
    [InlineData("fa00000001", 1.401298464324817e-45)] // smallest single subnormal
    [InlineData("fa7f7fffff", 3.4028234663852886e+38)]
    [InlineData("fb3ff199999999999a", 1.1)]
    public void Floats_of_every_width_read_exactly(string hex, double value)
    {
        double d = Reader(hex).ReadDouble();
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(d));
    }

    [Theory]
    [InlineData("f97e00")]
    [InlineData("f97c01")]
    [InlineData("f9fe00")]
    [InlineData("fa7fc00000")]
    [InlineData("fa7f800001")]
    [InlineData("fb7ff8000000000000")]
    public void NaNs_of_every_width_read_as_NaN(string hex)
    {
        Assert.True(double.IsNaN(Reader(hex).ReadDouble()));
    }

    [Fact]
    public void Half_to_double_matches_System_Half_for_every_bit_pattern()
    {
        for (int bits = 0; bits < 65536; bits++)
        {
            double expected = (double)BitConverter.UInt16BitsToHalf((ushort)bits);
            double actual = IeeeFloat.HalfToDouble((ushort)bits);
            if (double.IsNaN(expected))
            {
                Assert.True(double.IsNaN(actual));
                continue;
            }

            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(actual));
            Assert.True(IeeeFloat.TryGetHalfBits(actual, out ushort back));
            Assert.Equal(bits, back);
        }
    }

    [Fact]
    public void Simple_values_booleans_null_and_undefined()
    {
        CborReader r = Reader("88f0f820f8fff4f5f6f7e0");
        r.ReadStartArray();
        Assert.Equal(16, r.ReadSimpleValue());
        Assert.Equal(32, r.ReadSimpleValue());
        Assert.Equal(255, r.ReadSimpleValue());
        Assert.False(r.ReadBoolean());
        Assert.True(r.ReadBoolean());
        Assert.Equal(CborReaderState.Null, r.PeekState());
        r.ReadNull();
        Assert.Equal(CborReaderState.Undefined, r.PeekState());
        r.ReadUndefined();
        Assert.Equal(0, r.ReadSimpleValue());
        r.ReadEndArray();
    }

    [Fact]
    public void Tags_and_maps_read_in_order()
    {
        // RFC 8392 Appendix A.3 style: a tagged map with integer keys.
        CborReader r = Reader("d83da201622d3104bf6161f6ff");
        Assert.Equal(61UL, r.ReadTag());
        Assert.Equal(2, r.ReadStartMap());
        Assert.Equal(1, r.ReadInt32());
        Assert.Equal("-1", r.ReadTextString());
        Assert.Equal(4, r.ReadInt32());
        Assert.Equal(-1, r.ReadStartMap());
        Assert.Equal("a", r.ReadTextString());
        r.ReadNull();
        Assert.Equal(CborReaderState.EndMap, r.PeekState());
        r.ReadEndMap();
        r.ReadEndMap();
        Assert.Equal(CborReaderState.Finished, r.PeekState());
    }

    [Fact]
    public void SkipValue_skips_one_item_and_does_not_allocate()
    {
        byte[] data = Convert.FromHexString("85d8209f0102ffa2616101624142bf6161f5ff7f6161ff5f41014102fff93c000b");
        CborReader warm = new(data);
        warm.SkipValue();
        CborReader r = new(data);
        long before = GC.GetAllocatedBytesForCurrentThread();
        r.SkipValue();
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
        Assert.Equal(data.Length - 1, r.Position);
        Assert.Equal(11, r.ReadInt32());

        // Skipping inside a container stops at its end.
        CborReader a = Reader("820102");
        a.ReadStartArray();
        a.SkipValue();
        a.SkipValue();
        AssertError(CborError.UnexpectedDataType, 3, () => a.SkipValue());
    }

    [Fact]
    public void ReadEncodedValue_returns_the_slice_of_one_whole_item()
    {
        CborReader r = Reader("83c1820102a0f5");
        r.ReadStartArray();
        r.ReadEncodedValue(out int off, out int len);
        Assert.Equal((Prefix + 1, 4), (off, len));
        r.ReadEncodedValue(out off, out len);
        Assert.Equal((Prefix + 5, 1), (off, len));
        Assert.True(r.ReadBoolean());
        r.ReadEndArray();
    }

    [Fact]
    public void The_reader_never_reads_outside_its_window()
    {
        // The window holds a head that claims more bytes than the window has; the buffer behind it has plenty.
        byte[] buffer = Convert.FromHexString("0044010203040506");
        AssertWindowError(buffer, 1, 3);
        byte[] arr = Convert.FromHexString("8300000000");
        CborException e = Assert.Throws<CborException>(() => CborReader.Validate(arr, 0, 3));
        Assert.Equal(CborError.UnexpectedEndOfData, e.Error);
        Assert.Equal(0, e.Offset);
    }

    private static void AssertWindowError(byte[] buffer, int offset, int count)
    {
        CborException e = Assert.Throws<CborException>(() => CborReader.Validate(buffer, offset, count));
        Assert.Equal(CborError.UnexpectedEndOfData, e.Error);
        Assert.Equal(offset, e.Offset);
    }

    [Fact]
    public void Bad_arguments_are_argument_exceptions_not_data_errors()
    {
        Assert.Throws<ArgumentNullException>(() => new CborReader(null!, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CborReader(new byte[4], 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CborReader(new byte[4], 0, 4, 0));
    }
}
