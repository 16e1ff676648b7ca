namespace PopIoT.Core.Cwt;

/// <summary>The clock of a device without one: tokens must then carry exi (RFC 9200 §5.10.3).</summary>
public sealed class CwtNoClock : ICwtClock
{
    /// <summary>The one instance.</summary>
    public static readonly CwtNoClock Instance = new CwtNoClock();

    private CwtNoClock()
    {
    }

    /// <summary>Never has a time.</summary>
    /// <param name="unixSeconds">Always 0.</param>
    /// <returns>False.</returns>
    public bool TryGetUnixTime(out long unixSeconds)
    {
        unixSeconds = 0;
        return false;
    }
}
