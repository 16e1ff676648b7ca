using PopIoT.Core.Cwt;

namespace PopIoT.Core.Ace;

/// <summary>The engine's time as the CWT validator sees it: the last Tick, and only when the device has a real clock.</summary>
internal sealed class AceClock : ICwtClock
{
    public bool HasClock;
    public long Now;

    public bool TryGetUnixTime(out long unixSeconds)
    {
        unixSeconds = Now;
        return HasClock;
    }
}
