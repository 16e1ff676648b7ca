using PopIoT.Core.Device;

namespace PopIoT.Device;

/// <summary>
/// The simulator's <see cref="IDeviceClock"/> over a <see cref="TimeProvider"/> (a virtual clock in tests): monotonic
/// milliseconds from a whole second at boot (so the device's seconds tick with the time source's), and the wall time
/// from the start (a device with a clock), after <c>knownAfter</c> (simulated SNTP), or never (a clockless device).
/// </summary>
internal sealed class SimulatedDeviceClock(TimeProvider time, bool hasClock, TimeSpan? knownAfter) : IDeviceClock
{
    private readonly DateTimeOffset _boot = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
    private long _last;

    public long MonotonicMilliseconds
    {
        get
        {
            long ms = (long)(time.GetUtcNow() - _boot).TotalMilliseconds;

            // Never backwards, also when a test sets its clock back.
            long last = Interlocked.Read(ref _last);
            while (ms > last)
            {
                long seen = Interlocked.CompareExchange(ref _last, ms, last);
                if (seen == last)
                {
                    return ms;
                }

                last = seen;
            }

            return last;
        }
    }

    public bool TryGetUnixTime(out long unixSeconds)
    {
        DateTimeOffset now = time.GetUtcNow();
        bool known = hasClock || (knownAfter is TimeSpan after && now - _boot >= after);
        unixSeconds = known ? now.ToUnixTimeSeconds() : 0;
        return known;
    }
}
