using System;
using System.Collections.Generic;

using PopIoT.Cbor;
using PopIoT.Core.Cbor;

using Xunit;

namespace PopIoT.Core.Tests.Cbor;

/// <summary>
/// Every example of RFC 8949 Appendix A ("Examples of Encoded CBOR Data Items"): our reader turns the bytes into the
/// table's diagnostic notation, and our writer produces the table's exact bytes.
/// </summary>
public class CborAppendixATests
{
    // RFC 8949 Appendix A: "In the diagnostic notation provided for bignums, their intended numeric value is
    // shown as a decimal number (such as 18446744073709551616) instead of a tagged byte string (such as
    // 2(h'010000000000000000'))." Our printer shows the tagged byte string, the other form the RFC names.
    private static readonly (string Diagnostic, string Hex, Action<CborWriter> Write)[] Examples =
    [
        ("0", "00", w => w.WriteUInt64(0)),
        ("1", "01", w => w.WriteUInt64(1)),
        ("10", "0a", w => w.WriteUInt64(10)),
        ("23", "17", w => w.WriteUInt64(23)),
        ("24", "1818", w => w.WriteUInt64(24)),
        ("25", "1819", w => w.WriteUInt64(25)),
        ("100", "1864", w => w.WriteUInt64(100)),
        ("1000", "1903e8", w => w.WriteUInt64(1000)),
        ("1000000", "1a000f4240", w => w.WriteUInt64(1000000)),
        ("1000000000000", "1b000000e8d4a51000", w => w.WriteUInt64(1000000000000)),
        ("18446744073709551615", "1bffffffffffffffff", w => w.WriteUInt64(ulong.MaxValue)),
        ("2(h'010000000000000000')", "c249010000000000000000", w => { w.WriteTag(2); w.WriteByteString([1, 0, 0, 0, 0, 0, 0, 0, 0]); }),
        ("-18446744073709551616", "3bffffffffffffffff", w => w.WriteNegativeIntegerArgument(ulong.MaxValue)),
        ("3(h'010000000000000000')", "c349010000000000000000", w => { w.WriteTag(3); w.WriteByteString([1, 0, 0, 0, 0, 0, 0, 0, 0]); }),
        ("-1", "20", w => w.WriteInt64(-1)),
        ("-10", "29", w => w.WriteInt64(-10)),
        ("-100", "3863", w => w.WriteInt64(-100)),
        ("-1000", "3903e7", w => w.WriteInt32(-1000)),
        ("0.0", "f90000", w => w.WriteFloat(0.0)),
        ("-0.0", "f98000", w => w.WriteFloat(-0.0)),
        ("1.0", "f93c00", w => w.WriteFloat(1.0)),
        ("1.1", "fb3ff199999999999a", w => w.WriteFloat(1.1)),
        ("1.5", "f93e00", w => w.WriteFloat(1.5)),
        ("65504.0", "f97bff", w => w.WriteFloat(65504.0)),
        ("100000.0", "fa47c35000", w => w.WriteFloat(100000.0)),
        ("3.4028234663852886e+38", "fa7f7fffff", w => w.WriteFloat(3.4028234663852886e+38)),
        ("1.0e+300", "fb7e37e43c8800759c", w => w.WriteFloat(1.0e+300)),
        ("5.960464477539063e-8", "f90001", w => w.WriteFloat(5.960464477539063e-8)),
        ("0.00006103515625", "f90400", w => w.WriteFloat(0.00006103515625)),
        ("-4.0", "f9c400", w => w.WriteFloat(-4.0)),
        ("-4.1", "fbc010666666666666", w => w.WriteFloat(-4.1)),
        ("Infinity", "f97c00", w => w.WriteFloat(double.PositiveInfinity)),
        ("NaN", "f97e00", w => w.WriteFloat(double.NaN)),
        ("-Infinity", "f9fc00", w => w.WriteFloat(double.NegativeInfinity)),
        // The next six are not preferred serialization: written with the explicit-width APIs.
        ("Infinity", "fa7f800000", w => w.WriteSingle(float.PositiveInfinity)),
        ("NaN", "fa7fc00000", w => w.WriteSingle(BitConverter.Int32BitsToSingle(0x7fc00000))),
        ("-Infinity", "faff800000", w => w.WriteSingle(float.NegativeInfinity)),
        ("Infinity", "fb7ff0000000000000", w => w.WriteDouble(double.PositiveInfinity)),
        ("NaN", "fb7ff8000000000000", w => w.WriteDouble(BitConverter.Int64BitsToDouble(0x7ff8000000000000))),
        ("-Infinity", "fbfff0000000000000", w => w.WriteDouble(double.NegativeInfinity)),
        ("false", "f4", w => w.WriteBoolean(false)),
        ("true", "f5", w => w.WriteBoolean(true)),
        ("null", "f6", w => w.WriteNull()),
        ("undefined", "f7", w => w.WriteUndefined()),
        ("simple(16)", "f0", w => w.WriteSimpleValue(16)),
        ("simple(255)", "f8ff", w => w.WriteSimpleValue(255)),
        ("0(\"2013-03-21T20:04:00Z\")", "c074323031332d30332d32315432303a30343a30305a", w => { w.WriteTag(0); w.WriteTextString("2013-03-21T20:04:00Z"); }),
        ("1(1363896240)", "c11a514b67b0", w => { w.WriteTag(1); w.WriteUInt64(1363896240); }),
        ("1(1363896240.5)", "c1fb41d452d9ec200000", w => { w.WriteTag(1); w.WriteFloat(1363896240.5); }),
        ("23(h'01020304')", "d74401020304", w => { w.WriteTag(23); w.WriteByteString([1, 2, 3, 4]); }),
        ("24(h'6449455446')", "d818456449455446", w => { w.WriteTag(24); w.WriteByteString([0x64, 0x49, 0x45, 0x54, 0x46]); }),
        ("32(\"http://www.example.com\")", "d82076687474703a2f2f7777772e6578616d706c652e636f6d", w => { w.WriteTag(32); w.WriteTextString("http://www.example.com"); }),
        ("h''", "40", w => w.WriteByteString([])),
        ("h'01020304'", "4401020304", w => w.WriteByteString([0, 1, 2, 3, 4, 5], 1, 4)),
        ("\"\"", "60", w => w.WriteTextString(string.Empty)),
        ("\"a\"", "6161", w => w.WriteTextString("a")),
        ("\"IETF\"", "6449455446", w => w.WriteTextString("IETF")),
        ("\"\\\"\\\\\"", "62225c", w => w.WriteTextString("\"\\")),
        ("\"\\u00fc\"", "62c3bc", w => w.WriteTextString("\u00fc")),
        ("\"\\u6c34\"", "63e6b0b4", w => w.WriteTextString("\u6c34")),
        ("\"\\ud800\\udd51\"", "64f0908591", w => w.WriteTextString("\ud800\udd51")),
        ("[]", "80", w => w.WriteStartArray(0)),
        ("[1, 2, 3]", "83010203", w => { w.WriteStartArray(3); w.WriteInt32(1); w.WriteInt32(2); w.WriteInt32(3); }),
        ("[1, [2, 3], [4, 5]]", "8301820203820405", w => { w.WriteStartArray(3); w.WriteInt32(1); Pair(w, 2, 3, false); Pair(w, 4, 5, false); }),
        ("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]", "98190102030405060708090a0b0c0d0e0f101112131415161718181819", w => { w.WriteStartArray(25); OneTo25(w); }),
        ("{}", "a0", w => w.WriteStartMap(0)),
        ("{1: 2, 3: 4}", "a201020304", w => { w.WriteStartMap(2); w.WriteInt32(1); w.WriteInt32(2); w.WriteInt32(3); w.WriteInt32(4); }),
        ("{\"a\": 1, \"b\": [2, 3]}", "a26161016162820203", w => { w.WriteStartMap(2); w.WriteTextString("a"); w.WriteInt32(1); w.WriteTextString("b"); Pair(w, 2, 3, false); }),
        ("[\"a\", {\"b\": \"c\"}]", "826161a161626163", w => { w.WriteStartArray(2); w.WriteTextString("a"); w.WriteStartMap(1); w.WriteTextString("b"); w.WriteTextString("c"); }),
        ("{\"a\": \"A\", \"b\": \"B\", \"c\": \"C\", \"d\": \"D\", \"e\": \"E\"}", "a56161614161626142616361436164614461656145", w =>
        {
            w.WriteStartMap(5);
            foreach (string k in new[] { "a", "b", "c", "d", "e" })
            {
                w.WriteTextString(k);
                w.WriteTextString(k.ToUpperInvariant());
            }
        }),
        ("(_ h'0102', h'030405')", "5f42010243030405ff", w => { w.WriteStartIndefiniteLengthByteString(); w.WriteByteString([1, 2]); w.WriteByteString([3, 4, 5]); w.WriteBreak(); }),
        ("(_ \"strea\", \"ming\")", "7f657374726561646d696e67ff", w => { w.WriteStartIndefiniteLengthTextString(); w.WriteTextString("strea"); w.WriteTextString("ming"); w.WriteBreak(); }),
        ("[_ ]", "9fff", w => { w.WriteStartIndefiniteLengthArray(); w.WriteBreak(); }),
        ("[_ 1, [2, 3], [_ 4, 5]]", "9f018202039f0405ffff", w => { w.WriteStartIndefiniteLengthArray(); w.WriteInt32(1); Pair(w, 2, 3, false); Pair(w, 4, 5, true); w.WriteBreak(); }),
        ("[_ 1, [2, 3], [4, 5]]", "9f01820203820405ff", w => { w.WriteStartIndefiniteLengthArray(); w.WriteInt32(1); Pair(w, 2, 3, false); Pair(w, 4, 5, false); w.WriteBreak(); }),
        ("[1, [2, 3], [_ 4, 5]]", "83018202039f0405ff", w => { w.WriteStartArray(3); w.WriteInt32(1); Pair(w, 2, 3, false); Pair(w, 4, 5, true); }),
        ("[1, [_ 2, 3], [4, 5]]", "83019f0203ff820405", w => { w.WriteStartArray(3); w.WriteInt32(1); Pair(w, 2, 3, true); Pair(w, 4, 5, false); }),
        ("[_ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]", "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", w => { w.WriteStartIndefiniteLengthArray(); OneTo25(w); w.WriteBreak(); }),
        ("{_ \"a\": 1, \"b\": [_ 2, 3]}", "bf61610161629f0203ffff", w => { w.WriteStartIndefiniteLengthMap(); w.WriteTextString("a"); w.WriteInt32(1); w.WriteTextString("b"); Pair(w, 2, 3, true); w.WriteBreak(); }),
        ("[\"a\", {_ \"b\": \"c\"}]", "826161bf61626163ff", w => { w.WriteStartArray(2); w.WriteTextString("a"); w.WriteStartIndefiniteLengthMap(); w.WriteTextString("b"); w.WriteTextString("c"); w.WriteBreak(); }),
        ("{_ \"Fun\": true, \"Amt\": -2}", "bf6346756ef563416d7421ff", w => { w.WriteStartIndefiniteLengthMap(); w.WriteTextString("Fun"); w.WriteBoolean(true); w.WriteTextString("Amt"); w.WriteInt32(-2); w.WriteBreak(); }),
    ];

    public static IEnumerable<object[]> Rows()
    {
        for (int i = 0; i < Examples.Length; i++)
        {
            yield return [i, Examples[i].Hex];
        }
    }

    [Fact]
    public void The_table_has_every_example_of_Appendix_A()
    {
        // RFC 8949 Appendix A, Table 6 has 81 rows.
        Assert.Equal(81, Examples.Length);
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Decoding_gives_the_diagnostic_notation_of_Appendix_A(int row, string hex)
    {
        byte[] data = Convert.FromHexString(hex);
        CborReader.Validate(data, 0, data.Length);
        Assert.Equal(Examples[row].Diagnostic, CborDiagnostic.ToDiagnosticString(data));
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Encoding_gives_the_bytes_of_Appendix_A(int row, string hex)
    {
        byte[] expected = Convert.FromHexString(hex);
        byte[] buffer = new byte[expected.Length];
        CborWriter w = new(buffer);
        Examples[row].Write(w);
        Assert.Equal(expected.Length, w.BytesWritten);
        Assert.Equal(hex, Convert.ToHexStringLower(buffer));
    }

    private static void Pair(CborWriter w, int a, int b, bool indefinite)
    {
        if (indefinite)
        {
            w.WriteStartIndefiniteLengthArray();
        }
        else
        {
            w.WriteStartArray(2);
        }

        w.WriteInt32(a);
        w.WriteInt32(b);
        if (indefinite)
        {
            w.WriteBreak();
        }
    }

    private static void OneTo25(CborWriter w)
    {
        for (int i = 1; i <= 25; i++)
        {
            w.WriteInt32(i);
        }
    }
}
