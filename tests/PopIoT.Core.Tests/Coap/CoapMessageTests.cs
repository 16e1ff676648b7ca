using System;
using System.Collections.Generic;

using CsCheck;

using PopIoT.Core.Coap;

using Xunit;

namespace PopIoT.Core.Tests.Coap;

/// <summary>The codec (RFC 7252 §3): the Appendix A messages byte for byte, round trips, and every reserved form rejected.</summary>
public class CoapMessageTests
{
    private static readonly string Temperature = Hex.Ascii("temperature");
    private static readonly string Payload = Hex.Ascii("22.3 C");

    public static IEnumerable<object[]> AppendixA() =>
    [
        // Figure 16: CON GET, empty token, Uri-Path "temperature" (16 bytes); ACK 2.05 "22.3 C" (11 bytes).
        ["40017d34bb" + Temperature, CoapMessageType.Confirmable, CoapCode.Get, 0x7d34, "", 16],
        ["60457d34ff" + Payload, CoapMessageType.Acknowledgement, CoapCode.Content, 0x7d34, "", 11],
        // Figure 17: the same with token 0x20 (17 and 12 bytes).
        ["41017d3520bb" + Temperature, CoapMessageType.Confirmable, CoapCode.Get, 0x7d35, "20", 17],
        ["61457d3520ff" + Payload, CoapMessageType.Acknowledgement, CoapCode.Content, 0x7d35, "20", 12],
        // Figure 20: separate response: Empty ACK, CON 2.05 with token 0x53, Empty ACK.
        ["41017d3853bb" + Temperature, CoapMessageType.Confirmable, CoapCode.Get, 0x7d38, "53", 17],
        ["60007d38", CoapMessageType.Acknowledgement, CoapCode.Empty, 0x7d38, "", 4],
        ["4145ad7b53ff" + Payload, CoapMessageType.Confirmable, CoapCode.Content, 0xad7b, "53", 12],
        ["6000ad7b", CoapMessageType.Acknowledgement, CoapCode.Empty, 0xad7b, "", 4],
        // Figure 21: the Reset for an unexpected separate response.
        ["7000ad7c", CoapMessageType.Reset, CoapCode.Empty, 0xad7c, "", 4],
        // Figure 22: NON request and NON response.
        ["51017d4075bb" + Temperature, CoapMessageType.NonConfirmable, CoapCode.Get, 0x7d40, "75", 17],
        ["5145ad7d75ff" + Payload, CoapMessageType.NonConfirmable, CoapCode.Content, 0xad7d, "75", 12],
        // Figure 23: the multicast NON 4.04 with token 0x86.
        ["5184952a86", CoapMessageType.NonConfirmable, CoapCode.NotFound, 0x952a, "86", 5],
    ];

    [Theory]
    [MemberData(nameof(AppendixA))]
    public void Appendix_A_messages_parse_and_round_trip_byte_for_byte(string hex, CoapMessageType type, byte code, int mid, string token, int size)
    {
        byte[] datagram = Hex.Parse(hex);
        Assert.Equal(size, datagram.Length);
        var m = new CoapMessage();
        Assert.Equal(CoapParseError.None, m.Parse(datagram, 0, datagram.Length));
        Assert.Equal(type, m.Type);
        Assert.Equal(code, m.Code);
        Assert.Equal(mid, m.MessageId);
        byte[] t = new byte[8];
        Assert.Equal(token, Hex.Of(t, 0, m.GetToken(t, 0)));
        byte[] output = new byte[64];
        int n = m.Serialize(output, 0, output.Length);
        Assert.Equal(hex, Hex.Of(output, 0, n));
        Assert.Equal(n, m.GetSerializedLength());
    }

    [Fact]
    public void Figure_16_request_built_from_fields_is_byte_exact()
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 0x7d34 };
        m.AddUriPath("/temperature");
        byte[] output = new byte[32];
        int n = m.Serialize(output, 0, output.Length);
        Assert.Equal("40017d34bb" + Temperature, Hex.Of(output, 0, n));

        var r = new CoapMessage { Type = CoapMessageType.Acknowledgement, Code = CoapCode.Content, MessageId = 0x7d34 };
        byte[] text = "22.3 C"u8.ToArray();
        r.SetPayload(text, 0, text.Length);
        n = r.Serialize(output, 0, output.Length);
        Assert.Equal("60457d34ff" + Payload, Hex.Of(output, 0, n));
    }

    [Theory]
    [InlineData("", CoapParseError.TooShort)]
    [InlineData("400100", CoapParseError.TooShort)]
    [InlineData("00010000", CoapParseError.UnknownVersion)]
    [InlineData("80010000", CoapParseError.UnknownVersion)]
    [InlineData("c0010000", CoapParseError.UnknownVersion)]
    [InlineData("49010000", CoapParseError.ReservedTokenLength)]
    [InlineData("4f010000", CoapParseError.ReservedTokenLength)]
    [InlineData("42010000aa", CoapParseError.TruncatedToken)]
    [InlineData("40010000f0", CoapParseError.ReservedOptionNibble)]
    [InlineData("400100000f", CoapParseError.ReservedOptionNibble)]
    [InlineData("40010000ff", CoapParseError.EmptyPayload)]
    [InlineData("40010000d0", CoapParseError.TruncatedOption)]
    [InlineData("40010000e000", CoapParseError.TruncatedOption)]
    [InlineData("400100000d", CoapParseError.TruncatedOption)]
    [InlineData("4001000003aa", CoapParseError.TruncatedOption)]
    [InlineData("40010000e0ffff", CoapParseError.OptionNumberTooLarge)]
    [InlineData("41000000aa", CoapParseError.NonEmptyEmptyMessage)]
    [InlineData("60000000ff01", CoapParseError.NonEmptyEmptyMessage)]
    public void Reserved_and_truncated_forms_are_rejected(string hex, CoapParseError expected)
    {
        byte[] d = Hex.Parse(hex);
        Assert.Equal(expected, new CoapMessage().Parse(d, 0, d.Length));
    }

    [Fact]
    public void Too_many_options_is_an_error_not_an_overflow()
    {
        var m = new CoapMessage(2, 0);
        byte[] d = Hex.Parse("40010000" + "b0" + "00" + "00");
        Assert.Equal(CoapParseError.TooManyOptions, m.Parse(d, 0, d.Length));
    }

    [Fact]
    public void Options_are_sorted_and_repeated_options_keep_their_order()
    {
        var m = new CoapMessage { Code = CoapCode.Get, MessageId = 1 };
        m.AddUintOption(CoapOptionNumber.ContentFormat, 60);
        m.AddStringOption(CoapOptionNumber.UriPath, "a");
        m.AddStringOption(CoapOptionNumber.UriQuery, "q");
        m.AddStringOption(CoapOptionNumber.UriPath, "b");
        m.AddStringOption(CoapOptionNumber.UriHost, "h");
        byte[] o = new byte[64];
        int n = m.Serialize(o, 0, o.Length);
        // Uri-Host(3) "h", Uri-Path(11) "a", "b", Content-Format(12) 60, Uri-Query(15) "q".
        Assert.Equal("40010001" + "3168" + "8161" + "0162" + "113c" + "3171", Hex.Of(o, 0, n));
    }

    [Theory]
    [InlineData(0u, "")]
    [InlineData(1u, "01")]
    [InlineData(255u, "ff")]
    [InlineData(256u, "0100")]
    [InlineData(65535u, "ffff")]
    [InlineData(65536u, "010000")]
    [InlineData(0xFFFFFFu, "ffffff")]
    [InlineData(0x1000000u, "01000000")]
    [InlineData(uint.MaxValue, "ffffffff")]
    public void Uint_values_use_the_minimal_length(uint value, string hex)
    {
        byte[] b = new byte[4];
        int n = CoapOption.WriteUint(value, b, 0);
        Assert.Equal(hex, Hex.Of(b, 0, n));
        Assert.True(CoapOption.TryReadUint(b, 0, n, out uint back));
        Assert.Equal(value, back);
        Assert.False(CoapOption.TryReadUint(new byte[5], 0, 5, out _));
        Assert.True(CoapOption.TryReadUint(Hex.Parse("0001"), 0, 2, out uint lenient));
        Assert.Equal(1u, lenient);
    }

    [Fact]
    public void Option_properties_follow_the_number_bits()
    {
        // RFC 7252 §5.10 Table 4: C, U, N columns.
        Assert.True(CoapOption.IsCritical(CoapOptionNumber.UriPath));
        Assert.False(CoapOption.IsCritical(CoapOptionNumber.ETag));
        Assert.True(CoapOption.IsUnsafe(CoapOptionNumber.UriHost));
        Assert.False(CoapOption.IsUnsafe(CoapOptionNumber.ETag));
        Assert.True(CoapOption.IsNoCacheKey(CoapOptionNumber.Size1));
        Assert.True(CoapOption.IsNoCacheKey(CoapOptionNumber.Size2));
        Assert.False(CoapOption.IsNoCacheKey(CoapOptionNumber.MaxAge));
        Assert.Equal(CoapOptionFormat.Uint, CoapOption.Find(CoapOptionNumber.Block2)!.Format);
        Assert.Equal("Request-Tag", CoapOption.Find(292)!.Name);
        Assert.True(CoapOption.Find(CoapOptionNumber.UriPath)!.Repeatable);
        Assert.Null(CoapOption.Find(2));
        int previous = -1;
        for (int i = 0; i < CoapOption.KnownCount; i++)
        {
            Assert.True(CoapOption.GetKnown(i).Number > previous);
            previous = CoapOption.GetKnown(i).Number;
        }
    }

    [Fact]
    public void Unrecognized_critical_options_are_found_and_electives_ignored()
    {
        var m = new CoapMessage { Code = CoapCode.Get };
        m.AddUintOption(2, 5); // unknown elective
        m.AddUintOption(CoapOptionNumber.UriPort, 5683);
        Assert.Equal(-1, CoapOption.FindUnrecognizedCritical(m));
        m.AddUintOption(2049, 1); // unknown critical
        Assert.Equal(2049, CoapOption.FindUnrecognizedCritical(m));
        m.RemoveOption(2049);
        m.AddUintOption(CoapOptionNumber.UriPort, 1); // supernumerary, not repeatable
        Assert.Equal(CoapOptionNumber.UriPort, CoapOption.FindUnrecognizedCritical(m));
        m.RemoveOption(CoapOptionNumber.UriPort);
        m.AddUintOption(CoapOptionNumber.Block2, 0x1000000 - 1 + 1); // 4 bytes: longer than Block2's 3
        Assert.Equal(CoapOptionNumber.Block2, CoapOption.FindUnrecognizedCritical(m));
    }

    [Fact]
    public void Random_valid_messages_round_trip_identically()
    {
        int[] edges = [0, 1, 12, 13, 14, 267, 268, 269, 270, 1000, 65535 - 300];
        // CsCheck runs the body on several threads: everything it touches is local.
        Gen.Int[0, int.MaxValue].Sample(seed =>
        {
            byte[] first = new byte[4096];
            byte[] second = new byte[4096];
            var built = new CoapMessage(40, 0);
            var parsed = new CoapMessage(40, 0);
            var rnd = SeededRandomSource.NewRandom(seed);
            built.Type = (CoapMessageType)rnd.Next(4);
            built.Code = (byte)rnd.Next(1, 256);
            built.MessageId = rnd.Next(65536);
            byte[] token = new byte[rnd.Next(9)];
            rnd.NextBytes(token);
            built.SetToken(token, 0, token.Length);
            int options = rnd.Next(12);
            int number = 0;
            for (int i = 0; i < options; i++)
            {
                int delta = rnd.Next(3) == 0 ? edges[rnd.Next(edges.Length)] : rnd.Next(20);
                number = Math.Min(65535, number + delta);
                int length = rnd.Next(4) == 0 ? edges[rnd.Next(6)] : rnd.Next(10);
                if (rnd.Next(20) == 0)
                {
                    length = 269 + rnd.Next(300);
                }

                byte[] value = new byte[length];
                rnd.NextBytes(value);
                built.AddOption(number, value, 0, length);
            }

            byte[] payload = new byte[rnd.Next(3) == 0 ? 0 : rnd.Next(1, 300)];
            rnd.NextBytes(payload);
            built.SetPayload(payload, 0, payload.Length);

            int n = built.Serialize(first, 0, first.Length);
            Assert.True(n > 0);
            CoapParseError error = parsed.Parse(first, 0, n);
            Assert.True(error == CoapParseError.None, "seed " + seed + ": " + error + " " + Hex.Of(first, 0, Math.Min(n, 64)));
            Assert.Equal(built.OptionCount, parsed.OptionCount);
            int m = parsed.Serialize(second, 0, second.Length);
            Assert.Equal(first.AsSpan(0, n).ToArray(), second.AsSpan(0, m).ToArray());
        }, iter: 50_000);
    }

    [Fact]
    public void Serialize_refuses_a_buffer_that_is_too_small()
    {
        var m = new CoapMessage { Code = CoapCode.Get };
        m.AddUriPath("/temperature");
        Assert.Equal(-1, m.Serialize(new byte[10], 0, 10));
        Assert.Equal(16, m.Serialize(new byte[16], 0, 16));
    }
}
