using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Core.Coap;

/// <summary>
/// The CoAP message layer of one endpoint (RFC 7252 §4) as a sans-IO state machine (DESIGN.md §3): the host passes
/// in datagrams with a peer index and the current monotonic time, takes datagrams out with
/// <see cref="TryTakeOutgoing"/>, and calls <see cref="Poll"/> at <see cref="NextDeadline"/>. It does CON/ACK/RST,
/// retransmission with exponential back-off (§4.2, §4.8), duplicate detection (§4.5), piggybacked and separate
/// responses (§5.2), token matching (§5.3.2), NSTART (§4.7) and rejection of bad messages (§4.2, §4.3).
/// Every table is allocated by the constructor from <see cref="CoapSettings"/>; receiving and sending allocate nothing.
/// Not thread-safe: the host calls it from one thread (or under one lock). What a received message does is in
/// MessageLayer.Receive.cs; the open exchanges are an <see cref="ExchangeTable"/>.
/// </summary>
public sealed partial class MessageLayer
{
    /// <summary>The value of <see cref="NextDeadline"/> when nothing is scheduled.</summary>
    public const long NoDeadline = long.MaxValue;

    private readonly CoapSettings _settings;
    private readonly IRandomSource _random;
    private readonly ICoapRequestHandler _handler;
    private readonly ICoapExchangeListener _listener;
    private readonly CoapMessage _rx;
    private readonly CoapMessage _tx;
    private readonly Outbox _outbox;
    private readonly DeduplicationCache _dedup;
    private readonly byte[] _scratch;
    private readonly byte[] _randomBytes = new byte[8];
    private readonly byte[] _header = new byte[4];
    private readonly byte[] _maxAge = new byte[4];

    // RFC 7252 §4.2, §5.3: our requests, and CON messages of ours awaiting an ACK.
    private readonly ExchangeTable _ex;

    // RFC 7641 §3.6: recently sent NON messages, so a Reset can be matched to them.
    private readonly NonRecords _non;

    private int _nextMid;

    /// <summary>Creates the layer and allocates every table.</summary>
    /// <param name="settings">Parameters and table sizes (read once).</param>
    /// <param name="random">Source of Message ID start, tokens and retransmission jitter.</param>
    /// <param name="handler">The server application, or null to answer every request with 4.04 Not Found.</param>
    /// <param name="listener">The client application, or null when this endpoint only serves.</param>
    public MessageLayer(CoapSettings settings, IRandomSource random, ICoapRequestHandler handler, ICoapExchangeListener listener)
    {
        if (settings == null)
        {
            throw new ArgumentNullException(nameof(settings));
        }

        if (random == null)
        {
            throw new ArgumentNullException(nameof(random));
        }

        settings.Validate();
        _settings = settings;
        _random = random;
        _handler = handler;
        _listener = listener;
        int size = settings.MaxMessageSize;
        _rx = new CoapMessage(settings.OptionCapacity, 0);
        _tx = new CoapMessage(settings.OptionCapacity, CoapMessage.DefaultValueStoreSize);
        _outbox = new Outbox(settings.OutboxCapacity, size);
        _dedup = new DeduplicationCache(settings.DeduplicationCapacity, settings.DeduplicationPerPeerLimit, settings.DeduplicationPoolLimit);
        _scratch = new byte[size];

        _ex = new ExchangeTable(settings.MaxExchanges, size);
        _non = new NonRecords(settings.NonRecordCapacity);

        // RFC 7252 §4.4: start Message IDs at a random value to make off-path attacks harder.
        _random.GetBytes(_randomBytes, 0, 2);
        _nextMid = (_randomBytes[0] << 8) | _randomBytes[1];
    }

    /// <summary>The settings this layer was built with (do not change them).</summary>
    public CoapSettings Settings => _settings;

    /// <summary>How many datagrams wait in the outbox.</summary>
    public int OutgoingCount => _outbox.Count;

    /// <summary>Datagrams dropped because the outbox was full.</summary>
    public int DroppedOutgoing => _outbox.Dropped;

    /// <summary>Duplicates detected and answered from the cache or ignored (RFC 7252 §4.5).</summary>
    public int DuplicatesDetected { get; private set; }

    /// <summary>Datagrams rejected as message format errors (RFC 7252 §4.2, §4.3).</summary>
    public int RejectedDatagrams { get; private set; }

    /// <summary>
    /// Requests refused with 5.03 because the duplicate cache had no room; only with
    /// <see cref="CoapSettings.EvictOldestWhenFull"/> false (never with the defaults).
    /// </summary>
    public int CacheFullRefusals { get; private set; }

    /// <summary>Live duplicate-cache entries replaced to make room: a peer over its share, or a full cache (RFC 7252 §4.5).</summary>
    public int DeduplicationEvictions => _dedup.Evictions;

    /// <summary>The earliest time at which <see cref="Poll"/> has work, or <see cref="NoDeadline"/>.</summary>
    public long NextDeadline => _ex.NextDeadline(NoDeadline);

    /// <summary>
    /// Processes one received datagram. Never throws for any datagram content (only for a range outside the buffer); the reaction is queued in the outbox
    /// (a reply, an ACK, a cached reply for a duplicate, or a Reset) and the handler or listener is called as needed.
    /// </summary>
    /// <param name="datagram">The buffer holding the datagram (only read during this call).</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">The datagram length.</param>
    /// <param name="peer">The host's index for the sender (0 or more).</param>
    /// <param name="now">The current monotonic time in milliseconds.</param>
    public void Receive(byte[] datagram, int offset, int count, int peer, long now)
    {
        if (datagram == null || offset < 0 || count < 0 || count > datagram.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "The datagram range is outside the buffer.");
        }

        CoapParseError error = _rx.Parse(datagram, offset, count);
        if (error != CoapParseError.None)
        {
            RejectedDatagrams++;
            // RFC 7252 §4.2: a CON that cannot be processed is rejected with a Reset; §4.3: a NON, ACK or RST is
            // silently ignored. §3: an unknown version is ignored whatever its type.
            if (error != CoapParseError.TooShort && error != CoapParseError.UnknownVersion && _rx.Type == CoapMessageType.Confirmable)
            {
                SendEmpty(peer, CoapMessageType.Reset, _rx.MessageId);
            }

            return;
        }

        switch (_rx.Type)
        {
            case CoapMessageType.Acknowledgement:
                OnAcknowledgement(peer, now);
                break;
            case CoapMessageType.Reset:
                OnReset(peer, now);
                break;
            default:
                OnConfirmableOrNon(peer, now);
                break;
        }
    }

    /// <summary>
    /// Sends a request (RFC 7252 §5.2) as CON or NON per its <see cref="CoapMessage.Type"/>. Assigns a Message ID
    /// and, if the request has no token and <see cref="CoapSettings.TokenLength"/> is not 0, a random token unique among
    /// this peer's open exchanges (RFC 7252 §5.3.1); both are written back into <paramref name="request"/>. The request
    /// is serialized now, so the caller may reuse it after the call. The response or failure arrives at the listener.
    /// </summary>
    /// <param name="peer">The destination.</param>
    /// <param name="request">The request.</param>
    /// <param name="now">The current time in milliseconds.</param>
    /// <param name="exchange">The exchange handle, or -1 when nothing was sent or queued.</param>
    /// <returns>Sent, Queued (NSTART reached) or why not.</returns>
    public CoapSendStatus SendRequest(int peer, CoapMessage request, long now, out int exchange)
    {
        exchange = -1;
        if (request == null || !CoapCode.IsRequest(request.Code)
            || (request.Type != CoapMessageType.Confirmable && request.Type != CoapMessageType.NonConfirmable))
        {
            return CoapSendStatus.Invalid;
        }

        int slot = _ex.FindFree();
        if (slot < 0)
        {
            return CoapSendStatus.NoExchangeSlot;
        }

        if (request.TokenLength == 0 && _settings.TokenLength > 0 && !NewToken(peer, request))
        {
            return CoapSendStatus.NoUniqueToken;
        }

        request.MessageId = NextMessageId();
        if (!_ex.Store(slot, peer, request, true))
        {
            return CoapSendStatus.TooLarge;
        }

        uint observe;
        // RFC 7641 §2 (GET) and RFC 8132 §2.4 (FETCH): an OSCORE-protected registration goes out as FETCH (RFC 8613 §4.1.3.5).
        _ex.Observe[slot] = (request.Code == CoapCode.Get || request.Code == CoapCode.Fetch) && request.TryGetUint(CoapOptionNumber.Observe, out observe) && observe == 0;
        exchange = _ex.Handle(slot);
        // RFC 7252 §4.7: at most NSTART outstanding interactions per peer; later requests wait their turn.
        if (_ex.Outstanding(peer) >= _settings.NStart)
        {
            _ex.Enqueue(slot);
            return CoapSendStatus.Queued;
        }

        Transmit(slot, now);
        return CoapSendStatus.Sent;
    }

    /// <summary>
    /// Sends a response or notification that is not piggybacked: a separate response (RFC 7252 §5.2.2) or an
    /// Observe notification (RFC 7641 §4.2). The caller sets type (CON or NON), code, token and options; the layer
    /// assigns the Message ID. A CON message is retransmitted until acknowledged; a Reset or a give-up reaches the
    /// listener's OnFailed with the token, so an observation can be removed (RFC 7641 §3.6, §4.5).
    /// </summary>
    /// <param name="peer">The destination.</param>
    /// <param name="message">The response.</param>
    /// <param name="now">The current time in milliseconds.</param>
    /// <param name="exchange">For CON, the handle of the retransmission slot; otherwise -1.</param>
    /// <returns>Sent or why not.</returns>
    public CoapSendStatus Send(int peer, CoapMessage message, long now, out int exchange)
    {
        exchange = -1;
        if (message == null || !CoapCode.IsResponse(message.Code)
            || (message.Type != CoapMessageType.Confirmable && message.Type != CoapMessageType.NonConfirmable))
        {
            return CoapSendStatus.Invalid;
        }

        message.MessageId = NextMessageId();
        if (message.Type == CoapMessageType.NonConfirmable)
        {
            int n = message.Serialize(_scratch, 0, _scratch.Length);
            if (n < 0)
            {
                return CoapSendStatus.TooLarge;
            }

            _non.Record(peer, message, now + _settings.NonLifetimeMs);
            _outbox.Enqueue(peer, _scratch, 0, n);
            return CoapSendStatus.Sent;
        }

        int slot = _ex.FindFree();
        if (slot < 0)
        {
            return CoapSendStatus.NoExchangeSlot;
        }

        if (!_ex.Store(slot, peer, message, false))
        {
            return CoapSendStatus.TooLarge;
        }

        exchange = _ex.Handle(slot);
        Transmit(slot, now);
        return CoapSendStatus.Sent;
    }

    /// <summary>
    /// Forgets an exchange (e.g. ends an observation, RFC 7641 §3.6: later notifications are then answered with Reset).
    /// No callback follows. Returns false for an unknown or finished handle.
    /// </summary>
    /// <param name="exchange">The handle.</param>
    /// <param name="now">The current time, to start the next queued request.</param>
    /// <returns>Whether an exchange was cancelled.</returns>
    public bool Cancel(int exchange, long now)
    {
        int slot = _ex.SlotOf(exchange);
        if (slot < 0)
        {
            return false;
        }

        int peer = _ex.Peer[slot];
        _ex.State[slot] = ExchangeTable.Free;
        StartQueued(peer, now);
        return true;
    }

    /// <summary>Whether <paramref name="exchange"/> is still open (queued, in flight, awaiting a response or observing).</summary>
    /// <param name="exchange">The handle.</param>
    /// <returns>True while open.</returns>
    public bool IsOpen(int exchange) => _ex.SlotOf(exchange) >= 0;

    /// <summary>Whether any exchange with <paramref name="peer"/> is open (queued, in flight, observing), so the host must keep its address.</summary>
    /// <param name="peer">The peer index.</param>
    /// <returns>True while one is open.</returns>
    public bool HasOpenExchange(int peer) => _ex.Holds(peer);

    /// <summary>
    /// Fires what is due at <paramref name="now"/>: retransmissions with doubled timeouts, and give-ups after
    /// MAX_RETRANSMIT or the response timeout (RFC 7252 §4.2), which reach the listener as <see cref="CoapExchangeFailure.Timeout"/>.
    /// </summary>
    /// <param name="now">The current time in milliseconds.</param>
    public void Poll(long now)
    {
        for (int i = 0; i < _ex.State.Length; i++)
        {
            byte s = _ex.State[i];
            if (s == ExchangeTable.AwaitAck && _ex.Deadline[i] <= now)
            {
                if (_ex.Retransmits[i] < _settings.MaxRetransmit)
                {
                    // RFC 7252 §4.2: retransmit, double the timeout, count.
                    _ex.Retransmits[i]++;
                    _ex.Timeout[i] *= 2;
                    _ex.Deadline[i] += _ex.Timeout[i];
                    _outbox.Enqueue(_ex.Peer[i], _ex.Bytes[i], 0, _ex.Length[i]);
                }
                else
                {
                    Fail(i, CoapExchangeFailure.Timeout, now);
                }
            }
            else if (s == ExchangeTable.AwaitResponse && _ex.Deadline[i] <= now)
            {
                Fail(i, CoapExchangeFailure.Timeout, now);
            }
        }
    }

    /// <summary>Takes the next datagram to send.</summary>
    /// <param name="destination">Where to copy it (room for <see cref="CoapSettings.MaxMessageSize"/> bytes is always enough).</param>
    /// <param name="offset">Where to start.</param>
    /// <param name="length">The datagram length.</param>
    /// <param name="peer">The destination peer.</param>
    /// <returns>False when the outbox is empty.</returns>
    public bool TryTakeOutgoing(byte[] destination, int offset, out int length, out int peer) => _outbox.TryTake(destination, offset, out length, out peer);

    /// <summary>Live entries of the duplicate cache at <paramref name="now"/> (for tests and diagnostics).</summary>
    /// <param name="now">The current time.</param>
    /// <returns>The count.</returns>
    public int DeduplicationEntries(long now) => _dedup.LiveCount(now);

    private void Transmit(int slot, long now)
    {
        _outbox.Enqueue(_ex.Peer[slot], _ex.Bytes[slot], 0, _ex.Length[slot]);
        if (_ex.Confirmable[slot])
        {
            // RFC 7252 §4.2: the first timeout is random between ACK_TIMEOUT and ACK_TIMEOUT * ACK_RANDOM_FACTOR.
            long span = (long)_settings.AckTimeoutMs * (_settings.AckRandomFactorPermille - 1000) / 1000;
            _random.GetBytes(_randomBytes, 0, 4);
            uint r = ((uint)_randomBytes[0] << 24) | ((uint)_randomBytes[1] << 16) | ((uint)_randomBytes[2] << 8) | _randomBytes[3];
            _ex.Timeout[slot] = _settings.AckTimeoutMs + (long)(r % (ulong)(span + 1));
            _ex.Retransmits[slot] = 0;
            _ex.Deadline[slot] = now + _ex.Timeout[slot];
            _ex.State[slot] = ExchangeTable.AwaitAck;
        }
        else
        {
            _ex.State[slot] = ExchangeTable.AwaitResponse;
            _ex.Deadline[slot] = now + _settings.ResponseTimeoutMs;
        }
    }

    // RFC 7252 §4.7: when an interaction with a peer ends, the oldest request queued for it goes out.
    private void StartQueued(int peer, long now)
    {
        int next;
        while (_ex.Outstanding(peer) < _settings.NStart && (next = _ex.OldestQueued(peer)) >= 0)
        {
            Transmit(next, now);
        }
    }

    // RFC 7252 §5.3.1: tokens must tell this peer's open requests apart. With a working random source a clash is
    // rare; a source that keeps repeating itself gets a bounded number of tries, not an endless loop.
    private bool NewToken(int peer, CoapMessage request)
    {
        int length = _settings.TokenLength;
        for (int attempt = 0; attempt < 8; attempt++)
        {
            _random.GetBytes(_randomBytes, 0, length);
            request.SetToken(_randomBytes, 0, length);
            if (_ex.FindToken(peer, request, false) < 0 && _ex.FindToken(peer, request, true) < 0)
            {
                return true;
            }
        }

        request.SetToken(null, 0, 0);
        return false;
    }

    private int NextMessageId()
    {
        int mid = _nextMid;
        _nextMid = (_nextMid + 1) & 0xFFFF;
        return mid;
    }

    private void SendEmpty(int peer, CoapMessageType type, int messageId)
    {
        WriteEmpty(_header, type, messageId);
        _outbox.Enqueue(peer, _header, 0, 4);
    }

    private static int WriteEmpty(byte[] buffer, CoapMessageType type, int messageId)
    {
        buffer[0] = (byte)(0x40 | ((int)type << 4));
        buffer[1] = 0;
        buffer[2] = (byte)(messageId >> 8);
        buffer[3] = (byte)messageId;
        return 4;
    }
}
