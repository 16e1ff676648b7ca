using PopIoT.Core.Cwt;

namespace PopIoT.Testing;

/// <summary>
/// The one manual clock of the tests, both a <see cref="TimeProvider"/> (hosts, AS, simulated device) and an
/// <see cref="ICwtClock"/> (the CWT validator). It reads a source (the wall clock, a fixed instant or a simulated
/// network's virtual time) plus an offset that the test moves with <see cref="Advance"/> or sets through <see cref="Now"/>.
/// </summary>
public sealed class TestClock : TimeProvider, ICwtClock
{
    // Null for a clock that stands still: it then counts in Unix seconds, so that a CWT test may set times
    // (up to long.MaxValue) that DateTimeOffset cannot hold.
    private readonly Func<DateTimeOffset>? _source;
    private long _standingSeconds;
    private long _offsetTicks;

    /// <summary>A clock on the wall clock.</summary>
    public TestClock()
        : this(() => DateTimeOffset.UtcNow)
    {
    }

    /// <summary>A clock standing at <paramref name="unixSeconds"/> until the test moves it.</summary>
    public TestClock(long unixSeconds) => _standingSeconds = unixSeconds;

    /// <summary>A clock on <paramref name="source"/>.</summary>
    public TestClock(Func<DateTimeOffset> source) => _source = source;

    /// <summary>The time in Unix seconds; setting it moves the clock so that it reads the value now.</summary>
    public long Now
    {
        get => _source == null
            ? Interlocked.Read(ref _standingSeconds) + (Interlocked.Read(ref _offsetTicks) / TimeSpan.TicksPerSecond)
            : GetUtcNow().ToUnixTimeSeconds();
        set
        {
            if (_source == null)
            {
                Interlocked.Exchange(ref _standingSeconds, value);
                Interlocked.Exchange(ref _offsetTicks, 0);
            }
            else
            {
                Interlocked.Exchange(ref _offsetTicks, (DateTimeOffset.FromUnixTimeSeconds(value) - _source()).Ticks);
            }
        }
    }

    /// <summary>Moves the clock forward (or back, with a negative span).</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() =>
        (_source == null ? DateTimeOffset.FromUnixTimeSeconds(Interlocked.Read(ref _standingSeconds)) : _source())
            .AddTicks(Interlocked.Read(ref _offsetTicks));

    /// <inheritdoc/>
    public bool TryGetUnixTime(out long unixSeconds)
    {
        unixSeconds = Now;
        return true;
    }
}
