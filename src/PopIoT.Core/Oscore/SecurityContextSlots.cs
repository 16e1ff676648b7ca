using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Oscore;

/// <summary>
/// The packed state of a fixed number of Security Contexts (RFC 8613 §3), struct-of-arrays: one byte array, one int
/// array, one long array and one bitmap array, each indexed by slot with a fixed stride, so a slot costs the widths of
/// its values and not a 12-byte heap block per field as one object per context would on nanoFramework (DESIGN.md §4,
/// docs/firmware.md "Memory model"). Each slot's <see cref="SecurityContext"/> is a two-field handle made once at
/// construction. The layout is documented here and only here: the offsets below are the one place that knows it.
/// A table's slots keep their raw keys and borrow one shared re-keyable AES-CCM for each operation; without one (a
/// provider that cannot re-key, or a context made on its own) each slot keeps two keyed ciphers and no raw keys.
/// </summary>
internal sealed class SecurityContextSlots : ISecurityContextLookup
{
    /// <summary>The room for one key: AES-256 (COSE algorithms 11 and 31, RFC 9053 §4.2).</summary>
    public const int KeyRoom = 32;

    /// <summary>RFC 8613 §3.3: IDs are at most nonce length − 6 = 7 bytes.</summary>
    public const int MaxIdLength = 7;

    /// <summary>The AEAD nonce length of every AES-CCM-16-* algorithm (RFC 8613 §5.2).</summary>
    public const int NonceLength = 13;

    // The bytes of one slot, at slot × stride:
    //   Common IV (13) | Sender ID (7) | Recipient ID (7) | ID Context (32) | AEAD algorithm (1) | Sender ID length (1) |
    //   Recipient ID length (1) | ID Context length + 1, 0 = absent (1) | flags (1) | the tail, which is either
    //   - Sender Key (32) | Recipient Key (32), in a table whose slots share one re-keyable cipher, or
    //   - the Echo value (8), in the one-slot store of a context made on its own (a table's slots are established
    //     with new keys, so their windows are never unknown and they never ask for Echo), or
    //   - nothing (a table whose slots keep keyed ciphers).
    public const int CommonIvAt = 0;
    public const int SenderIdAt = CommonIvAt + NonceLength;
    public const int RecipientIdAt = SenderIdAt + MaxIdLength;
    public const int IdContextAt = RecipientIdAt + MaxIdLength;
    public const int AlgorithmAt = IdContextAt + SecurityContext.MaxIdContextLength;
    public const int SenderIdLengthAt = AlgorithmAt + 1;
    public const int RecipientIdLengthAt = SenderIdLengthAt + 1;
    public const int IdContextLengthAt = RecipientIdLengthAt + 1;
    public const int FlagsAt = IdContextLengthAt + 1;
    public const int TailAt = FlagsAt + 1;
    public const int SenderKeyAt = TailAt;
    public const int RecipientKeyAt = SenderKeyAt + KeyRoom;
    public const int EchoAt = TailAt;

    // Flag bits at FlagsAt. A slot whose flags are zero has no keys (a disposed or never established context).
    public const int Keyed = 1;
    public const int FreshnessRequired = 2;
    public const int EchoIssued = 4;
    public const int ReservationFailed = 8;

    // The numbers of one slot, at slot × NumbersPerSlot: the Sender Sequence Number (RFC 8613 §3.1) and the highest
    // sequence number the replay window accepted (§7.4; -1 when none).
    public const int SenderSequenceNumberAt = 0;
    public const int HighestAt = 1;
    public const int NumbersPerSlot = 2;

    // Each slot's two keyed ciphers (no shared cipher), at slot × 2.
    public const int SenderCipherAt = 0;
    public const int RecipientCipherAt = 1;

    private readonly byte[] _bytes;
    private readonly int _stride;
    private readonly int[] _generation;
    private readonly long[] _numbers;
    private readonly uint[] _window;
    private readonly int _windowSize;
    private readonly IAeadCipher[] _ciphers;
    private readonly IRekeyableAead _sharedCipher;
    private readonly ICryptoProvider _provider;
    private readonly SecurityContext[] _contexts;

    // RFC 8613 Appendix B.1.1: only a store of one context (made by SecurityContext's public constructor) persists
    // its Sender Sequence Number.
    private readonly ISequenceNumberStore _sequenceNumberStore;
    private readonly int _reserveStep;
    private long _reservedUntil;

    /// <summary>
    /// A table's slots, every one without keys until <see cref="SecurityContext.Establish"/>. Their replay windows are
    /// known from the start (a slot gets new keys, and with them a new nonce space, each time it is established).
    /// </summary>
    /// <param name="capacity">Slots (at least 1).</param>
    /// <param name="provider">The crypto provider (keyed ciphers when there is no shared one).</param>
    /// <param name="sharedCipher">The engine's one re-keyable AES-CCM (L = 2), or null.</param>
    /// <param name="replayWindowSize">The replay window in bits.</param>
    public SecurityContextSlots(int capacity, ICryptoProvider provider, IRekeyableAead sharedCipher, int replayWindowSize)
        : this(capacity, provider, sharedCipher, replayWindowSize, false, null, SecurityContext.DefaultReserveStep)
    {
        for (int i = 0; i < capacity; i++)
        {
            _contexts[i] = new SecurityContext(this, i);
        }
    }

    /// <summary>The one slot of a context made on its own (<paramref name="context"/> is its handle).</summary>
    public SecurityContextSlots(SecurityContext context, ICryptoProvider provider, SecurityContextOptions options)
        : this(1, provider, null, options.ReplayWindowSize, true, options.SequenceNumberStore, options.ReserveStep)
    {
        _contexts[0] = context;
    }

    private SecurityContextSlots(
        int capacity, ICryptoProvider provider, IRekeyableAead sharedCipher, int replayWindowSize, bool echo, ISequenceNumberStore store, int reserveStep)
    {
        if (capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity));
        }

        _windowSize = ReplayWindow.CheckSize(replayWindowSize);
        _provider = provider;
        _sharedCipher = sharedCipher;
        if (echo && sharedCipher != null)
        {
            throw new ArgumentException("A store keeps raw keys or an Echo value in a slot's tail, not both.");
        }

        _stride = TailAt + (sharedCipher != null ? 2 * KeyRoom : 0) + (echo ? SecurityContext.EchoLength : 0);
        _bytes = new byte[capacity * _stride];
        _generation = new int[capacity];
        _numbers = new long[capacity * NumbersPerSlot];
        _window = new uint[capacity * (replayWindowSize >> 5)];
        _ciphers = sharedCipher == null ? new IAeadCipher[capacity * 2] : null;
        _contexts = new SecurityContext[capacity];
        _sequenceNumberStore = store;
        _reserveStep = reserveStep;
        for (int i = 0; i < capacity; i++)
        {
            _numbers[(i * NumbersPerSlot) + HighestAt] = -1;
        }
    }

    /// <summary>How many slots.</summary>
    public int Capacity
    {
        get { return _contexts.Length; }
    }

    /// <summary>The handle of slot <paramref name="slot"/>, the same object for the store's lifetime.</summary>
    public SecurityContext Context(int slot)
    {
        return _contexts[slot];
    }

    /// <summary>The array holding every slot's bytes; a slot's start is <see cref="Base"/>.</summary>
    public byte[] Bytes
    {
        get { return _bytes; }
    }

    /// <summary>Where slot <paramref name="slot"/>'s bytes start in <see cref="Bytes"/>.</summary>
    public int Base(int slot)
    {
        return slot * _stride;
    }

    /// <summary>Whether the slots have room for an Echo value (RFC 9175): only a context made on its own may start with an unknown window.</summary>
    public bool HasEchoRoom
    {
        get { return _sharedCipher == null && _stride > EchoAt; }
    }

    /// <summary>Bytes per slot in <see cref="Bytes"/>.</summary>
    public int Stride
    {
        get { return _stride; }
    }

    public ICryptoProvider Provider
    {
        get { return _provider; }
    }

    /// <summary>The engine's shared re-keyable cipher, or null when each slot keeps keyed ciphers.</summary>
    public IRekeyableAead SharedCipher
    {
        get { return _sharedCipher; }
    }

    public IAeadCipher Cipher(int slot, int which)
    {
        return _ciphers[(slot * 2) + which];
    }

    public void SetCipher(int slot, int which, IAeadCipher cipher)
    {
        _ciphers[(slot * 2) + which] = cipher;
    }

    public bool HasFlag(int slot, int flag)
    {
        return (_bytes[Base(slot) + FlagsAt] & flag) != 0;
    }

    public void SetFlag(int slot, int flag, bool on)
    {
        int at = Base(slot) + FlagsAt;
        _bytes[at] = (byte)(on ? _bytes[at] | flag : _bytes[at] & ~flag);
    }

    /// <summary>The value of a byte-wide field (<see cref="AlgorithmAt"/>, the ID lengths).</summary>
    public int Byte(int slot, int at)
    {
        return _bytes[Base(slot) + at];
    }

    public void SetByte(int slot, int at, int value)
    {
        _bytes[Base(slot) + at] = (byte)value;
    }

    public int Generation(int slot)
    {
        return _generation[slot];
    }

    public void NextGeneration(int slot)
    {
        _generation[slot]++;
    }

    public long SenderSequenceNumber(int slot)
    {
        return _numbers[(slot * NumbersPerSlot) + SenderSequenceNumberAt];
    }

    public void SetSenderSequenceNumber(int slot, long value)
    {
        _numbers[(slot * NumbersPerSlot) + SenderSequenceNumberAt] = value;
    }

    public int WindowSize
    {
        get { return _windowSize; }
    }

    /// <summary>RFC 8613 §7.4, on slot <paramref name="slot"/>'s window.</summary>
    public bool IsFresh(int slot, long sequenceNumber)
    {
        return ReplayWindow.IsFresh(_window, WindowAt(slot), _windowSize, _numbers[(slot * NumbersPerSlot) + HighestAt], sequenceNumber);
    }

    public bool UpdateWindow(int slot, long sequenceNumber)
    {
        return ReplayWindow.Update(_window, WindowAt(slot), _windowSize, _numbers, (slot * NumbersPerSlot) + HighestAt, sequenceNumber);
    }

    public void InitializeWindow(int slot, long sequenceNumber)
    {
        ReplayWindow.Initialize(_window, WindowAt(slot), _windowSize, _numbers, (slot * NumbersPerSlot) + HighestAt, sequenceNumber);
    }

    public void ResetWindow(int slot)
    {
        ReplayWindow.Reset(_window, WindowAt(slot), _windowSize, _numbers, (slot * NumbersPerSlot) + HighestAt);
    }

    /// <summary>A view of the slot's window (a new object: for callers off the request path).</summary>
    public ReplayWindow WindowView(int slot)
    {
        return new ReplayWindow(_window, WindowAt(slot), _windowSize, _numbers, (slot * NumbersPerSlot) + HighestAt);
    }

    public ISequenceNumberStore SequenceNumberStore
    {
        get { return _sequenceNumberStore; }
    }

    public int ReserveStep
    {
        get { return _reserveStep; }
    }

    /// <summary>The Sender Sequence Number up to which the store holds a reservation (RFC 8613 Appendix B.1.1).</summary>
    public long ReservedUntil
    {
        get { return _reservedUntil; }
        set { _reservedUntil = value; }
    }

    /// <summary>
    /// Erases slot <paramref name="slot"/>'s bytes (keys, Common IV, IDs, Echo), its window and its numbers; the slot
    /// has no keys afterwards. Its keyed ciphers, if any, the caller disposed first.
    /// </summary>
    public void Erase(int slot)
    {
        Array.Clear(_bytes, Base(slot), _stride);
        ResetWindow(slot);
        SetSenderSequenceNumber(slot, 0);
    }

    /// <summary>
    /// RFC 8613 §8.2 step 2: the keyed slot whose Recipient ID and ID Context equal the request's 'kid' and 'kid
    /// context' (without a kid context, the first with that Recipient ID). The owner of the slots keeps their use order.
    /// </summary>
    public SecurityContext Find(byte[] kid, int kidOffset, int kidLength, byte[] kidContext, int kidContextOffset, int kidContextLength)
    {
        for (int i = 0; i < _contexts.Length; i++)
        {
            SecurityContext c = _contexts[i];
            if (c.Matches(kid, kidOffset, kidLength, kidContext, kidContextOffset, kidContextLength))
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>Nothing: the owner of a table's slots orders them itself (it knows when a request verified).</summary>
    public void Touch(SecurityContext context)
    {
    }

    private int WindowAt(int slot)
    {
        return slot * (_windowSize >> 5);
    }
}
