using System;

using PopIoT.Core.Coap;

using Xunit;
using Xunit.Abstractions;

namespace PopIoT.Core.Tests.Coap;

/// <summary>
/// Bad input (DESIGN.md §7) through the endpoint: truncations, bit flips and random bytes. No exception, and each
/// datagram gets the RFC 7252 reaction: a Reset with its Message ID for a bad CON whose header was readable (§4.2),
/// silence for a bad NON, ACK or RST and for unreadable headers (§3, §4.3).
/// </summary>
public class MalformedFloodTests
{
    private const int Cases = 120_000;
    private readonly ITestOutputHelper _output;

    public MalformedFloodTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Malformed_datagrams_get_the_rfc_reaction_and_the_endpoint_keeps_serving()
    {
        var rnd = SeededRandomSource.NewRandom(7252);
        var settings = new CoapSettings { DeduplicationCapacity = 64, OutboxCapacity = 4 };
        var server = new MessageLayer(settings, new SeededRandomSource(2), new FixedHandler(CoapCode.Content, "ok"), new RecordingListener());
        var classify = new CoapMessage(settings.OptionCapacity, 0);
        byte[] output = new byte[2048];
        byte[] valid = BuildValid(rnd);
        int resets = 0;
        int silent = 0;
        int wellFormed = 0;
        long now = 0;

        for (int i = 0; i < Cases; i++)
        {
            if (i % 64 == 0)
            {
                valid = BuildValid(rnd);
            }

            byte[] d = Mutate(rnd, valid);
            now += 5;
            server.Receive(d, 0, d.Length, 1 + (i % 3), now);

            CoapParseError error = classify.Parse(d, 0, d.Length);
            bool readable = error != CoapParseError.TooShort && error != CoapParseError.UnknownVersion;
            int count = 0;
            string first = null!;
            while (server.TryTakeOutgoing(output, 0, out int n, out _))
            {
                count++;
                first ??= Hex.Of(output, 0, n);
            }

            if (error != CoapParseError.None)
            {
                if (readable && classify.Type == CoapMessageType.Confirmable)
                {
                    Assert.Equal(1, count);
                    Assert.Equal("7000" + classify.MessageId.ToString("x4", null), first);
                    resets++;
                }
                else
                {
                    Assert.Equal(0, count);
                    silent++;
                }
            }
            else
            {
                wellFormed++;
                // A well-formed CON is always answered with an ACK or RST carrying its Message ID; nothing answers an ACK or RST.
                if (classify.Type == CoapMessageType.Confirmable)
                {
                    Assert.Equal(1, count);
                    Assert.Equal(classify.MessageId.ToString("x4", null), first.Substring(4, 4));
                    Assert.True(first[0] == '6' || first[0] == '7');
                }
                else if (classify.Type == CoapMessageType.Acknowledgement || classify.Type == CoapMessageType.Reset)
                {
                    Assert.Equal(0, count);
                }
                else
                {
                    Assert.InRange(count, 0, 1);
                }
            }
        }

        _output.WriteLine($"{Cases} datagrams: {resets} reset, {silent} silently dropped, {wellFormed} well-formed");
        Assert.True(resets > 10_000 && silent > 10_000);

        // After the flood (and past EXCHANGE_LIFETIME so the duplicate cache has room) a good request is answered.
        now += 300_000;
        byte[] good = Hex.Parse("4101abcd" + "77" + "b4" + Hex.Ascii("good"));
        server.Receive(good, 0, good.Length, 9, now);
        Assert.True(server.TryTakeOutgoing(output, 0, out int len, out int peer));
        Assert.Equal(9, peer);
        Assert.Equal("6145abcd77ff" + Hex.Ascii("ok"), Hex.Of(output, 0, len));
    }

    private static byte[] BuildValid(Random rnd)
    {
        var m = new CoapMessage();
        m.Type = (CoapMessageType)rnd.Next(4);
        m.Code = rnd.Next(3) switch { 0 => CoapCode.Get, 1 => CoapCode.Content, _ => (byte)rnd.Next(256) };
        m.MessageId = rnd.Next(65536);
        byte[] token = new byte[rnd.Next(9)];
        rnd.NextBytes(token);
        m.SetToken(token, 0, token.Length);
        int number = 0;
        for (int i = rnd.Next(6); i > 0; i--)
        {
            number += rnd.Next(4) == 0 ? rnd.Next(300) : rnd.Next(15);
            byte[] value = new byte[rnd.Next(4) == 0 ? rnd.Next(280) : rnd.Next(6)];
            rnd.NextBytes(value);
            m.AddOption(number, value, 0, value.Length);
        }

        byte[] payload = new byte[rnd.Next(2) == 0 ? 0 : rnd.Next(1, 40)];
        m.SetPayload(payload, 0, payload.Length);
        byte[] buffer = new byte[2048];
        int n = m.Serialize(buffer, 0, buffer.Length);
        return buffer.AsSpan(0, n).ToArray();
    }

    private static byte[] Mutate(Random rnd, byte[] valid)
    {
        switch (rnd.Next(4))
        {
            case 0:
                // Truncation.
                return valid.AsSpan(0, rnd.Next(valid.Length)).ToArray();
            case 1:
            {
                // Bit flips and byte changes, with the version usually kept at 1 so the header stays readable.
                byte[] d = (byte[])valid.Clone();
                for (int k = rnd.Next(1, 4); k > 0; k--)
                {
                    int at = rnd.Next(d.Length);
                    d[at] = rnd.Next(2) == 0 ? (byte)(d[at] ^ (1 << rnd.Next(8))) : (byte)rnd.Next(256);
                }

                if (rnd.Next(8) != 0)
                {
                    d[0] = (byte)(0x40 | (d[0] & 0x3F));
                }

                return d;
            }

            case 2:
            {
                // A readable header followed by random bytes.
                byte[] d = new byte[rnd.Next(4, 60)];
                rnd.NextBytes(d);
                d[0] = (byte)(0x40 | (d[0] & 0x3F));
                return d;
            }

            default:
            {
                // Anything at all.
                byte[] d = new byte[rnd.Next(0, 30)];
                rnd.NextBytes(d);
                return d;
            }
        }
    }
}
