namespace PopIoT.Core.Dtls;

/// <summary>
/// The 64-record anti-replay window of one epoch (RFC 6347 §4.1.2.6, after RFC 4303 §3.4.3): the highest sequence
/// number accepted and a bit for each of the 63 below it. <see cref="IsFresh"/> is asked before the record is
/// decrypted and <see cref="Accept"/> is called only after it authenticated, so forged records cannot move it.
/// </summary>
public sealed class DtlsReplayWindow
{
    /// <summary>The number of sequence numbers the window covers.</summary>
    public const int Size = 64;

    private long _top = -1;
    private ulong _bits;

    /// <summary>The highest sequence number accepted in this epoch, or −1.</summary>
    public long Highest
    {
        get { return _top; }
    }

    /// <summary>Forgets everything (a new epoch starts).</summary>
    public void Reset()
    {
        _top = -1;
        _bits = 0;
    }

    /// <summary>True when <paramref name="sequence"/> is newer than the window or inside it and not yet seen.</summary>
    /// <param name="sequence">The record's 48-bit sequence number.</param>
    /// <returns>Whether the record may be processed.</returns>
    public bool IsFresh(long sequence)
    {
        if (sequence > _top)
        {
            return true;
        }

        long behind = _top - sequence;
        if (behind >= Size)
        {
            // RFC 6347 §4.1.2.6: records to the left of the window are rejected.
            return false;
        }

        return ((_bits >> (int)behind) & 1UL) == 0;
    }

    /// <summary>Marks <paramref name="sequence"/> as received; call only after the record authenticated.</summary>
    /// <param name="sequence">The record's sequence number (fresh per <see cref="IsFresh"/>).</param>
    public void Accept(long sequence)
    {
        if (sequence > _top)
        {
            long shift = sequence - _top;
            _bits = shift >= Size ? 0UL : _bits << (int)shift;
            _bits |= 1UL;
            _top = sequence;
            return;
        }

        long behind = _top - sequence;
        if (behind < Size)
        {
            _bits |= 1UL << (int)behind;
        }
    }
}
