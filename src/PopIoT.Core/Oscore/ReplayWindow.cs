using System;

namespace PopIoT.Core.Oscore;

/// <summary>
/// The server's replay window for one Recipient Context (RFC 8613 §7.4): a sliding bitmap of <see cref="Size"/> bits
/// below the highest Sender Sequence Number received. The size is fixed at construction: 32 (the default) up to 256,
/// in multiples of 32. <see cref="IsFresh"/> only looks; <see cref="Update"/> is called after the message decrypted,
/// because §7.4 forbids updating the window for a message that failed verification. Size: 4 bytes per 32 bits plus
/// 16 bytes of counters.
/// </summary>
public sealed class ReplayWindow
{
    /// <summary>The default window size (RFC 8613 §7.4 follows RFC 4303 §3.4.3, whose minimum is 32).</summary>
    public const int DefaultSize = 32;

    /// <summary>The largest window size supported.</summary>
    public const int MaxSize = 256;

    /// <summary>The largest Partial IV (RFC 8613 §7.2.1: Sender Sequence Numbers are less than 2^40).</summary>
    public const long MaxSequenceNumber = 0xFFFFFFFFFFL;

    // Bit k (word k >> 5, bit k & 31) set means sequence number (_highest - k) was received.
    private readonly uint[] _words;
    private readonly int _size;
    private long _highest = -1;

    /// <summary>Creates an empty window of <see cref="DefaultSize"/> bits.</summary>
    public ReplayWindow()
        : this(DefaultSize)
    {
    }

    /// <summary>Creates an empty window.</summary>
    /// <param name="size">32, 64, ... 256.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is not a multiple of 32 in 32..256.</exception>
    public ReplayWindow(int size)
    {
        if (size < 32 || size > MaxSize || (size & 31) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "The replay window is 32 to 256 bits in multiples of 32.");
        }

        _size = size;
        _words = new uint[size >> 5];
    }

    /// <summary>The window size in bits.</summary>
    public int Size => _size;

    /// <summary>The highest sequence number accepted so far, or -1 when none was.</summary>
    public long Highest => _highest;

    /// <summary>
    /// Whether <paramref name="sequenceNumber"/> may be accepted: newer than anything seen, or inside the window and not
    /// seen (RFC 8613 §7.4). A duplicate, or a number older than the window's left edge, is refused. Does not change state.
    /// </summary>
    /// <param name="sequenceNumber">The received Partial IV as a number.</param>
    /// <returns>True when fresh.</returns>
    public bool IsFresh(long sequenceNumber)
    {
        if (sequenceNumber < 0 || sequenceNumber > MaxSequenceNumber)
        {
            return false;
        }

        if (sequenceNumber > _highest)
        {
            return true;
        }

        long behind = _highest - sequenceNumber;
        // Left of the window: its state is forgotten, so it must be refused (RFC 8613 §7.4).
        if (behind >= _size)
        {
            return false;
        }

        int k = (int)behind;
        return (_words[k >> 5] & (1u << (k & 31))) == 0;
    }

    /// <summary>Marks <paramref name="sequenceNumber"/> received; call only after the message verified (RFC 8613 §7.4).</summary>
    /// <param name="sequenceNumber">A number for which <see cref="IsFresh"/> returned true.</param>
    /// <returns>False (and no change) when the number is not fresh.</returns>
    public bool Update(long sequenceNumber)
    {
        if (!IsFresh(sequenceNumber))
        {
            return false;
        }

        if (sequenceNumber > _highest)
        {
            long shift = _highest < 0 ? _size : sequenceNumber - _highest;
            ShiftLeft(shift);
            _highest = sequenceNumber;
            _words[0] |= 1u;
            return true;
        }

        int k = (int)(_highest - sequenceNumber);
        _words[k >> 5] |= 1u << (k & 31);
        return true;
    }

    /// <summary>
    /// Sets the window so that <paramref name="sequenceNumber"/> is the highest received and nothing older is accepted:
    /// how a server re-establishes a window proven fresh with Echo after a reboot (RFC 8613 Appendix B.1.2).
    /// </summary>
    /// <param name="sequenceNumber">The verified request's sequence number.</param>
    public void Initialize(long sequenceNumber)
    {
        _highest = sequenceNumber;
        for (int i = 0; i < _words.Length; i++)
        {
            // Everything below is treated as seen: numbers sent before the reboot may still be replayed.
            _words[i] = 0xFFFFFFFFu;
        }
    }

    /// <summary>Forgets everything: the window accepts any number again (only for a fresh context).</summary>
    public void Reset()
    {
        _highest = -1;
        Array.Clear(_words, 0, _words.Length);
    }

    private void ShiftLeft(long n)
    {
        if (n >= _size)
        {
            Array.Clear(_words, 0, _words.Length);
            return;
        }

        int wordShift = (int)n >> 5;
        int bitShift = (int)n & 31;
        for (int i = _words.Length - 1; i >= 0; i--)
        {
            int src = i - wordShift;
            uint v = 0;
            if (src >= 0)
            {
                v = _words[src] << bitShift;
                if (bitShift != 0 && src > 0)
                {
                    v |= _words[src - 1] >> (32 - bitShift);
                }
            }

            _words[i] = v;
        }
    }
}
