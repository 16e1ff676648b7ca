using CsCheck;

using PopIoT.Core.Sntp;

using Xunit;

namespace PopIoT.Core.Tests.Sntp;

/// <summary>
/// The sans-IO SNTP client (RFC 4330): the request it writes, the replies it takes and refuses, the NTP era
/// conversion (hand-computed vectors), and the attacker's inputs: a spoofed, replayed, reflected, stale or byte-varied
/// reply never sets the time, and random datagrams never throw.
/// </summary>
public class SntpClientTests
{
    // 2026-12-06T09:00:00Z: NTP seconds 0xEEBFA290 (unix 1,796,547,600 + 2,208,988,800), computed by hand and with
    // Python's calendar.timegm.
    private const uint NtpSeconds20261206 = 0xEEBFA290;
    private const long Unix20261206Ms = 1_796_547_600_000;

    [Theory]
    [InlineData(0x83AA7E80u, 0u, 0L)] // the Unix epoch (RFC 5905 §6: 2,208,988,800 s after 1900)
    [InlineData(0xBC17C200u, 0u, 946_684_800_000L)] // 2000-01-01T00:00:00Z
    [InlineData(0xBC17C200u, 0x80000000u, 946_684_800_500L)] // half a second of fraction
    [InlineData(0xBC17C200u, 0xFFFFFFFFu, 946_684_800_999L)] // the fraction truncates to whole milliseconds
    [InlineData(NtpSeconds20261206, 0u, Unix20261206Ms)]
    [InlineData(0x00000000u, 0u, 2_085_978_496_000L)] // RFC 4330 §3: MSB clear is era 1, 2036-02-07T06:28:16Z
    [InlineData(0x0754FD00u, 0u, 2_208_988_800_000L)] // 2040-01-01T00:00:00Z in era 1
    [InlineData(0x7FFFFFFFu, 0u, 4_233_462_143_000L)] // the last second of era 1 RFC 4330 §3 reaches: 2104-02-26T09:42:23Z
    public void Ntp_timestamps_convert_to_unix_milliseconds_across_the_2036_era(uint seconds, uint fraction, long unixMs)
    {
        byte[] b = new byte[8];
        Put(b, 0, seconds);
        Put(b, 4, fraction);

        Assert.Equal(unixMs, SntpClient.ToUnixMilliseconds(b, 0));
    }

    [Fact]
    public void The_request_is_a_48_byte_version_4_client_packet_with_a_random_transmit_timestamp()
    {
        var client = new SntpClient(new SeededRandomSource(1));
        byte[] a = new byte[60];
        byte[] b = new byte[48];

        Assert.Equal(48, client.WriteRequest(a, 5, 100));
        byte[] firstTransmit = a[45..53];
        Assert.Equal(48, client.WriteRequest(b, 0, 200));

        Assert.Equal(0x23, a[5]); // LI 0, VN 4, mode 3 (RFC 4330 §5)
        Assert.All(a[6..45], x => Assert.Equal(0, x));
        Assert.Contains(firstTransmit, x => x != 0);
        Assert.NotEqual(firstTransmit, b[40..48]);
        Assert.True(client.Pending);
        Assert.Throws<ArgumentException>(() => client.WriteRequest(new byte[47], 0, 0));
    }

    [Fact]
    public void A_valid_reply_gives_the_server_time_plus_half_the_round_trip_net_of_server_processing()
    {
        var client = new SntpClient(new SeededRandomSource(2));
        byte[] request = new byte[48];
        client.WriteRequest(request, 0, 10_000);

        // The server received it at T2 and answered 100 ms later; the client saw 300 ms pass: 200 ms on the wire.
        byte[] reply = Reply(request, receivedMs: 400, transmittedMs: 500);
        SntpError e = client.ReadReply(reply, 0, reply.Length, 10_300, out long unixMs);

        Assert.Equal(SntpError.None, e);
        Assert.Equal(Unix20261206Ms + 500 + 100, unixMs);
        Assert.False(client.Pending);
    }

    [Fact]
    public void Bytes_after_the_header_are_ignored_and_a_short_datagram_is_refused()
    {
        var client = new SntpClient(new SeededRandomSource(3));
        byte[] request = new byte[48];
        client.WriteRequest(request, 0, 0);
        byte[] reply = Reply(request, 0, 0);
        byte[] longer = new byte[48 + 20];
        reply.CopyTo(longer, 0);

        Assert.Equal(SntpError.TooShort, client.ReadReply(reply, 0, 47, 0, out _));
        Assert.Equal(SntpError.None, client.ReadReply(longer, 0, longer.Length, 0, out long t));
        Assert.Equal(Unix20261206Ms, t);
    }

    [Theory]
    [InlineData(0, 4, 3, 1, SntpError.NotServerMode)] // a client packet
    [InlineData(0, 4, 5, 1, SntpError.NotServerMode)] // broadcast
    [InlineData(0, 2, 4, 1, SntpError.UnsupportedVersion)]
    [InlineData(0, 5, 4, 1, SntpError.UnsupportedVersion)]
    [InlineData(3, 4, 4, 1, SntpError.Unsynchronized)]
    [InlineData(3, 4, 4, 0, SntpError.KissOfDeath)] // RFC 4330 §8: LI 3, stratum 0
    [InlineData(0, 4, 4, 0, SntpError.KissOfDeath)]
    [InlineData(0, 4, 4, 16, SntpError.InvalidStratum)]
    [InlineData(0, 4, 4, 255, SntpError.InvalidStratum)]
    [InlineData(0, 3, 4, 15, SntpError.None)]
    [InlineData(2, 4, 4, 1, SntpError.None)] // a leap second announced is still a synchronized clock
    public void Header_fields_are_checked_as_rfc_4330_section_5_says(int leap, int version, int mode, int stratum, SntpError expected)
    {
        var client = new SntpClient(new SeededRandomSource(4));
        byte[] request = new byte[48];
        client.WriteRequest(request, 0, 0);
        byte[] reply = Reply(request, 0, 0);
        reply[0] = (byte)((leap << 6) | (version << 3) | mode);
        reply[1] = (byte)stratum;

        Assert.Equal(expected, client.ReadReply(reply, 0, 48, 0, out long t));
        Assert.Equal(expected == SntpError.None, t != 0);
        Assert.False(client.Pending); // it echoed the request: the exchange is over either way
    }

    [Fact]
    public void A_zero_transmit_time_is_refused()
    {
        var client = new SntpClient(new SeededRandomSource(5));
        byte[] request = new byte[48];
        client.WriteRequest(request, 0, 0);
        byte[] reply = Reply(request, 0, 0);
        Array.Clear(reply, 40, 8);

        Assert.Equal(SntpError.ZeroTransmitTime, client.ReadReply(reply, 0, 48, 0, out long t));
        Assert.Equal(0, t);
    }

    [Fact]
    public void A_reply_with_any_byte_of_the_originate_timestamp_varied_is_refused_and_the_real_reply_still_counts()
    {
        var client = new SntpClient(new SeededRandomSource(6));
        byte[] request = new byte[48];
        client.WriteRequest(request, 0, 0);
        byte[] reply = Reply(request, 0, 0);
        for (int i = 24; i < 32; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] spoofed = (byte[])reply.Clone();
                spoofed[i] ^= (byte)(1 << bit);
                Assert.Equal(SntpError.OriginateMismatch, client.ReadReply(spoofed, 0, 48, 0, out long t));
                Assert.Equal(0, t);
                Assert.True(client.Pending);
            }
        }

        Assert.Equal(SntpError.None, client.ReadReply(reply, 0, 48, 0, out long good));
        Assert.Equal(Unix20261206Ms, good);
    }

    [Fact]
    public void A_replayed_reply_a_reply_to_an_older_request_and_the_reflected_request_are_refused()
    {
        var client = new SntpClient(new SeededRandomSource(7));
        byte[] first = new byte[48];
        client.WriteRequest(first, 0, 0);
        byte[] replyToFirst = Reply(first, 0, 0);

        Assert.Equal(SntpError.Unsolicited, new SntpClient(new SeededRandomSource(7)).ReadReply(replyToFirst, 0, 48, 0, out _));

        byte[] second = new byte[48];
        client.WriteRequest(second, 0, 1000);
        Assert.Equal(SntpError.OriginateMismatch, client.ReadReply(replyToFirst, 0, 48, 1000, out _));
        Assert.Equal(SntpError.OriginateMismatch, client.ReadReply(second, 0, 48, 1000, out _)); // our own request bounced back

        byte[] replyToSecond = Reply(second, 0, 0);
        Assert.Equal(SntpError.None, client.ReadReply(replyToSecond, 0, 48, 1000, out _));
        Assert.Equal(SntpError.Unsolicited, client.ReadReply(replyToSecond, 0, 48, 1000, out long t));
        Assert.Equal(0, t);
    }

    [Fact]
    public void Bad_arguments_and_a_clock_going_backwards_are_errors_not_exceptions()
    {
        var client = new SntpClient(new SeededRandomSource(8));
        byte[] request = new byte[48];
        client.WriteRequest(request, 0, 5000);
        byte[] reply = Reply(request, 0, 0);

        Assert.Equal(SntpError.InvalidArgument, client.ReadReply(null!, 0, 48, 5000, out _));
        Assert.Equal(SntpError.InvalidArgument, client.ReadReply(reply, 1, 48, 5000, out _));
        Assert.Equal(SntpError.InvalidArgument, client.ReadReply(reply, -1, 4, 5000, out _));
        Assert.Equal(SntpError.InvalidArgument, client.ReadReply(reply, 0, 48, 4999, out long t));
        Assert.Equal(0, t);
        Assert.Throws<ArgumentException>(() => new SntpClient(null!));
    }

    [Fact]
    public void Random_datagrams_never_throw_and_never_set_the_time_without_the_echo()
    {
        Gen.Select(Gen.Byte.Array[0, 120], Gen.Int[0, 8], Gen.Int)
            .Sample((bytes, offset, seed) =>
            {
                var client = new SntpClient(new SeededRandomSource(seed));
                byte[] request = new byte[48];
                client.WriteRequest(request, 0, 0);
                int start = Math.Min(offset, bytes.Length);
                SntpError e = client.ReadReply(bytes, start, bytes.Length - start, 10, out long t);
                bool echoes = bytes.Length - start >= 48 && bytes.AsSpan(start + 24, 8).SequenceEqual(request.AsSpan(40, 8));
                return echoes || (e != SntpError.None && t == 0 && client.Pending);
            }, iter: 3000);
    }

    [Fact]
    public void Every_valid_header_is_accepted_and_the_time_follows_the_delay_formula()
    {
        Gen.Select(Gen.Int[0, 2], Gen.Int[3, 4], Gen.Int[1, 15], Gen.Int[0, 5000], Gen.Int[0, 2000], Gen.Int[0, 1000])
            .Sample((leap, version, stratum, rtt, processing, sentAt) =>
            {
                var client = new SntpClient(new SeededRandomSource(rtt));
                byte[] request = new byte[48];
                client.WriteRequest(request, 0, sentAt);
                byte[] reply = Reply(request, 1000, 1000 + processing);
                reply[0] = (byte)((leap << 6) | (version << 3) | 4);
                reply[1] = (byte)stratum;
                SntpError e = client.ReadReply(reply, 0, 48, sentAt + rtt, out long t);
                long delay = Math.Max(0, rtt - processing);
                return e == SntpError.None && t == Unix20261206Ms + 1000 + processing + (delay / 2);
            }, iter: 2000);
    }

    // A server's reply to the request: mode 4, version 4, stratum 2, the request's transmit timestamp echoed as
    // originate, and receive/transmit timestamps in milliseconds after 2026-12-06T09:00:00Z.
    private static byte[] Reply(byte[] request, int receivedMs, int transmittedMs)
    {
        byte[] r = new byte[48];
        r[0] = (4 << 3) | 4;
        r[1] = 2;
        Array.Copy(request, 40, r, 24, 8);
        PutTime(r, 32, receivedMs);
        PutTime(r, 40, transmittedMs);
        return r;
    }

    private static void PutTime(byte[] b, int o, int ms)
    {
        Put(b, o, NtpSeconds20261206 + (uint)(ms / 1000));
        Put(b, o + 4, (uint)(((ulong)(ms % 1000) << 32) / 1000) + 1); // +1: the fraction of a whole ms truncates down otherwise
    }

    private static void Put(byte[] b, int o, uint v)
    {
        b[o] = (byte)(v >> 24);
        b[o + 1] = (byte)(v >> 16);
        b[o + 2] = (byte)(v >> 8);
        b[o + 3] = (byte)v;
    }
}
