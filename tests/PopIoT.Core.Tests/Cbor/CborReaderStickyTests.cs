using System;

using PopIoT.Core.Cbor;

using Xunit;

namespace PopIoT.Core.Tests.Cbor;

/// <summary>
/// The sticky mode of <see cref="CborReader"/> (DESIGN.md §4, "One decoder"): bad data throws nothing, the first
/// error is kept with its offset, every later read is neutral, and the throwing mode reports the same error.
/// </summary>
public class CborReaderStickyTests
{
    private const int Prefix = CborReaderTests.Prefix;

    private static CborReader Sticky(string hex, out byte[] buffer)
    {
        buffer = CborReaderTests.Embed(hex, out int count);
        return new CborReader(buffer, Prefix, count) { ThrowOnError = false };
    }

    [Theory]
    [InlineData("", CborError.UnexpectedEndOfData, 0)]
    [InlineData("1c", CborError.ReservedAdditionalInformation, 0)]
    [InlineData("82011d", CborError.ReservedAdditionalInformation, 2)]
    [InlineData("df00", CborError.IndefiniteLengthNotAllowed, 0)]
    [InlineData("8201ff", CborError.UnexpectedBreak, 2)]
    [InlineData("a1ff", CborError.UnexpectedEndOfData, 0)]
    [InlineData("bf01ff", CborError.IncompleteMap, 2)]
    [InlineData("f800", CborError.InvalidSimpleValue, 0)]
    [InlineData("5f4101610200ff", CborError.InvalidIndefiniteLengthStringChunk, 3)]
    [InlineData("62c328", CborError.InvalidUtf8, 1)]
    [InlineData("5a00000005", CborError.UnexpectedEndOfData, 0)]
    [InlineData("8181818100", CborError.DepthLimitExceeded, 3)]
    [InlineData("0101", CborError.TrailingBytes, 1)]
    public void Bad_data_is_kept_as_the_error_the_throwing_mode_throws(string hex, CborError error, int offset)
    {
        CborReader sticky = Sticky(hex, out byte[] buffer);
        sticky.MaxDepth = 3;
        sticky.SkipToEnd();
        Assert.Equal(error, sticky.Error);
        Assert.Equal(Prefix + offset, sticky.ErrorOffset);

        CborException thrown = Assert.Throws<CborException>(() => CborReader.Validate(buffer, Prefix, buffer.Length - Prefix - 2, 3));
        CborException kept = Assert.Throws<CborException>(sticky.ThrowIfError);
        Assert.Equal(thrown.Error, kept.Error);
        Assert.Equal(thrown.Offset, kept.Offset);
        Assert.Equal(thrown.Message, kept.Message);
    }

    [Fact]
    public void After_an_error_every_read_is_neutral_and_the_first_error_stays()
    {
        // [1, "\xff..."]: the text string is not UTF-8 (RFC 8949 §3.1).
        CborReader r = Sticky("820161ff", out _);
        Assert.Equal(2, r.ReadStartArray());
        Assert.Equal(1, r.ReadInt32());
        r.ReadTextString(out _, out int length);
        Assert.Equal(0, length);
        Assert.Equal(CborError.InvalidUtf8, r.Error);
        int at = r.Position;

        Assert.Equal(CborReaderState.Finished, r.PeekState());
        Assert.False(r.HasNext());
        Assert.Equal(0, r.ReadInt32());
        Assert.Equal(0UL, r.ReadUInt64());
        Assert.Equal(0, r.ReadStartMap());
        r.ReadByteString(out _, out length);
        Assert.Equal(0, length);
        Assert.Empty(r.ReadByteString());
        Assert.Equal(string.Empty, r.ReadTextString());
        Assert.False(r.ReadBoolean());
        Assert.Equal(0.0, r.ReadDouble());
        r.ReadEndArray();
        r.SkipValue();
        r.SkipToEnd();
        Assert.Equal(CborError.InvalidUtf8, r.Error);
        Assert.Equal(Prefix + 3, r.ErrorOffset);
        Assert.Equal(at, r.Position);
        Assert.Equal(0, r.BytesRemaining);
    }

    [Fact]
    public void A_wrong_type_is_an_error_not_an_exception_and_reset_forgets_it()
    {
        CborReader r = Sticky("a0", out byte[] buffer);
        Assert.Equal(0, r.ReadStartArray());
        Assert.Equal(CborError.UnexpectedDataType, r.Error);
        Assert.Equal(Prefix, r.ErrorOffset);
        Assert.Equal("CBOR: expected an array but found major type 5 at byte " + Prefix, Assert.Throws<CborException>(r.ThrowIfError).Message);

        r.Reset(buffer, Prefix, 1);
        Assert.Equal(CborError.None, r.Error);
        Assert.Equal(-1, r.ErrorOffset);
        Assert.Equal(0, r.ReadStartMap());
        r.ReadEndMap();
        Assert.Equal(CborReaderState.Finished, r.PeekState());
        Assert.Equal(CborError.None, r.Error);
    }

    [Fact]
    public void Skip_to_leaves_every_container_opened_deeper()
    {
        // {1: [2, {3: 4}], 5: 6} with the reader stopped inside the inner map; SkipTo(1) returns to the outer map.
        CborReader r = Sticky("a2018202a1030405 06".Replace(" ", string.Empty, StringComparison.Ordinal), out _);
        r.ReadStartMap();
        Assert.Equal(1, r.ReadInt32());
        r.ReadStartArray();
        r.ReadInt32();
        r.ReadStartMap();
        Assert.Equal(3, r.CurrentDepth);
        r.SkipTo(1);
        Assert.Equal(1, r.CurrentDepth);
        Assert.Equal(5, r.ReadInt32());
        Assert.Equal(6, r.ReadInt32());
        r.ReadEndMap();
        Assert.Equal(CborReaderState.Finished, r.PeekState());
        Assert.Equal(CborError.None, r.Error);
    }

    [Fact]
    public void Bad_data_allocates_nothing_in_the_sticky_mode()
    {
        // A thrown exception is an allocation; the sticky mode keeps codes and numbers only (DESIGN.md §4).
        byte[] bad = Convert.FromHexString("a3016161026362ff03");
        CborReader r = new(bad) { ThrowOnError = false };
        for (int warm = 0; warm < 3; warm++)
        {
            r.Reset(bad, 0, bad.Length);
            r.SkipToEnd();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            r.Reset(bad, 0, bad.Length);
            r.SkipToEnd();
        }

        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(CborError.InvalidUtf8, r.Error);
        Assert.Equal(0, after - before);
    }
}
