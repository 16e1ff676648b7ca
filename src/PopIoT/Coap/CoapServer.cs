using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PopIoT.Core;
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
public sealed partial class CoapServer : ICoapRequestHandler, IDisposable
{
    private readonly CoapServerOptions _options;
    private readonly ILogger _logger;
    private readonly ResourceTable _table;
    private readonly List<Entry> _entries = [];
    private readonly Block1Reassembler _block1;
    private readonly ObserveRegistry _observers;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CoapMessage _shadow = new(4, 32);

    private readonly BlockBodyCache _blockBodies;
    private readonly OscoreServer? _oscore;
    private readonly ICoapRequestHandler? _layer;
    private readonly OscoreProcessor? _oscoreProcessor;

    private CoapEndpoint? _endpoint;
    private long _notifications;
    private long _requests;

    /// <summary>Creates a server with no resources.</summary>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="logger">Where to log, or null.</param>
    public CoapServer(CoapServerOptions? options = null, ILogger? logger = null)
    {
        _options = options ?? new CoapServerOptions();
        _logger = logger ?? NullLogger.Instance;
        _table = new ResourceTable(_options.MaxResources, 4096) { MaxSzx = _options.MaxSzx };
        _block1 = new Block1Reassembler(_options.Block1Slots, _options.MaxBodySize, _options.MaxSzx);
        _observers = new ObserveRegistry(_options.MaxObservers);
        _blockBodies = new BlockBodyCache((_options.Settings ?? new CoapSettings()).ExchangeLifetimeMs);
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
            _layer = _options.OscoreRefresh != null || _options.OscoreRefused != null || _options.OscoreRekeying != null
                ? new OscoreGate(_oscore, this, _options.OscoreRefresh, _options.OscoreRefused, _options.OscoreRekeying == null ? null : (_options.Oscore, _options.OscoreRekeying))
                : _oscore;
        }
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
    /// <param name="access">
    /// Who may use it: <see cref="ResourceAccess.Protected"/> needs OSCORE (the server's <see cref="CoapServerOptions.Oscore"/>
    /// without <see cref="CoapServerOptions.AllowUnprotected"/>; access by token is the device's, DeviceRuntime);
    /// <see cref="ResourceAccess.Unprotected"/> serves anyone, in the clear or under OSCORE (a protected request always
    /// gets a protected response, RFC 8613 §8.3).
    /// </param>
    public void Map(string path, int methods, CoapRequestHandler handler, bool observable = false, int contentFormat = -1, string? resourceType = null,
        ResourceAccess access = ResourceAccess.Unprotected)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_endpoint != null)
        {
            throw new InvalidOperationException("Map resources before Start.");
        }

        var entry = new Entry(this, _entries.Count, handler);
        var resource = new CoapResource(path, methods, entry) { Observable = observable, ContentFormat = contentFormat, ResourceType = resourceType };
        if (access == ResourceAccess.Protected && (_oscore == null || _options.AllowUnprotected))
        {
            // Nothing would enforce the rule: only OSCORE without unprotected access can (a device with tokens runs
            // DeviceRuntime, whose engine checks them).
            throw new ArgumentException("A protected resource needs OSCORE without AllowUnprotected.", nameof(access));
        }
        else
        {
            _table.Add(resource);
        }

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
        // Wired completely before the first datagram can arrive: a request handled before _endpoint is set would fail.
        var endpoint = new CoapEndpoint(transport, settings, _options.Random ?? PlatformRandomSource.Instance, handler, _logger, start: false);
        endpoint.ServerMessageFailed = OnNotificationFailed;
        // An observer's address stays numbered while its observation lives, so its notifications have somewhere to go.
        endpoint.PeerInUse = peer => Enumerable.Range(0, _observers.Capacity).Any(i => _observers.IsActive(i) && _observers.GetPeer(i) == peer);
        _endpoint = endpoint;
        endpoint.Start();
        _logger.LogInformation("CoAP server listening on {Local}", transport.LocalEndPoint);
        return transport.LocalEndPoint;
    }

    /// <summary>The address behind a peer index, for log lines (null when unknown).</summary>
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

    private CoapHandlerResult Handle(Entry entry, int peer, CoapMessage request, CoapMessage response)
    {
        CoapEndpoint endpoint = _endpoint!;
        if (request.Code != CoapCode.Get && !request.HasOption(CoapOptionNumber.Block1)
            && request.TryGetUint(CoapOptionNumber.Block2, out uint follow) && (follow >> 4) > 0
            && _blockBodies.TryGet(peer, entry.Index, request.Code, endpoint.Now, out CoapResponse? kept))
        {
            // RFC 7959 §2.6: a later block of a response already produced; the handler does not run again.
            Fill(null, peer, request, response, kept!, out byte[]? _);
            if (!response.TryGetUint(CoapOptionNumber.Block2, out uint sent) || (sent & 0x08) == 0)
            {
                // The last block is out (a retransmission of it is answered by the dedup cache): forget the body.
                _blockBodies.Forget(peer, entry.Index, request.Code);
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
        IPEndPoint from = endpoint.PeerAddress(peer)!;
        var req = new CoapRequest(request.Code, entry.Resource!.Path, query, from)
        {
            Confirmable = request.Type == CoapMessageType.Confirmable,
            Payload = body,

            // RFC 7252 §9.1: over DTLS the session names the peer; the request carries it to the handler.
            DtlsPskIdentity = endpoint.Transport is DtlsCoapTransport dtls ? dtls.PeerIdentity(from) : null,
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

        // The binding the verifying layer attached to the request (docs/architecture.md): what protects every answer.
        RequestSecurity? security = request.Security is { IsProtected: true } verified ? verified : null;
        shadow.Security = security;
        if (request.TryGetUint(CoapOptionNumber.Observe, out uint obs))
        {
            // RFC 8613 §4.1.3.5: Observe works under OSCORE too; the registry keeps the binding for the notifications.
            shadow.AddUintOption(CoapOptionNumber.Observe, obs);
        }

        req.OscoreContext = security?.Exchange.Context;
        ValueTask<CoapResponse> pending = Invoke(entry, req);
        if (pending.IsCompleted)
        {
            CoapResponse done = Result(pending);
            Fill(entry, peer, shadow, response, done, out byte[]? _);
            LogRequest(req, done, security != null);
            _blockBodies.Remember(peer, entry.Index, request.Code, response, done, endpoint.Now);
            return CoapHandlerResult.Respond;
        }

        // RFC 7252 §5.2.2: the handler is still working; ACK now, answer later in a message of the request's type.
        // RFC 8613 §8.3: a request that came protected gets its separate response protected under its own binding,
        // whatever the resource's access rule; the layer's object serves the next request, so keep a copy.
        RequestSecurity? binding = null;
        if (security != null)
        {
            binding = new RequestSecurity();
            binding.CopyFrom(security);
            shadow.Security = binding;
        }

        _ = RespondLaterAsync(endpoint, entry, peer, shadow, request.Type == CoapMessageType.Confirmable, pending, binding);
        return CoapHandlerResult.Separate;
    }

    private static byte[] Payload(CoapMessage m) => m.PayloadLength == 0 ? [] : m.PayloadBuffer.AsSpan(m.PayloadOffset, m.PayloadLength).ToArray();

    private sealed class Entry(CoapServer server, int index, CoapRequestHandler handler) : ICoapRequestHandler
    {
        public int Index { get; } = index;

        public CoapRequestHandler Handler { get; } = handler;

        public CoapResource? Resource { get; set; }

        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response) => server.Handle(this, peer, request, response);
    }
}
