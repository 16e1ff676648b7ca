using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;

namespace PopIoT.Coap;

/// <summary>
/// A CoAP server over UDP (or any <see cref="ICoapTransport"/>): resources mapped to async handlers, routing, 4.04 and
/// 4.05 and /.well-known/core by <see cref="ResourceTable"/>, Block1 reassembly and Block2 slicing (RFC 7959), Observe
/// (RFC 7641) and separate responses for handlers that complete later (RFC 7252 §5.2.2). With OSCORE, Outer block-wise
/// (RFC 8613 §4.1.3.4.2) comes before verification and Inner block-wise after it. Malformed datagrams are
/// rejected by the <see cref="MessageLayer"/> and never stop the server; a handler's exception becomes 5.00.
/// </summary>
/// <example>
/// <code>
/// using var server = new CoapServer();
/// server.Map("/hello", CoapMethods.Get, (req, ct) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, "hi"u8.ToArray(), 0)));
/// IPEndPoint at = server.Start(new IPEndPoint(IPAddress.Loopback, 5683));
/// </code>
/// </example>
public sealed class CoapServer : ICoapRequestHandler, IDisposable
{
    private readonly CoapServerOptions _options;
    private readonly ILogger _logger;
    private readonly ResourceTable _table;
    private readonly List<Entry> _entries = [];
    private readonly Block1Reassembler _block1;
    private readonly ObserveRegistry _observers;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CoapMessage _shadow = new(4, 32);

    // RFC 7959 §2.6: the body of a response to a non-GET request that is sent in Block2 blocks is kept
    // here, per (peer, resource, method), so the client's follow-up requests for blocks 1, 2 ... get
    // slices of that one response instead of running the handler again (a POST must run once).
    private readonly Dictionary<(int Peer, int Resource, byte Method), (CoapResponse Response, long ExpiresMs)> _blockBodies = [];
    private const int MaxBlockBodies = 64;
    private readonly OscoreServer? _oscore;
    private readonly IOscoreServerLayer? _layer;
    private readonly OscoreProcessor? _oscoreProcessor;

    // RFC 8613 §4.1.3.5: the binding of each observation registered under OSCORE, by (peer, token), so that its
    // notifications are protected with the registration's request (each with its own Partial IV, §4.1.3.5.2).
    private readonly Dictionary<(int Peer, string Token), SecureObservation> _secureObservers = [];

    // RFC 9200 §5.10.2–§5.10.3: asks the layer whether each notification is still authorised by its token, and moves
    // the layer's clock (null when the layer authorises nothing beyond OSCORE itself).
    private readonly INotificationGuard? _guard;
    private CoapEndpoint? _endpoint;
    private long _notifications;
    private long _requests;

    /// <summary>Creates a server with no resources.</summary>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="logger">Where to log, or null.</param>
    public CoapServer(CoapServerOptions? options = null, ILogger? logger = null)
        : this(options, logger, null)
    {
    }

    /// <summary>Creates a server whose requests go through an OSCORE layer made by <paramref name="layer"/> (given the router).</summary>
    /// <param name="options">Settings, or null for the defaults (<see cref="CoapServerOptions.Oscore"/> must be null).</param>
    /// <param name="logger">Where to log, or null.</param>
    /// <param name="layer">Makes the layer in front of the resources from the server's own router; null for none.</param>
    internal CoapServer(CoapServerOptions? options, ILogger? logger, Func<ICoapRequestHandler, IOscoreServerLayer>? layer)
    {
        _options = options ?? new CoapServerOptions();
        _logger = logger ?? NullLogger.Instance;
        _table = new ResourceTable(_options.MaxResources, 4096) { MaxSzx = _options.MaxSzx };
        _block1 = new Block1Reassembler(_options.Block1Slots, _options.MaxBodySize, _options.MaxSzx);
        _observers = new ObserveRegistry(_options.MaxObservers);
        if (_options.Oscore != null)
        {
            if (_options.OscoreMaxUnfragmentedSize < 16)
            {
                throw new ArgumentOutOfRangeException(nameof(options), "OscoreMaxUnfragmentedSize must be at least 16 (RFC 8613 §4.1.3.4.2).");
            }

            // Room for a whole Inner block (RFC 7959) plus the Code and Inner options (RFC 8613 §4.1.3.4.1), or for a
            // message of MAX_UNFRAGMENTED_SIZE reassembled from Outer blocks (§4.1.3.4.2), whichever is larger.
            _oscoreProcessor = new OscoreProcessor(Math.Max(BlockOption.Size(_options.MaxSzx) + 256, _options.OscoreMaxUnfragmentedSize));
            _oscore = new OscoreServer(_options.Oscore, _oscoreProcessor, this, _options.AllowUnprotected ? this : null);
            _layer = new OscoreServerLayer(_oscore);
        }

        if (layer != null)
        {
            if (_layer != null)
            {
                throw new ArgumentException("Give either CoapServerOptions.Oscore or an OSCORE layer, not both.", nameof(layer));
            }

            _oscoreProcessor = new OscoreProcessor(Math.Max(BlockOption.Size(_options.MaxSzx) + 256, _options.OscoreMaxUnfragmentedSize));
            _layer = layer(this);
        }

        _guard = _layer as INotificationGuard;
    }

    /// <summary>The address the server listens on, once started.</summary>
    public IPEndPoint? LocalEndPoint => _endpoint?.Transport.LocalEndPoint;

    /// <summary>Requests passed to handlers so far (duplicates and block-wise continuations not counted twice).</summary>
    public long RequestsHandled => Interlocked.Read(ref _requests);

    /// <summary>Datagrams the message layer rejected as malformed (RFC 7252 §4.2, §4.3).</summary>
    public int RejectedDatagrams
    {
        get
        {
            CoapEndpoint e = _endpoint ?? throw new InvalidOperationException("Not started.");
            lock (e.Gate)
            {
                return e.Layer.RejectedDatagrams;
            }
        }
    }

    /// <summary>OSCORE requests refused as replays (RFC 8613 §7.4); 0 without OSCORE.</summary>
    public int OscoreReplaysDetected => WithGate(o => o.ReplaysDetected);

    /// <summary>OSCORE Echo challenges sent (RFC 8613 Appendix B.1.2); 0 without OSCORE.</summary>
    public int OscoreEchoChallenges => WithGate(o => o.EchoChallenges);

    /// <summary>The OSCORE outcome of the last request (<see cref="OscoreStatus.NotProtected"/> without OSCORE).</summary>
    public OscoreStatus LastOscoreStatus => _oscore == null ? OscoreStatus.NotProtected : (OscoreStatus)WithGate(o => (int)o.LastStatus);

    /// <summary>Observations currently registered.</summary>
    public int ObserverCount
    {
        get
        {
            CoapEndpoint? e = _endpoint;
            if (e == null)
            {
                return 0;
            }

            lock (e.Gate)
            {
                return _observers.Count;
            }
        }
    }

    /// <summary>Adds a resource. Call before <see cref="Start(IPEndPoint)"/>.</summary>
    /// <param name="path">The path, e.g. "/sensors/temp".</param>
    /// <param name="methods">Allowed methods (<see cref="CoapMethods"/> flags); others get 4.05.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="observable">Whether GET with Observe registers an observer (RFC 7641); see <see cref="NotifyObservers"/>.</param>
    /// <param name="contentFormat">The ct attribute in /.well-known/core, or -1.</param>
    /// <param name="resourceType">The rt attribute in /.well-known/core, or null.</param>
    public void Map(string path, int methods, CoapRequestHandler handler, bool observable = false, int contentFormat = -1, string? resourceType = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_endpoint != null)
        {
            throw new InvalidOperationException("Map resources before Start.");
        }

        var entry = new Entry(this, _entries.Count, handler);
        var resource = new CoapResource(path, methods, entry) { Observable = observable, ContentFormat = contentFormat, ResourceType = resourceType };
        _table.Add(resource);
        entry.Resource = resource;
        _entries.Add(entry);
    }

    /// <summary>Starts serving on a UDP socket; [::] gives a dual-stack socket (IPv4 and IPv6).</summary>
    /// <param name="bind">The address and port (0 for an ephemeral port).</param>
    /// <returns>The address bound.</returns>
    public IPEndPoint Start(IPEndPoint bind) => Start(new UdpCoapTransport(bind, _logger));

    /// <summary>Starts serving on a transport (e.g. of a <see cref="LossyNetwork"/>); the server owns it from now on.</summary>
    /// <param name="transport">The transport.</param>
    /// <returns>Its address.</returns>
    public IPEndPoint Start(ICoapTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        if (_endpoint != null)
        {
            throw new InvalidOperationException("Already started.");
        }

        CoapSettings settings = _options.Settings ?? new CoapSettings
        {
            MaxExchanges = 64,
            DeduplicationCapacity = 256,
            EvictOldestWhenFull = true,
            OutboxCapacity = 128,
            NonRecordCapacity = 64,
        };
        // RFC 8613 §8.2.1, §4.1.3.4.2: Outer Block options are handled before OSCORE, Inner ones after it (in Handle).
        ICoapRequestHandler handler = _layer != null
            ? new OuterBlockwiseServer(_layer, _options.Block1Slots, _options.OscoreMaxUnfragmentedSize, _options.MaxSzx, settings.MaxMessageSize)
            : this;
        var endpoint = new CoapEndpoint(transport, settings, _options.Random ?? PlatformRandomSource.Instance, handler, _logger);
        endpoint.ServerMessageFailed = OnNotificationFailed;
        // An observer's address stays numbered while its observation lives, so its notifications have somewhere to go.
        endpoint.PeerInUse = peer => Enumerable.Range(0, _observers.Capacity).Any(i => _observers.IsActive(i) && _observers.GetPeer(i) == peer);
        if (_guard != null)
        {
            endpoint.Housekeeping = () => Housekeep(endpoint);
        }

        _endpoint = endpoint;
        _logger.LogInformation("CoAP server listening on {Local}", transport.LocalEndPoint);
        return transport.LocalEndPoint;
    }

    /// <summary>
    /// Sends a notification to every observer of <paramref name="path"/> (RFC 7641 §4.2): the GET handler runs once per
    /// observer and its response goes out NON, or CON every <see cref="CoapServerOptions.ConfirmableNotificationEvery"/>.
    /// An error response ends the observation (RFC 7641 §4.2). Under a layer that authorises with tokens, the layer's
    /// clock is advanced first and an observation its token no longer authorises ends with a final error instead
    /// (<see cref="INotificationGuard"/>).
    /// </summary>
    /// <param name="path">The resource path as mapped.</param>
    /// <returns>How many notifications were started.</returns>
    public int NotifyObservers(string path)
    {
        CoapEndpoint endpoint = _endpoint ?? throw new InvalidOperationException("Not started.");
        Entry? entry = _entries.Find(e => e.Resource!.Path == (path.StartsWith('/') ? path : "/" + path));
        if (entry == null)
        {
            return 0;
        }

        var targets = new List<(int Slot, int Peer)>();
        lock (endpoint.Gate)
        {
            if (_guard != null)
            {
                // RFC 9200 §5.10.3: the token's lifetime and rights are checked at the time of each notification.
                endpoint.RunHousekeepingLocked();
                endpoint.FlushLocked();
            }

            for (int i = 0; i < _observers.Capacity; i++)
            {
                if (_observers.IsActive(i) && _observers.GetResource(i) == entry.Index)
                {
                    targets.Add((i, _observers.GetPeer(i)));
                }
            }
        }

        foreach ((int slot, int peer) in targets)
        {
            var request = new CoapRequest(CoapCode.Get, entry.Resource!.Path, [], endpoint.PeerAddress(peer)!);
            ValueTask<CoapResponse> pending = Invoke(entry, request);
            if (pending.IsCompleted)
            {
                SendNotification(endpoint, slot, peer, Result(pending));
            }
            else
            {
                _ = NotifyLaterAsync(endpoint, slot, peer, pending);
            }
        }

        return targets.Count;
    }

    /// <summary>Runs <paramref name="action"/> under the endpoint's gate (the lock every request is handled under).</summary>
    /// <param name="action">The action.</param>
    internal void Synchronized(Action action)
    {
        CoapEndpoint? e = _endpoint;
        if (e == null)
        {
            action();
            return;
        }

        lock (e.Gate)
        {
            action();
        }
    }

    /// <summary>
    /// Advances the OSCORE layer's clock now, ending the observations it no longer authorises first (see
    /// <see cref="INotificationGuard"/>). The server does it before each datagram and each notification; the host calls
    /// this on its own clock (the simulated device every second), so a token's expiry ends its observations even when
    /// no request arrives (RFC 9200 §5.10.3).
    /// </summary>
    internal void RunHousekeeping()
    {
        CoapEndpoint? e = _endpoint;
        if (e == null)
        {
            _guard?.Advance(_guard.ReadClock());
            return;
        }

        lock (e.Gate)
        {
            e.RunHousekeepingLocked();
            e.FlushLocked();
        }
    }

    /// <summary>The address of a peer index as the message layer numbers them, or null before start.</summary>
    /// <param name="peer">The peer index.</param>
    /// <returns>The address.</returns>
    internal IPEndPoint? PeerAddress(int peer) => peer < 0 ? null : _endpoint?.PeerAddress(peer);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_stopping.IsCancellationRequested)
        {
            _stopping.Cancel();
        }

        _endpoint?.Dispose();
    }

    /// <summary>Called by the message layer (under the endpoint's gate); routes through the <see cref="ResourceTable"/>.</summary>
    /// <param name="peer">The sender.</param>
    /// <param name="request">The request.</param>
    /// <param name="response">The response.</param>
    /// <returns>What to send.</returns>
    CoapHandlerResult ICoapRequestHandler.HandleRequest(int peer, CoapMessage request, CoapMessage response) =>
        _table.HandleRequest(peer, request, response);

    private int WithGate(Func<OscoreServer, int> read)
    {
        if (_oscore == null)
        {
            return 0;
        }

        CoapEndpoint? e = _endpoint;
        if (e == null)
        {
            return read(_oscore);
        }

        lock (e.Gate)
        {
            return read(_oscore);
        }
    }

    private static CoapResponse Result(ValueTask<CoapResponse> done)
    {
        try
        {
            return done.Result;
        }
        catch (Exception)
        {
            return new CoapResponse(CoapCode.InternalServerError);
        }
    }

    private ValueTask<CoapResponse> Invoke(Entry entry, CoapRequest request)
    {
        Interlocked.Increment(ref _requests);
        try
        {
            return entry.Handler(request, _stopping.Token);
        }
        catch (Exception e)
        {
            // DESIGN.md §2: no exception escapes; the client gets 5.00.
            _logger.LogWarning(e, "CoAP handler for {Path} threw", entry.Resource!.Path);
            return ValueTask.FromResult(new CoapResponse(CoapCode.InternalServerError));
        }
    }

    private CoapHandlerResult Handle(Entry entry, int peer, CoapMessage request, CoapMessage response)
    {
        CoapEndpoint endpoint = _endpoint!;
        if (request.Code != CoapCode.Get && !request.HasOption(CoapOptionNumber.Block1)
            && request.TryGetUint(CoapOptionNumber.Block2, out uint follow) && (follow >> 4) > 0
            && TryGetBlockBody(peer, entry.Index, request.Code, endpoint.Now, out CoapResponse? kept))
        {
            // RFC 7959 §2.6: a later block of a response already produced; the handler does not run again.
            Fill(null, peer, request, response, kept!, out byte[]? _);
            if (!response.TryGetUint(CoapOptionNumber.Block2, out uint sent) || (sent & 0x08) == 0)
            {
                // The last block is out (a retransmission of it is answered by the dedup cache): forget the body.
                ForgetBlockBody(peer, entry.Index, request.Code);
            }

            return CoapHandlerResult.Respond;
        }

        byte[] body;
        if (request.HasOption(CoapOptionNumber.Block1) || request.HasOption(CoapOptionNumber.Size1))
        {
            // RFC 7959 §2.5: collect the blocks; only the complete body reaches the handler.
            BlockwiseStatus s = _block1.Receive(peer, request, response, endpoint.Now);
            if (s is BlockwiseStatus.Continue or BlockwiseStatus.Error)
            {
                return CoapHandlerResult.Respond;
            }

            body = s == BlockwiseStatus.Complete ? _block1.BodyBuffer.AsSpan(0, _block1.BodyLength).ToArray() : Payload(request);
        }
        else
        {
            body = Payload(request);
        }

        var query = new List<string>();
        var req = new CoapRequest(request.Code, entry.Resource!.Path, query, endpoint.PeerAddress(peer)!)
        {
            Confirmable = request.Type == CoapMessageType.Confirmable,
            Payload = body,
        };
        for (int i = 0; i < request.OptionCount; i++)
        {
            int number = request.GetOptionNumber(i);
            byte[] value = request.GetOptionBuffer(i).AsSpan(request.GetOptionOffset(i), request.GetOptionLength(i)).ToArray();
            req.Options.Add(new CoapOptionValue(number, value));
            if (number == CoapOptionNumber.UriQuery)
            {
                query.Add(System.Text.Encoding.UTF8.GetString(value));
            }
        }

        req.ContentFormat = req.GetOption(CoapOptionNumber.ContentFormat)?.AsUInt() is uint cf ? (int)cf : null;
        req.Accept = req.GetOption(CoapOptionNumber.Accept)?.AsUInt() is uint ac ? (int)ac : null;

        // What the response depends on besides the handler's result: token, Block2 and Observe of the request.
        var shadow = new CoapMessage(4, 32) { Code = request.Code };
        shadow.CopyTokenFrom(request);
        if (request.TryGetUint(CoapOptionNumber.Block2, out uint b2))
        {
            shadow.AddUintOption(CoapOptionNumber.Block2, b2);
        }

        // Under OSCORE (called from the layer, after verification) the request is protected when the layer says so.
        bool secured = _layer != null && _layer.LastRequestVerified;
        if (request.TryGetUint(CoapOptionNumber.Observe, out uint obs))
        {
            // RFC 8613 §4.1.3.5: Observe works under OSCORE too; the notifications are protected in SendNotification.
            shadow.AddUintOption(CoapOptionNumber.Observe, obs);
        }

        req.OscoreContext = secured ? _layer!.LastExchange.Context : null;
        ValueTask<CoapResponse> pending = Invoke(entry, req);
        if (pending.IsCompleted)
        {
            CoapResponse done = Result(pending);
            Fill(entry, peer, shadow, response, done, out byte[]? _);
            TrackObserver(peer, entry.Resource.Path, shadow, response, secured);
            RememberBlockBody(peer, entry.Index, request.Code, response, done, endpoint.Now);
            return CoapHandlerResult.Respond;
        }

        // RFC 7252 §5.2.2: the handler is still working; ACK now, answer later in a message of the request's type.
        OscoreExchange? binding = null;
        if (secured)
        {
            // RFC 8613 §8.3: the separate response is protected later against this request's binding.
            binding = new OscoreExchange();
            binding.CopyFrom(_layer!.LastExchange);
        }

        _ = RespondLaterAsync(endpoint, entry, peer, shadow, request.Type == CoapMessageType.Confirmable, pending, binding);
        return CoapHandlerResult.Separate;
    }

    private async Task RespondLaterAsync(CoapEndpoint endpoint, Entry entry, int peer, CoapMessage shadow, bool con, ValueTask<CoapResponse> pending, OscoreExchange? binding)
    {
        CoapResponse r;
        try
        {
            r = await pending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "CoAP handler for {Path} failed", entry.Resource!.Path);
            r = new CoapResponse(CoapCode.InternalServerError);
        }

        lock (endpoint.Gate)
        {
            var m = new CoapMessage();
            m.CopyTokenFrom(shadow);
            Fill(entry, peer, shadow, m, r, out _);
            if (binding != null && _oscoreProcessor!.ProtectResponse(m, binding, false) != OscoreStatus.Ok)
            {
                // Nothing protected can be sent (RFC 8613 §7.2.1 exhausted, or too large): a plain 5.00 says so.
                m.ClearOptions();
                m.SetPayload(null, 0, 0);
                m.Code = CoapCode.InternalServerError;
            }

            m.Type = con ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable;
            endpoint.Layer.Send(peer, m, endpoint.Now, out _);
            endpoint.FlushLocked();
        }
    }

    private async Task NotifyLaterAsync(CoapEndpoint endpoint, int slot, int peer, ValueTask<CoapResponse> pending)
    {
        CoapResponse r;
        try
        {
            r = await pending.ConfigureAwait(false);
        }
        catch (Exception)
        {
            r = new CoapResponse(CoapCode.InternalServerError);
        }

        SendNotification(endpoint, slot, peer, r);
    }

    private void SendNotification(CoapEndpoint endpoint, int slot, int peer, CoapResponse r)
    {
        lock (endpoint.Gate)
        {
            if (!_observers.IsActive(slot) || _observers.GetPeer(slot) != peer)
            {
                return;
            }

            if (_guard != null)
            {
                // The handler may have taken a while: check the token again at the time the notification goes out.
                endpoint.RunHousekeepingLocked();
                endpoint.FlushLocked();
                if (!_observers.IsActive(slot) || _observers.GetPeer(slot) != peer)
                {
                    return;
                }
            }

            long n = ++_notifications;
            int every = Math.Max(1, _options.ConfirmableNotificationEvery);
            var m = new CoapMessage();
            _observers.PrepareNotification(slot, m, n % every == 0 ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable);
            _shadow.Reset();
            _shadow.Code = CoapCode.Get;
            Fill(null, peer, _shadow, m, r, out byte[]? _);
            OscoreExchange? binding = SecureObserver(peer, m);
            byte[]? token = null;
            if (!r.IsSuccess)
            {
                // RFC 7641 §4.2: a non-2.xx notification ends the observation.
                m.RemoveOption(CoapOptionNumber.Observe);
                token = new byte[m.TokenLength];
                m.GetToken(token, 0);
                _observers.Remove(peer, token, 0, token.Length);
            }

            // RFC 8613 §4.1.3.5.2: a notification under OSCORE takes its own Partial IV, bound to the registration.
            if (binding != null && _oscoreProcessor!.ProtectResponse(m, binding, true) != OscoreStatus.Ok)
            {
                // The context is gone (evicted, expired) or exhausted: nothing protected can be sent, so the
                // observation ends here (RFC 7641 §3.6 lets the server forget an observer).
                _logger.LogDebug("OSCORE notification to {Peer} cannot be protected; observation removed", endpoint.PeerAddress(peer));
                RemoveObserver(peer, m);
                return;
            }

            if (!r.IsSuccess)
            {
                _secureObservers.Remove((peer, Convert.ToHexString(token!)));
            }

            CoapSendStatus status = endpoint.Layer.Send(peer, m, endpoint.Now, out _);
            if (status != CoapSendStatus.Sent)
            {
                _logger.LogDebug("notification to {Peer} not sent: {Status}", endpoint.PeerAddress(peer), status);
            }

            endpoint.FlushLocked();
        }
    }

    private void OnNotificationFailed(int peer, byte[] token, CoapExchangeFailure reason)
    {
        // RFC 7641 §3.6, §4.5: a Reset or an unacknowledged CON notification removes the observer. Under the gate already.
        _secureObservers.Remove((peer, Convert.ToHexString(token)));
        if (_observers.Remove(peer, token, 0, token.Length))
        {
            _logger.LogDebug("observer removed after {Reason}", reason);
        }
    }

    // The layer's clock and the token checks of every OSCORE observation (RFC 9200 §5.10.2–§5.10.3), under the gate:
    // read the clock, end the observations the tokens no longer authorise at that time (while an expired token's keys
    // still exist to protect its final 4.01), then let the layer drop what expired.
    private void Housekeep(CoapEndpoint endpoint)
    {
        long now = _guard!.ReadClock();
        List<((int Peer, string Token) Key, int Code)>? ending = null;
        foreach (KeyValuePair<(int Peer, string Token), SecureObservation> kv in _secureObservers)
        {
            int code = _guard.CheckNotification(kv.Value.Binding, kv.Value.Path, now);
            if (code != 0)
            {
                (ending ??= []).Add((kv.Key, code));
            }
        }

        if (ending != null)
        {
            foreach (((int Peer, string Token) key, int code) in ending)
            {
                EndObservation(endpoint, key, code);
            }
        }

        _guard.Advance(now);
    }

    // RFC 9200 §5.10.3 (4.01) and §5.10.2 (4.03, 4.05): the final response of an observation its token no longer
    // authorises, without Observe so it is the last one (RFC 7641 §4.2, §3.2), confirmable so a lost one is sent
    // again, and protected under the registration's binding with its own Partial IV (RFC 8613 §4.1.3.5.2: the
    // request's nonce was used by the registration's response). code -1: the keys are gone, so the observation is
    // forgotten with no message, since an unprotected response to an OSCORE request is never sent (RFC 8613 §8.3).
    private void EndObservation(CoapEndpoint endpoint, (int Peer, string Token) key, int code)
    {
        if (!_secureObservers.Remove(key, out SecureObservation? observation))
        {
            return;
        }

        byte[] token = Convert.FromHexString(key.Token);
        int slot = _observers.IndexOf(key.Peer, token, 0, token.Length);
        if (slot < 0)
        {
            return;
        }

        if (code < 0)
        {
            _observers.Remove(key.Peer, token, 0, token.Length);
            _logger.LogDebug("observation by {Peer} forgotten: its OSCORE context is gone", endpoint.PeerAddress(key.Peer));
            return;
        }

        var m = new CoapMessage();
        _observers.PrepareNotification(slot, m, CoapMessageType.Confirmable);
        _observers.Remove(key.Peer, token, 0, token.Length);
        m.RemoveOption(CoapOptionNumber.Observe);
        m.Code = (byte)code;
        if (_oscoreProcessor!.ProtectResponse(m, observation.Binding, true) != OscoreStatus.Ok)
        {
            _logger.LogDebug("final response to {Peer} cannot be protected; observation removed", endpoint.PeerAddress(key.Peer));
            return;
        }

        CoapSendStatus status = endpoint.Layer.Send(key.Peer, m, endpoint.Now, out _);
        _logger.LogDebug("observation by {Peer} ended with {Code}: {Status}", endpoint.PeerAddress(key.Peer), CoapResponse.FormatCode((byte)code), status);
    }

    // Remembers (or forgets) the OSCORE binding of an observation registered by this request (RFC 8613 §4.1.3.5).
    private void TrackObserver(int peer, string path, CoapMessage request, CoapMessage response, bool secured)
    {
        if (_layer == null || !request.HasOption(CoapOptionNumber.Observe))
        {
            return;
        }

        byte[] token = new byte[request.TokenLength];
        request.GetToken(token, 0);
        var key = (peer, Convert.ToHexString(token));
        if (!secured || !response.HasOption(CoapOptionNumber.Observe))
        {
            _secureObservers.Remove(key);
            return;
        }

        if (_secureObservers.Count >= _options.MaxObservers * 2)
        {
            // Bounded: forget bindings whose context is gone, then the oldest, rather than grow.
            foreach (var stale in _secureObservers.Where(kv => !kv.Value.Binding.IsCurrent).Select(kv => kv.Key).ToList())
            {
                _secureObservers.Remove(stale);
            }

            if (_secureObservers.Count >= _options.MaxObservers * 2)
            {
                _secureObservers.Remove(_secureObservers.Keys.First());
            }
        }

        var binding = new OscoreExchange();
        binding.CopyFrom(_layer.LastExchange);
        _secureObservers[key] = new SecureObservation(binding, path);
    }

    private OscoreExchange? SecureObserver(int peer, CoapMessage notification)
    {
        if (_secureObservers.Count == 0)
        {
            return null;
        }

        byte[] token = new byte[notification.TokenLength];
        notification.GetToken(token, 0);
        return _secureObservers.GetValueOrDefault((peer, Convert.ToHexString(token)))?.Binding;
    }

    private void RemoveObserver(int peer, CoapMessage notification)
    {
        byte[] token = new byte[notification.TokenLength];
        notification.GetToken(token, 0);
        _observers.Remove(peer, token, 0, token.Length);
        _secureObservers.Remove((peer, Convert.ToHexString(token)));
    }

    // Code, options, Observe registration and the Block2 slice of the body (RFC 7959 §2.4) into the wire response.
    private void Fill(Entry? entry, int peer, CoapMessage request, CoapMessage response, CoapResponse r, out byte[]? body)
    {
        response.Code = r.Code;
        if (entry != null && entry.Resource!.Observable && r.IsSuccess)
        {
            // RFC 7641 §4.1: only a successful response registers the observer (or confirms the deregistration).
            _observers.HandleRequest(peer, entry.Index, request, response);
        }

        if (r.ContentFormat is int cf)
        {
            response.SetUintOption(CoapOptionNumber.ContentFormat, (uint)cf);
        }

        foreach (CoapOptionValue o in r.Options)
        {
            if (o.Number is not (CoapOptionNumber.ContentFormat or CoapOptionNumber.Observe or CoapOptionNumber.Block2 or CoapOptionNumber.Size2))
            {
                response.AddOption(o.Number, o.Value, 0, o.Value.Length);
            }
        }

        body = MemoryMarshal.TryGetArray(r.Payload, out ArraySegment<byte> seg) ? seg.Array : r.Payload.ToArray();
        int offset = MemoryMarshal.TryGetArray(r.Payload, out seg) ? seg.Offset : 0;
        if (r.Payload.Length > 0 || request.HasOption(CoapOptionNumber.Block2))
        {
            BlockwiseStatus s = Block2Slicer.Fill(body ?? [], offset, r.Payload.Length, request, response, _options.MaxSzx);
            if (s == BlockwiseStatus.Error)
            {
                response.ClearOptions();
                response.SetPayload(null, 0, 0);
            }
        }
    }

    private void RememberBlockBody(int peer, int resource, byte method, CoapMessage response, CoapResponse r, long now)
    {
        // Only a non-GET response that went out as block 0 of several needs keeping (a GET is simply repeated).
        if (method == CoapCode.Get || !response.TryGetUint(CoapOptionNumber.Block2, out uint b2) || (b2 & 0x08) == 0)
        {
            return;
        }

        lock (_blockBodies)
        {
            if (_blockBodies.Count >= MaxBlockBodies)
            {
                var oldest = _blockBodies.MinBy(kv => kv.Value.ExpiresMs).Key;
                _blockBodies.Remove(oldest);
            }

            _blockBodies[(peer, resource, method)] = (r, now + (_options.Settings ?? new CoapSettings()).ExchangeLifetimeMs);
        }
    }

    private void ForgetBlockBody(int peer, int resource, byte method)
    {
        lock (_blockBodies)
        {
            _blockBodies.Remove((peer, resource, method));
        }
    }

    private bool TryGetBlockBody(int peer, int resource, byte method, long now, out CoapResponse? r)
    {
        lock (_blockBodies)
        {
            if (_blockBodies.TryGetValue((peer, resource, method), out var kept) && kept.ExpiresMs > now)
            {
                r = kept.Response;
                return true;
            }

            _blockBodies.Remove((peer, resource, method));
            r = null;
            return false;
        }
    }

    private static byte[] Payload(CoapMessage m) => m.PayloadLength == 0 ? [] : m.PayloadBuffer.AsSpan(m.PayloadOffset, m.PayloadLength).ToArray();

    private sealed record SecureObservation(OscoreExchange Binding, string Path);

    private sealed class Entry(CoapServer server, int index, CoapRequestHandler handler) : ICoapRequestHandler
    {
        public int Index { get; } = index;

        public CoapRequestHandler Handler { get; } = handler;

        public CoapResource? Resource { get; set; }

        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response) => server.Handle(this, peer, request, response);
    }
}
