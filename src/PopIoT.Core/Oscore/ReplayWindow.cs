using System;

namespace PopIoT.Core.Oscore;

/// <summary>
/// The server's replay window for one Recipient Context (RFC 8613 §7.4): a sliding bitmap of <see cref="Size"/> bits
/// below the highest Sender Sequence Number received. The size is fixed at construction: 32 (the default) up to 256,
/// in multiples of 32. <see cref="IsFresh(long)"/> only looks; <see cref="Update(long)"/> is called after the message
/// decrypted, because §7.4 forbids updating the window for a message that failed verification. A window made with
/// <see cref="ReplayWindow(int)"/> owns its bitmap and counter; a Security Context's window is a view of its slot in
/// the packed state of <see cref="SecurityContextSlots"/>, where the context runs the same static rules below without
/// a view object. Size: 4 bytes per 32 bits plus the 8-byte highest number.
/// </summary>
public sealed class ReplayWindow
{
    /// <summary>The default window size (RFC 8613 §7.4 follows RFC 4303 §3.4.3, whose minimum is 32).</summary>
    public const int DefaultSize = 32;

    /// <summary>The largest window size supported.</summary>
    public const int MaxSize = 256;

    /// <summary>The largest Partial IV (RFC 8613 §7.2.1: Sender Sequence Numbers are less than 2^40).</summary>
    public const long MaxSequenceNumber = 0xFFFFFFFFFFL;

    // Bit k (word wordAt + (k >> 5), bit k & 31) set means sequence number (highest - k) was received; the highest
    // number is numbers[highestAt], -1 when none was.
    private readonly uint[] _words;
    private readonly int _wordAt;
    private readonly int _size;
    private readonly long[] _numbers;
    private readonly int _highestAt;

    /// <summary>Creates an empty window of <see cref="DefaultSize"/> bits.</summary>
    public ReplayWindow()
        : this(DefaultSize)
    {
    }

    /// <summary>Creates an empty window.</summary>
    /// <param name="size">32, 64, ... 256.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is not a multiple of 32 in 32..256.</exception>
    public ReplayWindow(int size)
        : this(new uint[CheckSize(size) >> 5], 0, size, new long[] { -1 }, 0)
    {
    }

    // A view of a window kept in someone else's arrays (a Security Context's slot).
    internal ReplayWindow(uint[] words, int wordAt, int size, long[] numbers, int highestAt)
    {
        _words = words;
        _wordAt = wordAt;
        _size = size;
        _numbers = numbers;
        _highestAt = highestAt;
    }

    /// <summary>The window size in bits.</summary>
    public int Size => _size;

    /// <summary>The highest sequence number accepted so far, or -1 when none was.</summary>
    public long Highest => _numbers[_highestAt];

    /// <summary>
    /// Whether <paramref name="sequenceNumber"/> may be accepted: newer than anything seen, or inside the window and not
    /// seen (RFC 8613 §7.4). A duplicate, or a number older than the window's left edge, is refused. Does not change state.
    /// </summary>
    /// <param name="sequenceNumber">The received Partial IV as a number.</param>
    /// <returns>True when fresh.</returns>
    public bool IsFresh(long sequenceNumber)
    {
        return IsFresh(_words, _wordAt, _size, _numbers[_highestAt], sequenceNumber);
    }

    /// <summary>Marks <paramref name="sequenceNumber"/> received; call only after the message verified (RFC 8613 §7.4).</summary>
    /// <param name="sequenceNumber">A number for which <see cref="IsFresh(long)"/> returned true.</param>
    /// <returns>False (and no change) when the number is not fresh.</returns>
    public bool Update(long sequenceNumber)
    {
        return Update(_words, _wordAt, _size, _numbers, _highestAt, sequenceNumber);
    }

    /// <summary>
    /// Sets the window so that <paramref name="sequenceNumber"/> is the highest received and nothing older is accepted:
    /// how a server re-establishes a window proven fresh with Echo after a reboot (RFC 8613 Appendix B.1.2).
    /// </summary>
    /// <param name="sequenceNumber">The verified request's sequence number.</param>
    public void Initialize(long sequenceNumber)
    {
        Initialize(_words, _wordAt, _size, _numbers, _highestAt, sequenceNumber);
    }

    /// <summary>Forgets everything: the window accepts any number again (only for a fresh context).</summary>
    public void Reset()
    {
        Reset(_words, _wordAt, _size, _numbers, _highestAt);
    }

    // The rules, over a window at words[wordAt ..] of size bits whose highest number is numbers[highestAt].

    // RFC 8613 §7.4.
    internal static bool IsFresh(uint[] words, int wordAt, int size, long highest, long sequenceNumber)
    {
        if (sequenceNumber < 0 || sequenceNumber > MaxSequenceNumber)
        {
            return false;
        }

        if (sequenceNumber > highest)
        {
            return true;
        }

        long behind = highest - sequenceNumber;
        // Left of the window: its state is forgotten, so it must be refused (RFC 8613 §7.4).
        if (behind >= size)
        {
            return false;
        }

        int k = (int)behind;
        return (words[wordAt + (k >> 5)] & (1u << (k & 31))) == 0;
    }

    internal static bool Update(uint[] words, int wordAt, int size, long[] numbers, int highestAt, long sequenceNumber)
    {
        long highest = numbers[highestAt];
        if (!IsFresh(words, wordAt, size, highest, sequenceNumber))
        {
            return false;
        }

        if (sequenceNumber > highest)
        {
            long shift = highest < 0 ? size : sequenceNumber - highest;
            ShiftLeft(words, wordAt, size, shift);
            numbers[highestAt] = sequenceNumber;
            words[wordAt] |= 1u;
            return true;
        }

        int k = (int)(highest - sequenceNumber);
        words[wordAt + (k >> 5)] |= 1u << (k & 31);
        return true;
    }

    internal static void Initialize(uint[] words, int wordAt, int size, long[] numbers, int highestAt, long sequenceNumber)
    {
        numbers[highestAt] = sequenceNumber;
        for (int i = 0; i < size >> 5; i++)
        {
            // Everything below is treated as seen: numbers sent before the reboot may still be replayed.
            words[wordAt + i] = 0xFFFFFFFFu;
        }
    }

    internal static void Reset(uint[] words, int wordAt, int size, long[] numbers, int highestAt)
    {
        numbers[highestAt] = -1;
        Array.Clear(words, wordAt, size >> 5);
    }

    internal static int CheckSize(int size)
    {
        if (size < 32 || size > MaxSize || (size & 31) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "The replay window is 32 to 256 bits in multiples of 32.");
        }

        return size;
    }

    private static void ShiftLeft(uint[] words, int wordAt, int size, long n)
    {
        int count = size >> 5;
        if (n >= size)
        {
            Array.Clear(words, wordAt, count);
            return;
        }

        int wordShift = (int)n >> 5;
        int bitShift = (int)n & 31;
        for (int i = count - 1; i >= 0; i--)
        {
            int src = i - wordShift;
            uint v = 0;
            if (src >= 0)
            {
                v = words[wordAt + src] << bitShift;
                if (bitShift != 0 && src > 0)
                {
                    v |= words[wordAt + src - 1] >> (32 - bitShift);
                }
            }

            words[wordAt + i] = v;
        }
    }
}
