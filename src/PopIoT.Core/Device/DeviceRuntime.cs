using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;

namespace PopIoT.Core.Device;

/// <summary>
/// The device's one single-threaded loop (docs/firmware.md, "The device runtime"), the same on a board and in the
/// simulator: a board's Main builds it over its <see cref="DeviceHost"/>, calls <see cref="Start"/> and then
/// <see cref="Run"/>. It owns:
/// <list type="bullet">
/// <item>the CoAP message layer (RFC 7252 §4: CON/ACK/RST, retransmission, deduplication) and a bounded peer table
/// (<see cref="DevicePeerTable"/>) mapping client addresses to the peer numbers the layers use;</item>
/// <item>the security layer: the ACE resource server (<see cref="AceResourceServer"/>, RFC 9200 and the OSCORE profile
/// RFC 9203), which verifies each request and routes it through its one routing table;</item>
/// <item>the resources with their access rules (<see cref="DeviceResources"/>), Block1/Block2 (RFC 7959) and Observe
/// (RFC 7641), each notification checked against its token (RFC 9200 §5.10.2–§5.10.3);</item>
/// <item>the timers: retransmission, the clock tick (token expiry, the wall time, the temperature) and the
/// notifications; and the state that survives a reboot, through <see cref="IDeviceStorage"/>.</item>
/// </list>
/// Every buffer is allocated by the constructor from <see cref="DeviceRuntimeSettings"/>; a request allocates nothing.
/// No threads: <see cref="RunOnce"/> waits on the socket only until the next timer is due. Not thread-safe: a host that
/// calls in from several threads (the simulator) holds one lock around every call.
/// </summary>
public sealed partial class DeviceRuntime : ICoapExchangeListener, IDisposable
{
    private const int NotificationOptions = 8;
    private const int NotificationValueBytes = 64;

    private readonly DeviceRuntimeSettings _settings;
    private readonly DeviceHost _host;
    private readonly MessageLayer _layer;
    private readonly DevicePeerTable _peers;
    private readonly ObserveRegistry _observers;
    private readonly DeviceResources _resources;
    // One datagram buffer for both directions: the layer copies what it keeps, so the buffer is free once Receive returns.
    private readonly byte[] _datagram;
    private readonly DatagramAddress _from = new DatagramAddress();
    private readonly DatagramAddress _to = new DatagramAddress();
    private readonly CoapMessage _note;
    private AceResourceServer _engine;
    private long _nextTickMs = long.MaxValue;
    private long _engineSeconds;
    // Started, and said once that the wall time is unknown: two flags of the loop's thread in one field (a field is a
    // heap block on nanoFramework); _stopping stays apart, as another thread sets it.
    private const int StartedFlag = 1;
    private const int SaidNoWallTimeFlag = 2;
    private int _flags;
    private bool _stopping;

    /// <summary>Creates the runtime and allocates every table and buffer; nothing is received before <see cref="Start"/>.</summary>
    /// <param name="settings">The sizes and timers (read now; later changes have no effect).</param>
    /// <param name="host">The socket, clock, storage (optional), crypto, log (optional) and peripherals.</param>
    /// <exception cref="ArgumentException">A setting is out of range (the message names it) or a required host part is missing.</exception>
    public DeviceRuntime(DeviceRuntimeSettings settings, DeviceHost host)
    {
        if (settings == null || host == null)
        {
            throw new ArgumentException("settings and host are required.");
        }

        settings.Validate();
        if (host.Socket == null || host.Clock == null || host.Crypto == null || host.Peripherals == null)
        {
            throw new ArgumentException("DeviceHost needs Socket, Clock, Crypto and Peripherals (Storage and Log are optional).");
        }

        _settings = settings;
        _host = host;
        int size = settings.Coap.MaxMessageSize;
        _datagram = new byte[size];

        // A notification carries few options (Observe, Content-Format, OSCORE, Max-Age): a small message object.
        _note = new CoapMessage(NotificationOptions, NotificationValueBytes);
        _peers = new DevicePeerTable(settings.MaxPeers);
        _observers = new ObserveRegistry(settings.MaxObservers);
        _resources = new DeviceResources(host.Peripherals, host.Clock, _observers, settings);
        _engine = BuildEngine(settings.Ace);

        // The security layer sits between the message layer and the resources: the engine verifies OSCORE (RFC 8613
        // §8.2) and attaches each request's RequestSecurity. The DTLS profile (RFC 9202) plugs in below the message
        // layer instead, in Deliver and Flush, where records are opened and sealed per peer; its handshake hands the
        // psk_identity to the same TokenIntake.
        _layer = new MessageLayer(settings.Coap, host.Crypto.Random, new DeviceSecurityLayer(this), this);
        BuildDtls();
    }

    /// <summary>
    /// The ACE engine, for hosts that configure keys directly (before <see cref="Start"/>) or read its state. A
    /// configuration record naming another audience or AS URI replaces it at <see cref="Start"/>.
    /// </summary>
    public AceResourceServer Engine
    {
        get { return _engine; }
    }

    /// <summary>The device's resources (the last /config body, the requests served).</summary>
    public DeviceResources Resources
    {
        get { return _resources; }
    }

    /// <summary>The client addresses held, and the evictions and drops so far.</summary>
    public DevicePeerTable Peers
    {
        get { return _peers; }
    }

    /// <summary>The message layer (its counters: duplicates, rejected datagrams).</summary>
    public MessageLayer MessageLayer
    {
        get { return _layer; }
    }

    /// <summary>The size of the datagram buffers (<see cref="CoapSettings.MaxMessageSize"/>); a longer datagram is dropped.</summary>
    public int DatagramBufferSize
    {
        get { return _datagram.Length; }
    }

    /// <summary>Observations registered now.</summary>
    public int ObserverCount
    {
        get { return _observers.Count; }
    }

    /// <summary>Whether <see cref="Start"/> succeeded and <see cref="Stop"/> was not called.</summary>
    public bool IsRunning
    {
        get { return (_flags & StartedFlag) != 0 && !_stopping; }
    }

    /// <summary>
    /// The monotonic time at which the next timer is due (retransmission or clock tick), for a host that delivers
    /// datagrams itself and wakes the runtime (the simulator); <see cref="MessageLayer.NoDeadline"/> when stopped.
    /// </summary>
    public long NextDueMs
    {
        get
        {
            if (!IsRunning)
            {
                return MessageLayer.NoDeadline;
            }

            long layer = _layer.NextDeadline;
            long due = layer < _nextTickMs ? layer : _nextTickMs;
            return _dtlsLayer != null && _dtlsLayer.Engine.NextDeadline < due ? _dtlsLayer.Engine.NextDeadline : due;
        }
    }

    /// <summary>
    /// Reads the state that survives a reboot (docs/device.md): the configuration record
    /// (<see cref="DeviceRecords.Configuration"/>: audience, AS URI, token protection and keys) when present, and the
    /// highest exi number burnt (<see cref="DeviceRecords.ExiSequence"/>, RFC 9200 §5.10.3); then learns the wall time
    /// if the clock has it. Logs what it found.
    /// </summary>
    /// <returns>False when the device cannot serve: the configuration record is unreadable or invalid, or no key verifies tokens.</returns>
    /// <exception cref="InvalidOperationException">Called twice.</exception>
    public bool Start()
    {
        if ((_flags & StartedFlag) != 0 || _stopping)
        {
            throw new InvalidOperationException("Start is called once.");
        }

        bool ok = DeviceStartup.Configure(this);
        if (!_engine.HasTokenKey)
        {
            Log(DeviceLogLevel.Error, "no AS-RS token key: no token can be verified; provision the configuration record");
            ok = false;
        }

        if (!ok)
        {
            return false;
        }

        _flags |= StartedFlag;
        Tick(_host.Clock.MonotonicMilliseconds);
        Log(DeviceLogLevel.Information, "serving " + _settings.Ace.Slots.ToString() + " token slots");
        return true;
    }

    /// <summary>
    /// One turn of the loop: waits for a datagram at most until the next timer is due, handles it, then every timer that
    /// is due, and sends what the layers queued.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not started.</exception>
    public void RunOnce()
    {
        if ((_flags & StartedFlag) == 0)
        {
            throw new InvalidOperationException("Start the runtime first.");
        }

        long now = _host.Clock.MonotonicMilliseconds;
        long due = NextDueMs;
        long wait = due <= now ? 0 : due - now;
        int n = _host.Socket.Receive(_datagram, 0, _datagram.Length, wait > int.MaxValue ? int.MaxValue : (int)wait, _from);
        now = _host.Clock.MonotonicMilliseconds;
        if (n >= 0)
        {
            Deliver(n, now);
        }

        RunTimers(now);
        Flush();
    }

    /// <summary>Runs <see cref="RunOnce"/> until <see cref="Stop"/> is called (from a handler, a peripheral callback or the host).</summary>
    public void Run()
    {
        while (IsRunning)
        {
            RunOnce();
        }
    }

    /// <summary>
    /// Ends <see cref="Run"/> after the current turn (at most a clock tick later, the longest the socket waits); the
    /// runtime does not serve again. The one member a host may call from another thread (the loop reads the flag after
    /// every wait on the socket).
    /// </summary>
    public void Stop()
    {
        _stopping = true;
    }

    /// <summary>
    /// Runs the clock tick now, whether or not it is due: learns the wall time, ends the observations whose tokens no
    /// longer authorise them and drops expired tokens (RFC 9200 §5.10.3), and notifies /temp observers of a new reading.
    /// </summary>
    public void Tick()
    {
        if ((_flags & StartedFlag) != 0)
        {
            Tick(_host.Clock.MonotonicMilliseconds);
            Flush();
        }
    }

    /// <summary>Stops serving and erases every key (the engine's slots and contexts, DESIGN.md §5).</summary>
    public void Dispose()
    {
        _stopping = true;
        _engine.Dispose();
        if (_dtlsLayer != null)
        {
            _dtlsLayer.Engine.Dispose();
        }
    }

    /// <inheritdoc/>
    void ICoapExchangeListener.OnResponse(int exchange, int peer, CoapMessage response)
    {
        // The device sends no requests of its own; a response matches nothing.
    }

    /// <inheritdoc/>
    void ICoapExchangeListener.OnFailed(int exchange, int peer, byte[] token, int tokenOffset, int tokenLength, CoapExchangeFailure reason)
    {
        // RFC 7641 §3.6, §4.5: a Reset or an unacknowledged CON notification removes the observer.
        _observers.Remove(peer, token, tokenOffset, tokenLength);
    }

    internal DeviceRuntimeSettings Settings
    {
        get { return _settings; }
    }

    internal DeviceHost Host
    {
        get { return _host; }
    }

    // A configuration record naming another audience or AS URI: the engine is rebuilt for it before serving.
    internal void ReplaceEngine(AceRsSettings ace)
    {
        IAceDecisionListener listener = _engine.Listener;
        _engine.Dispose();
        _engine = BuildEngine(ace);
        _engine.Listener = listener;
    }

    internal void Log(int level, string message)
    {
        IDeviceLog log = _host.Log;
        if (log != null)
        {
            log.Write(level, message);
        }
    }

    internal CoapHandlerResult HandleSecured(int peer, CoapMessage request, CoapMessage response)
    {
        // The request is the wire message; the engine answers into response without changing the request's options.
        CoapHandlerResult result = IsDtlsPeer(peer) ? _engine.HandleDtlsRequest(peer, request, response) : _engine.HandleRequest(peer, request, response);
        if (_settings.LogRequests)
        {
            // Only when logging requests: the copy of the address is part of the line's cost.
            DatagramAddress from = new DatagramAddress();
            Log(DeviceLogLevel.Debug, DeviceRequestLine.Format(_peers.TryGetAddress(peer, from) ? from : null, request, response));
        }

        return result;
    }

    private AceResourceServer BuildEngine(AceRsSettings ace)
    {
        // The engine starts clockless and learns the wall time from the host's clock (SetWallClockKnown).
        AceRsSettings copy = ace.Copy();
        copy.HasClock = false;
        AceResourceServer engine = new AceResourceServer(copy, _host.Crypto);
        _resources.Register(engine, ace.Audience);
        return engine;
    }

    // A datagram from _from: numbered by the peer table, the engine's time brought up to date, then the message layer.
    private void Deliver(int count, long now)
    {
        int peer = _peers.Admit(_from, now, _layer, _observers, Dtls);
        if (peer < 0)
        {
            return;
        }

        // The datagram is in the one buffer: what ending observations queues waits for the Flush after it.
        AdvanceEngine(now, false);
        DeliverDemultiplexed(count, peer, now);
    }

    private void RunTimers(long now)
    {
        if (now >= _nextTickMs)
        {
            Tick(now);
        }

        _layer.Poll(now);
        if (_dtlsLayer != null)
        {
            _dtlsLayer.Engine.Poll(now);
        }
    }

    private void Tick(long now)
    {
        _nextTickMs = now + _settings.ClockTickMs;
        LearnWallTime(now);
        AdvanceEngine(now);
        NotifyOnChange(now);
        CloseSessionsWithoutToken(now);
    }

    // docs/firmware.md, "Time on a board": until the clock has the wall time the device is clockless (exi tokens only,
    // a cnonce in the hints; RFC 9200 §5.10.3, §5.3), and says so once.
    private void LearnWallTime(long now)
    {
        if (_engine.WallClockKnown)
        {
            return;
        }

        long unix;
        if (_host.Clock.TryGetUnixTime(out unix))
        {
            AdvanceEngine(now);
            _engine.SetWallClockKnown(unix);
            Log(DeviceLogLevel.Information, "wall time known (unix " + unix.ToString() + "): exp and nbf are enforced from now on");
        }
        else if ((_flags & SaidNoWallTimeFlag) == 0)
        {
            _flags |= SaidNoWallTimeFlag;
            Log(DeviceLogLevel.Warning, "no wall time yet: behaving as a clockless device (exi tokens only, cnonce in the AS hints)");
        }
    }

    // The engine counts seconds of the monotonic clock, whose origin is the boot (RFC 9200 §5.10.3 counts exi from
    // receipt). Before it drops what expired, the observations its tokens no longer authorise get their final response
    // while the keys still exist.
    private void AdvanceEngine(long now)
    {
        AdvanceEngine(now, true);
    }

    private void AdvanceEngine(long now, bool flush)
    {
        long seconds = now / 1000;
        if (seconds <= _engineSeconds)
        {
            return;
        }

        EndUnauthorisedObservations(seconds, now, flush);
        _engineSeconds = seconds;
        _engine.Tick(seconds);
    }
}
