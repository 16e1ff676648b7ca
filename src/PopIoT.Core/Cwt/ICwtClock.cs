namespace PopIoT.Core.Cwt;

/// <summary>
/// The validator's time source (Core has no clock of its own, DESIGN.md §3). A device whose clock is
/// not set, or that has none, returns false: the validator then applies the no-clock rules of
/// RFC 9200 §5.10.3 (see <see cref="CwtValidator"/>). <see cref="CwtNoClock.Instance"/> always returns false.
/// </summary>
public interface ICwtClock
{
    /// <summary>Gets the current time.</summary>
    /// <param name="unixSeconds">Seconds since 1970-01-01T00:00:00Z (a NumericDate, RFC 8392 §2).</param>
    /// <returns>False when no trustworthy time is available now.</returns>
    bool TryGetUnixTime(out long unixSeconds);
}
