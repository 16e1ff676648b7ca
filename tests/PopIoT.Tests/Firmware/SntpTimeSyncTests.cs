using PopIoT.Core.Device;
using PopIoT.Firmware;

using Xunit;

namespace PopIoT.Tests.Firmware;

/// <summary>
/// The firmware's clock adapter with its SNTP exchange over a fake socket (docs/firmware.md, "Time"): the wall time
/// becomes known, lost requests are retried, datagrams from elsewhere, replies without the echo, a kiss-o'-death and
/// a time before the floor never set it, and a clock that is unknown at boot becomes known later while the monotonic
/// time never moves back.
/// </summary>
public class SntpTimeSyncTests
{
    private readonly FakeCounter _counter = new();
    private readonly ListLog _log = new();
    private readonly FakeSntpNetwork _net;
    private readonly SntpDeviceClock _clock;
    private readonly SntpTimeSync _sync = new(new SeededRandomSource(21));

    public SntpTimeSyncTests()
    {
        var server = new DatagramAddress();
        server.Set([192, 0, 2, 123], 0, 4, 123);
        _net = new FakeSntpNetwork(_counter, server);
        _clock = new SntpDeviceClock(_counter);
    }

    private bool Run(int attempts = 3) => _sync.Run(_net, _net.Server, _clock, _log, attempts, 2000);

    [Fact]
    public void The_wall_time_becomes_known_from_the_server_and_the_monotonic_time_is_untouched()
    {
        Assert.False(_clock.TryGetUnixTime(out long before));
        Assert.Equal(0, before);
        long monotonicBefore = _clock.MonotonicMilliseconds;

        Assert.True(Run());

        Assert.True(_clock.TryGetUnixTime(out long unix));
        long expectedMs = _net.ServerUnixMsAtZero + _counter.Milliseconds;
        Assert.InRange(unix, (expectedMs / 1000) - 1, expectedMs / 1000);
        Assert.Equal(monotonicBefore + _net.RoundTripMs, _clock.MonotonicMilliseconds);
        Assert.Equal(1, _net.Requests);
        Assert.Contains("(Unix seconds) from SNTP, round trip 40 ms", _log.All, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lost_request_is_sent_again_after_its_timeout()
    {
        _net.DropRequests = 1;
        long start = _counter.Milliseconds;

        Assert.True(Run());

        Assert.Equal(2, _net.Requests);
        Assert.Equal(start + 2000 + _net.RoundTripMs, _counter.Milliseconds);
        Assert.True(_clock.Known);
    }

    [Fact]
    public void A_reply_from_another_address_is_ignored_even_with_the_right_echo()
    {
        _net.SpoofFromElsewhereUnixMs = 946_684_800_000; // 2000-01-01: would revive long-expired tokens

        Assert.True(Run());

        Assert.True(_clock.TryGetUnixTime(out long unix));
        Assert.True(unix > 1_796_000_000, "the spoofed time was taken: " + unix);
        Assert.Contains("datagram from another address ignored", _log.All, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reply_from_the_server_address_without_the_echo_is_ignored_and_the_real_one_taken()
    {
        _net.ForgedWithoutEcho = true;

        Assert.True(Run());

        Assert.True(_clock.TryGetUnixTime(out long unix));
        Assert.True(unix > 1_796_000_000, "the forged time was taken: " + unix);
        Assert.Contains("originate timestamp does not echo the request", _log.All, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kiss_of_death_stops_asking_and_leaves_the_time_unknown()
    {
        _net.KissOfDeath = true;

        Assert.False(Run());

        Assert.Equal(1, _net.Requests);
        Assert.False(_clock.Known);
        Assert.Contains("kiss-o'-death", _log.All, StringComparison.Ordinal);
    }

    [Fact]
    public void A_time_before_the_floor_is_refused()
    {
        _net.ServerUnixMsAtZero = 946_684_800_000;

        Assert.False(Run(attempts: 1));

        Assert.False(_clock.Known);
        Assert.Contains("before the earliest accepted time", _log.All, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_answer_the_device_says_it_runs_clockless_and_a_later_exchange_makes_the_time_known()
    {
        _net.DropRequests = 3;
        long first = _clock.MonotonicMilliseconds;

        Assert.False(Run());
        Assert.False(_clock.TryGetUnixTime(out _));
        Assert.Contains("running as a clockless device (exi tokens only, cnonce in the hints)", _log.All, StringComparison.Ordinal);
        Assert.Equal(first + 2000 + 4000 + 8000, _clock.MonotonicMilliseconds);

        // Later (the firmware's loop retries), the server answers: the clock becomes known without jumping back.
        _counter.Milliseconds += 64_000;
        long beforeSync = _clock.MonotonicMilliseconds;
        Assert.True(Run(attempts: 1));
        Assert.True(_clock.TryGetUnixTime(out long unix));
        Assert.True(_clock.MonotonicMilliseconds >= beforeSync);
        Assert.Equal((_net.ServerUnixMsAtZero + _counter.Milliseconds) / 1000, unix, 1.0);
    }

    [Fact]
    public void The_monotonic_time_holds_still_if_a_counter_ever_runs_backwards()
    {
        _counter.Milliseconds = 10_000;
        Assert.Equal(10_000, _clock.MonotonicMilliseconds);
        _counter.Milliseconds = 9_000;
        Assert.Equal(10_000, _clock.MonotonicMilliseconds);
        _counter.Milliseconds = 10_500;
        Assert.Equal(10_500, _clock.MonotonicMilliseconds);
    }
}
