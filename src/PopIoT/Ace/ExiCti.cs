namespace PopIoT.Ace;

/// <summary>
/// The one cti rule of exi tokens, for every issuer (RFC 9200 §5.10.3: cti holds "the identifier of the RS" and the
/// issuer's sequence number for it): the audience in UTF-8 followed by the number as 6 big-endian bytes, which the RS
/// reads back with Core's <c>AceFreshness.CtiSequence</c>. The AS numbers an RS's tokens last + 1 from its database
/// (starting at <see cref="First"/>), and so does <c>popiot token mint --db</c>; offline, <c>token mint</c> counts on
/// the clock scale (<see cref="NextInProcess"/>), see docs/cli.md, "Exi tokens and cti".
/// </summary>
public static class ExiCti
{
    /// <summary>The largest sequence number (6 bytes).</summary>
    public const long MaxSequence = (1L << 48) - 1;

    private const int SequenceLength = 6;
    private static long _lastInProcess;

    /// <summary>
    /// The first number of an RS's sequence: the time in milliseconds since the Unix epoch, so a sequence started now
    /// lies above the numbers an offline minter (<see cref="NextInProcess"/>) gave the device before.
    /// </summary>
    /// <param name="now">The time.</param>
    /// <returns>The number.</returns>
    public static long First(DateTimeOffset now) => now.ToUnixTimeMilliseconds();

    /// <summary>The next number after <paramref name="last"/> at time <paramref name="now"/> on the clock scale.</summary>
    /// <param name="now">The minting time.</param>
    /// <param name="last">The last number used for this RS (0 before any).</param>
    /// <returns>max(now in ms, last + 1).</returns>
    public static long Next(DateTimeOffset now, long last) => Math.Max(now.ToUnixTimeMilliseconds(), last + 1);

    /// <summary>The next number of this process on the clock scale (for a minter that keeps no store): increasing across calls.</summary>
    /// <param name="now">The minting time.</param>
    /// <returns>The number.</returns>
    public static long NextInProcess(DateTimeOffset now)
    {
        long last;
        long next;
        do
        {
            last = Interlocked.Read(ref _lastInProcess);
            next = Next(now, last);
        }
        while (Interlocked.CompareExchange(ref _lastInProcess, next, last) != last);
        return next;
    }

    /// <summary>The cti: the audience's UTF-8 bytes, then the number in 6 big-endian bytes.</summary>
    /// <param name="audience">The RS's audience.</param>
    /// <param name="sequence">0 .. <see cref="MaxSequence"/>.</param>
    /// <returns>The cti.</returns>
    public static byte[] Encode(string audience, long sequence)
    {
        ArgumentNullException.ThrowIfNull(audience);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence, MaxSequence);
        int idLength = System.Text.Encoding.UTF8.GetByteCount(audience);
        byte[] cti = new byte[idLength + SequenceLength];
        System.Text.Encoding.UTF8.GetBytes(audience, 0, audience.Length, cti, 0);
        for (int i = cti.Length - 1; i >= idLength; i--, sequence >>= 8)
        {
            cti[i] = (byte)sequence;
        }

        return cti;
    }

    /// <summary>
    /// The sequence number in a cti made for this audience, or -1 when it is not one. Reads 1 to 7 bytes after the
    /// identifier, as the RS does, so numbers written before this rule (4 bytes) still count.
    /// </summary>
    /// <param name="cti">The cti.</param>
    /// <param name="audience">The RS's audience.</param>
    /// <returns>The number, or -1.</returns>
    public static long SequenceOf(byte[] cti, string audience)
    {
        ArgumentNullException.ThrowIfNull(cti);
        byte[] id = System.Text.Encoding.UTF8.GetBytes(audience);
        int n = cti.Length - id.Length;
        if (n is < 1 or > 7 || !cti.AsSpan(0, id.Length).SequenceEqual(id))
        {
            return -1;
        }

        long v = 0;
        for (int i = id.Length; i < cti.Length; i++)
        {
            v = (v << 8) | cti[i];
        }

        return v;
    }
}
