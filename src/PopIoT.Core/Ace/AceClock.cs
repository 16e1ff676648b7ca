using PopIoT.Core.Cwt;

namespace PopIoT.Core.Ace;

/// <summary>
/// The engine's time as the CWT validator sees it: the last Tick, plus the offset to Unix time, and only once the
/// device's wall clock is known. A device built with a clock ticks in Unix seconds (offset 0); one whose clock becomes
/// known later keeps ticking in seconds since boot, and the offset maps them to Unix time (docs/ace-rs.md, "Time that
/// becomes known later").
/// </summary>
internal sealed class AceClock : ICwtClock
{
    public bool HasClock;
    public long Now;

    /// <summary>Unix time minus engine time, once the clock is known.</summary>
    public long Offset;

    public bool TryGetUnixTime(out long unixSeconds)
    {
        unixSeconds = Now + Offset;
        return HasClock;
    }

    /// <summary>An instant in Unix seconds as engine time, saturating.</summary>
    public long ToEngineTime(long unixSeconds)
    {
        if (Offset > 0 && unixSeconds < long.MinValue + Offset)
        {
            return long.MinValue;
        }

        if (Offset < 0 && unixSeconds > long.MaxValue + Offset)
        {
            return long.MaxValue;
        }

        return unixSeconds - Offset;
    }
}
