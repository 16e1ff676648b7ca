#nullable disable
using PopIoT.Core.Device;

namespace PopIoT.Firmware;

/// <summary>
/// The board's <see cref="IDeviceClock"/>: monotonic milliseconds from the board's counter, and the wall time once
/// <see cref="SntpTimeSync"/> (or an RTC) has set it. Until then <see cref="TryGetUnixTime"/> says the time is
/// unknown and the runtime behaves as a clockless device (exi tokens only, a cnonce in the hints; RFC 9200 §5.10.3,
/// §5.3). The wall time is kept as an offset to the counter, so setting it never moves the monotonic time.
/// </summary>
public sealed class SntpDeviceClock : IDeviceClock
{
    private readonly IMillisecondCounter _counter;
    private long _last;
    private long _unixMsAtZero;
    private bool _known;

    /// <summary>Creates a clock with the wall time unknown.</summary>
    /// <param name="counter">The board's millisecond counter.</param>
    public SntpDeviceClock(IMillisecondCounter counter)
    {
        _counter = counter;
    }

    /// <summary>Whether the wall time is known.</summary>
    public bool Known
    {
        get { return _known; }
    }

    /// <inheritdoc/>
    public long MonotonicMilliseconds
    {
        get
        {
            // A counter must not run backwards; if a port's counter ever did, the clock holds still instead.
            long now = _counter.Milliseconds;
            if (now < _last)
            {
                now = _last;
            }

            _last = now;
            return now;
        }
    }

    /// <inheritdoc/>
    public bool TryGetUnixTime(out long unixSeconds)
    {
        if (!_known)
        {
            unixSeconds = 0;
            return false;
        }

        unixSeconds = (_unixMsAtZero + MonotonicMilliseconds) / 1000;
        return true;
    }

    /// <summary>Sets the wall time.</summary>
    /// <param name="unixMilliseconds">The wall time at <paramref name="atMonotonicMs"/>, in milliseconds since 1970.</param>
    /// <param name="atMonotonicMs">The monotonic time it was measured at.</param>
    public void SetUnixTime(long unixMilliseconds, long atMonotonicMs)
    {
        _unixMsAtZero = unixMilliseconds - atMonotonicMs;
        _known = true;
    }
}
