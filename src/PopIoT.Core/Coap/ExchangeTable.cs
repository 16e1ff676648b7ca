namespace PopIoT.Core.Coap;

/// <summary>
/// The open exchanges of one endpoint (RFC 7252 §4.2, §5.3): our requests from queued to answered (or observing), and
/// CON responses of ours awaiting an ACK. Fixed slots allocated at construction, each holding its serialized message
/// for retransmission; <see cref="MessageLayer"/> drives the states, this table only stores and finds. A handle is
/// generation × capacity + slot, so a stale handle never names a reused slot.
/// </summary>
internal sealed class ExchangeTable
{
    internal const byte Free = 0;
    internal const byte Queued = 1;
    internal const byte AwaitAck = 2;
    internal const byte AwaitResponse = 3;
    internal const byte Observing = 4;

    private readonly int[] _mid;
    private readonly int[] _generation;
    private readonly byte[] _token;
    private readonly int[] _tokenLength;
    private readonly long[] _queueOrder;
    private long _queueCounter;

    internal ExchangeTable(int capacity, int maxMessageSize)
    {
        State = new byte[capacity];
        IsRequest = new bool[capacity];
        Confirmable = new bool[capacity];
        Observe = new bool[capacity];
        Peer = new int[capacity];
        _mid = new int[capacity];
        _generation = new int[capacity];
        _token = new byte[capacity * CoapMessage.MaxTokenLength];
        _tokenLength = new int[capacity];
        Bytes = new byte[capacity][];
        for (int i = 0; i < capacity; i++)
        {
            Bytes[i] = new byte[maxMessageSize];
        }

        Length = new int[capacity];
        Retransmits = new int[capacity];
        Timeout = new long[capacity];
        Deadline = new long[capacity];
        _queueOrder = new long[capacity];
    }

    internal byte[] State { get; }

    internal bool[] IsRequest { get; }

    internal bool[] Confirmable { get; }

    // A registering GET or FETCH (RFC 7641 §2): a 2.xx answer with Observe keeps the slot open for notifications.
    internal bool[] Observe { get; }

    internal int[] Peer { get; }

    internal byte[][] Bytes { get; }

    internal int[] Length { get; }

    internal int[] Retransmits { get; }

    internal long[] Timeout { get; }

    internal long[] Deadline { get; }

    /// <summary>The earliest deadline of a slot awaiting an ACK or a response, or <paramref name="none"/>.</summary>
    internal long NextDeadline(long none)
    {
        long t = none;
        for (int i = 0; i < State.Length; i++)
        {
            if ((State[i] == AwaitAck || State[i] == AwaitResponse) && Deadline[i] < t)
            {
                t = Deadline[i];
            }
        }

        return t;
    }

    internal int FindFree()
    {
        for (int i = 0; i < State.Length; i++)
        {
            if (State[i] == Free)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Serializes <paramref name="message"/> into <paramref name="slot"/> and marks it Queued; false if it does not fit.</summary>
    internal bool Store(int slot, int peer, CoapMessage message, bool isRequest)
    {
        int n = message.Serialize(Bytes[slot], 0, Bytes[slot].Length);
        if (n < 0)
        {
            return false;
        }

        Length[slot] = n;
        Peer[slot] = peer;
        _mid[slot] = message.MessageId;
        IsRequest[slot] = isRequest;
        Confirmable[slot] = message.Type == CoapMessageType.Confirmable;
        Observe[slot] = false;
        _tokenLength[slot] = message.GetToken(_token, slot * CoapMessage.MaxTokenLength);
        // Kept below int.MaxValue / capacity so that a handle never overflows.
        _generation[slot] = (_generation[slot] + 1) % (int.MaxValue / State.Length);
        State[slot] = Queued;
        return true;
    }

    // RFC 7252 §4.7: a request held back by NSTART keeps its place in line.
    internal void Enqueue(int slot)
    {
        State[slot] = Queued;
        _queueOrder[slot] = _queueCounter++;
    }

    internal int Handle(int slot) => (_generation[slot] * State.Length) + slot;

    internal int SlotOf(int handle)
    {
        if (handle < 0)
        {
            return -1;
        }

        int slot = handle % State.Length;
        return State[slot] == Free || Handle(slot) != handle ? -1 : slot;
    }

    internal bool Holds(int peer)
    {
        for (int i = 0; i < State.Length; i++)
        {
            if (State[i] != Free && Peer[i] == peer)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Our requests to <paramref name="peer"/> in flight (RFC 7252 §4.7, NSTART).</summary>
    internal int Outstanding(int peer)
    {
        int n = 0;
        for (int i = 0; i < State.Length; i++)
        {
            if (IsRequest[i] && Peer[i] == peer && (State[i] == AwaitAck || State[i] == AwaitResponse))
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>The request queued longest for <paramref name="peer"/>, or -1.</summary>
    internal int OldestQueued(int peer)
    {
        int best = -1;
        for (int i = 0; i < State.Length; i++)
        {
            if (State[i] == Queued && Peer[i] == peer && (best < 0 || _queueOrder[i] < _queueOrder[best]))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>
    /// The request to <paramref name="peer"/> whose token <paramref name="message"/> carries (RFC 7252 §5.3.2): among
    /// those sent when <paramref name="queued"/> is false, among those still queued when true; or -1.
    /// </summary>
    internal int FindToken(int peer, CoapMessage message, bool queued)
    {
        for (int i = 0; i < State.Length; i++)
        {
            byte s = State[i];
            if (IsRequest[i] && Peer[i] == peer && (queued ? s == Queued : s != Free && s != Queued) && TokenMatches(i, message))
            {
                return i;
            }
        }

        return -1;
    }

    internal bool TokenMatches(int slot, CoapMessage message) => message.TokenEquals(_token, slot * CoapMessage.MaxTokenLength, _tokenLength[slot]);

    /// <summary>The slot that sent Message ID <paramref name="messageId"/> to <paramref name="peer"/> and awaits its ACK (or, unless <paramref name="ackOnly"/>, its response); or -1.</summary>
    internal int FindByMessageId(int peer, int messageId, bool ackOnly)
    {
        for (int i = 0; i < State.Length; i++)
        {
            byte s = State[i];
            if (Peer[i] == peer && _mid[i] == messageId && (s == AwaitAck || (!ackOnly && s == AwaitResponse)))
            {
                return i;
            }
        }

        return -1;
    }

    // Every slot's token, slot i at i × MaxTokenLength (what a failure report hands the listener).
    internal byte[] Tokens => _token;

    internal int TokenLength(int slot) => _tokenLength[slot];
}
