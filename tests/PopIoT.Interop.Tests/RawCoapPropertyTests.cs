using CsCheck;
using PopIoT.Core.Coap;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>
/// The interop tests' own CoAP codec (<see cref="RawCoap"/>), which builds what the DTLS peers carry and reads what they
/// print: it never throws on any bytes, and on generated messages it agrees with itself (encode, parse) and with
/// PopIoT.Core's <see cref="CoapMessage"/> parser, so a failed interop test is not a codec bug on our side.
/// </summary>
public sealed class RawCoapPropertyTests
{
    private static readonly Gen<RawCoap> Messages =
        from type in Gen.Int[0, 3]
        from code in Gen.Byte[1, 255]  // 0.00 is the Empty message, which has nothing after the header (RFC 7252 §4.1)
        from mid in Gen.UShort
        from token in Gen.Byte.Array[0, 8]
        from options in Gen.Select(Gen.Int[1, 2000], Gen.Byte.Array[0, 300]).Array[0, 6]
        from payload in Gen.Byte.Array[0, 100]
        select new RawCoap(type, code, mid, token, options.OrderBy(o => o.Item1).ToList(), payload);

    [Fact]
    public void Parsing_any_bytes_returns_a_message_or_null_and_never_throws()
    {
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            RawCoap? m = RawCoap.TryParse(bytes);
            return m == null || m.Token.Length <= 8;
        }, iter: 20_000);
    }

    [Fact]
    public void Encoded_messages_parse_back_the_same_here_and_in_core()
    {
        Messages.Sample(m =>
        {
            byte[] bytes = m.Encode();
            RawCoap back = RawCoap.TryParse(bytes) ?? throw new InvalidOperationException("did not parse: " + m);
            Assert.Equal(m.Type, back.Type);
            Assert.Equal(m.Code, back.Code);
            Assert.Equal(m.MessageId, back.MessageId);
            Assert.Equal(m.Token, back.Token);
            Assert.Equal(m.Options.Select(o => (o.Number, Convert.ToHexString(o.Value))), back.Options.Select(o => (o.Number, Convert.ToHexString(o.Value))));
            Assert.Equal(m.Payload, back.Payload);

            var core = new CoapMessage(8, 4096);
            Assert.Equal(CoapParseError.None, core.Parse(bytes, 0, bytes.Length));
            Assert.Equal(m.Type, (int)core.Type);
            Assert.Equal(m.Code, core.Code);
            Assert.Equal(m.MessageId, core.MessageId);
            Assert.Equal(m.Options.Select(o => o.Number), Enumerable.Range(0, core.OptionCount).Select(core.GetOptionNumber));
            Assert.Equal(m.Payload, core.PayloadBuffer.AsSpan(core.PayloadOffset, core.PayloadLength).ToArray());
        }, iter: 2_000);
    }
}
