namespace PopIoT.Core.Device;

/// <summary>
/// The device's clocks (docs/firmware.md, "Time on a board"): a monotonic millisecond counter that every timer uses, and
/// the wall time once the device has learnt it (SNTP or a battery-backed RTC). Until then the device behaves as a
/// clockless device: it accepts tokens with exi only and asks for a cnonce (RFC 9200 §5.10.3, §5.3).
/// </summary>
public interface IDeviceClock
{
    /// <summary>Milliseconds since an arbitrary origin; never goes backwards, also when the wall time is set.</summary>
    long MonotonicMilliseconds { get; }

    /// <summary>Reads the wall time if the device knows it.</summary>
    /// <param name="unixSeconds">The seconds since 1970-01-01T00:00:00Z, or 0 when unknown.</param>
    /// <returns>True when the wall time is known.</returns>
    bool TryGetUnixTime(out long unixSeconds);
}
