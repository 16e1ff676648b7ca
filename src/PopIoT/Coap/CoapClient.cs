using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PopIoT.Core.Coap;
using PopIoT.Core.Dtls;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;
using PopIoT.Oscore;

namespace PopIoT.Coap;

/// <summary>
/// An async CoAP client over UDP (or any <see cref="ICoapTransport"/>): GET, PUT, POST, DELETE and Observe
/// (RFC 7641), with block-wise transfer done transparently (RFC 7959), CON retransmission and deduplication by the
/// sans-IO <see cref="MessageLayer"/>, cancellation and timeouts. Safe to use from many threads at once.
/// </summary>
/// <example>
/// <code>
/// await using var client = new CoapClient();
/// CoapResponse r = await client.GetAsync(new Uri("coap://[::1]/time"));
/// Console.WriteLine(r.CodeText + " " + r.PayloadText);
/// </code>
/// </example>
public sealed class CoapClient : IDisposable, IAsyncDisposable
{
    private readonly CoapClientOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly ICoapTransport? _transport;
    private volatile OscoreClientSession? _oscore;
    private readonly object _gate = new();
    private readonly Dictionary<(AddressFamily, bool, bool), CoapEndpoint> _endpoints = [];
    private readonly Dictionary<(IPEndPoint, bool), CoapEndpoint> _connected = [];
    private CoapEndpoint? _shared;
    private bool _disposed;

    /// <summary>Creates a client that opens UDP sockets as needed (one per address family).</summary>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="logger">Where to log, or null.</param>
    public CoapClient(CoapClientOptions? options = null, ILogger? logger = null)
    {
        _options = options ?? new CoapClientOptions();
        if (_options.MaxConcurrentRequests < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxConcurrentRequests must be at least 1.");
        }

        if (_options.OscoreMaxUnfragmentedSize < 16)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "OscoreMaxUnfragmentedSize must be at least 16 (RFC 8613 §4.1.3.4.2).");
        }

        ExchangeBlockSzx = ClientExchange.BlockSzx(_options.BlockSize);
        _logger = logger ?? NullLogger.Instance;
        _slots = new SemaphoreSlim(_options.MaxConcurrentRequests, _options.MaxConcurrentRequests);
        _oscore = _options.Oscore == null ? null : new OscoreClientSession(
            _options.Oscore, _options.OscoreIncludeKidContext, _options.OscoreOuterBlockSize, _options.OscoreMaxUnfragmentedSize,
            (_options.Settings ?? new CoapSettings()).MaxMessageSize);
    }

    /// <summary>Creates a client on a given transport, e.g. one of a <see cref="LossyNetwork"/>.</summary>
    /// <param name="transport">The transport (owned by the client from now on).</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="logger">Where to log, or null.</param>
    public CoapClient(ICoapTransport transport, CoapClientOptions? options = null, ILogger? logger = null)
        : this(options, logger)
    {
        ArgumentNullException.ThrowIfNull(transport);

        // With PSK credentials every datagram on the given transport goes through DTLS (coaps:// only).
        _transport = _options.Psk != null && transport is not DtlsCoapTransport ? Secure(transport, _options.Dtls) : transport;
    }

    private int ExchangeBlockSzx { get; }

    /// <summary>GET (RFC 7252 §5.8.1).</summary>
    /// <param name="uri">The target.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response.</returns>
    public Task<CoapResponse> GetAsync(Uri uri, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Get, uri), cancellationToken);

    /// <summary>PUT (RFC 7252 §5.8.3); a body above the block size goes out block-wise.</summary>
    /// <param name="uri">The target.</param>
    /// <param name="payload">The body.</param>
    /// <param name="contentFormat">The Content-Format, or null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response.</returns>
    public Task<CoapResponse> PutAsync(Uri uri, ReadOnlyMemory<byte> payload, int? contentFormat = null, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Put, uri) { Payload = payload, ContentFormat = contentFormat }, cancellationToken);

    /// <summary>POST (RFC 7252 §5.8.2); a body above the block size goes out block-wise.</summary>
    /// <param name="uri">The target.</param>
    /// <param name="payload">The body.</param>
    /// <param name="contentFormat">The Content-Format, or null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response.</returns>
    public Task<CoapResponse> PostAsync(Uri uri, ReadOnlyMemory<byte> payload, int? contentFormat = null, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Post, uri) { Payload = payload, ContentFormat = contentFormat }, cancellationToken);

    /// <summary>DELETE (RFC 7252 §5.8.4).</summary>
    /// <param name="uri">The target.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response.</returns>
    public Task<CoapResponse> DeleteAsync(Uri uri, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Delete, uri), cancellationToken);

    /// <summary>
    /// Sends any request and returns the final response (any code; check <see cref="CoapResponse.IsSuccess"/>). Throws
    /// <see cref="CoapTimeoutException"/> when no response comes, <see cref="CoapException"/> on a Reset, and
    /// <see cref="OperationCanceledException"/> when cancelled.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response.</returns>
    public Task<CoapResponse> SendAsync(CoapRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(request, true, cancellationToken);

    /// <summary>
    /// Replaces the OSCORE context that protects requests from now on (null: plain CoAP); exchanges in progress keep the
    /// one they started with. The ACE client uses it after posting a token anew (RFC 9203 §4.3: new nonces, new keys).
    /// </summary>
    /// <param name="context">The new context (the caller disposes the old one when its exchanges are done).</param>
    /// <param name="includeKidContext">Whether requests carry the ID Context as 'kid context' (RFC 8613 §6.1).</param>
    internal void SetOscore(SecurityContext? context, bool includeKidContext) =>
        _oscore = context == null ? null : new OscoreClientSession(
            context, includeKidContext, _options.OscoreOuterBlockSize, _options.OscoreMaxUnfragmentedSize,
            (_options.Settings ?? new CoapSettings()).MaxMessageSize);

    /// <summary>Sends a request, protected with the current OSCORE context unless <paramref name="protect"/> is false.</summary>
    /// <param name="request">The request.</param>
    /// <param name="protect">False to send it in plain CoAP even when a context is set (e.g. POST /authz-info, RFC 9203 §4.1).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response.</returns>
    internal async Task<CoapResponse> SendAsync(CoapRequest request, bool protect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Uri == null)
        {
            throw new ArgumentException("A client request needs a Uri.", nameof(request));
        }

        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            (CoapEndpoint endpoint, IPEndPoint destination) = await EndpointForAsync(request.Proxy ?? request.Uri, cancellationToken).ConfigureAwait(false);
            using var timeout = NewTimeout(cancellationToken);
            CancellationToken token = timeout?.Token ?? cancellationToken;
            ClientExchange x;
            lock (endpoint.Gate)
            {
                x = new ClientExchange(endpoint, endpoint.PeerForRequestLocked(destination), request, ExchangeBlockSzx, false, protect ? _oscore : null);
                x.StartLocked();
            }

            using CancellationTokenRegistration reg = token.CanBeCanceled
                ? token.Register(() => CancelExchange(endpoint, x, cancellationToken))
                : default;
            try
            {
                return await x.Completion.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout != null)
            {
                throw new CoapTimeoutException("no response from " + request.Uri + " within " + _options.Timeout.TotalSeconds + " s", false);
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>
    /// Observes a resource (RFC 7641): yields the first response, then each notification, until the enumeration stops
    /// (which deregisters, RFC 7641 §3.6), the token is cancelled, or the server ends the observation (a response without
    /// Observe, or an error code, is yielded last).
    /// </summary>
    /// <param name="uri">The resource.</param>
    /// <param name="cancellationToken">Stops observing.</param>
    /// <returns>The responses.</returns>
    public IAsyncEnumerable<CoapResponse> ObserveAsync(Uri uri, CancellationToken cancellationToken = default) =>
        ObserveAsync(new CoapRequest(CoapCode.Get, uri), cancellationToken);

    /// <summary>Observes with a custom GET request (Accept, Block2 size...); see <see cref="ObserveAsync(Uri, CancellationToken)"/>.</summary>
    /// <param name="request">The GET request.</param>
    /// <param name="cancellationToken">Stops observing.</param>
    /// <returns>The responses.</returns>
    public async IAsyncEnumerable<CoapResponse> ObserveAsync(CoapRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Uri == null || request.Method != CoapCode.Get)
        {
            throw new ArgumentException("Observe needs a GET request with a Uri (RFC 7641 §2).", nameof(request));
        }

        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        CoapEndpoint? endpoint = null;
        ClientExchange? x = null;
        try
        {
            IPEndPoint destination;
            (endpoint, destination) = await EndpointForAsync(request.Proxy ?? request.Uri, cancellationToken).ConfigureAwait(false);
            lock (endpoint.Gate)
            {
                x = new ClientExchange(endpoint, endpoint.PeerForRequestLocked(destination), request, ExchangeBlockSzx, true, _oscore);
                x.StartLocked();
            }

            var reader = x.Notifications!.Reader;
            using var timeout = NewTimeout(cancellationToken);
            CancellationToken token = timeout?.Token ?? cancellationToken;
            while (true)
            {
                bool more;
                try
                {
                    more = await reader.WaitToReadAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout != null)
                {
                    throw new CoapTimeoutException("observation of " + request.Uri + " ended after " + _options.Timeout.TotalSeconds + " s", false);
                }

                if (!more)
                {
                    yield break;
                }

                while (reader.TryRead(out CoapResponse? r))
                {
                    yield return r;
                }
            }
        }
        finally
        {
            if (endpoint != null && x != null)
            {
                lock (endpoint.Gate)
                {
                    bool registered = x.IsObservingLocked;
                    x.CancelLocked(new OperationCanceledException());
                    if (registered)
                    {
                        x.DeregisterLocked();
                    }
                }
            }

            _slots.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        List<CoapEndpoint> all;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            all = [.. _endpoints.Values, .. _connected.Values];
            if (_shared != null)
            {
                all.Add(_shared);
            }
        }

        foreach (CoapEndpoint e in all)
        {
            e.Dispose();
        }

        if (_shared == null)
        {
            _transport?.Dispose();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void CancelExchange(CoapEndpoint endpoint, ClientExchange x, CancellationToken caller)
    {
        lock (endpoint.Gate)
        {
            x.CancelLocked(new OperationCanceledException(caller.IsCancellationRequested ? caller : CancellationToken.None));
        }
    }

    private CancellationTokenSource? NewTimeout(CancellationToken cancellationToken)
    {
        if (_options.Timeout == System.Threading.Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_options.Timeout);
        return cts;
    }

    private Task AcquireAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // The fast path stays synchronous, so a virtual-clock test sends from its own thread.
        return _slots.Wait(0, CancellationToken.None) ? Task.CompletedTask : _slots.WaitAsync(cancellationToken);
    }

    private async ValueTask<(CoapEndpoint, IPEndPoint)> EndpointForAsync(Uri uri, CancellationToken cancellationToken)
    {
        bool secure = CoapUri.IsSecure(uri);
        if (_transport != null && secure != _transport is DtlsCoapTransport)
        {
            throw new ArgumentException(
                secure ? "'" + uri + "': this client's transport is plain UDP; coaps:// needs PskIdentity and Psk in the options" : "'" + uri + "': this client's transport is DTLS; use coaps://",
                nameof(uri));
        }

        if (secure && (_options.PskIdentity == null || _options.Psk == null) && _transport == null)
        {
            throw new ArgumentException("'" + uri + "': coaps:// needs PskIdentity and Psk in CoapClientOptions", nameof(uri));
        }

        IPEndPoint destination = CoapUri.TryGetLiteral(uri, out IPEndPoint? literal)
            ? literal
            : await CoapUri.ResolveAsync(uri, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_transport != null)
            {
                return (_shared ??= NewEndpoint(_transport), destination);
            }

            bool loopback = IPAddress.IsLoopback(destination.Address);
            if (_options.SocketPerDestination && _options.LocalEndPoint == null)
            {
                // A socket connected to the destination hears the ICMP errors about it (UdpCoapTransport).
                if (!_connected.TryGetValue((destination, secure), out CoapEndpoint? own))
                {
                    IPEndPoint local = new(
                        destination.AddressFamily == AddressFamily.InterNetworkV6
                            ? (loopback ? IPAddress.IPv6Loopback : IPAddress.IPv6Any)
                            : (loopback ? IPAddress.Loopback : IPAddress.Any),
                        0);
                    ICoapTransport udp = new UdpCoapTransport(local, destination, _logger);
                    own = NewEndpoint(secure ? Secure(udp, _options.Dtls ?? DtlsCoapTransportOptions.ForClient()) : udp);
                    _connected.Add((destination, secure), own);
                }

                return (own, destination);
            }

            var key = (destination.AddressFamily, _options.LocalEndPoint == null && loopback, secure);
            if (!_endpoints.TryGetValue(key, out CoapEndpoint? endpoint))
            {
                IPEndPoint bind = _options.LocalEndPoint
                    ?? new IPEndPoint(
                        destination.AddressFamily == AddressFamily.InterNetworkV6
                            ? (loopback ? IPAddress.IPv6Loopback : IPAddress.IPv6Any)
                            : (loopback ? IPAddress.Loopback : IPAddress.Any),
                        0);
                ICoapTransport udp = new UdpCoapTransport(bind, _logger);
                endpoint = NewEndpoint(secure ? Secure(udp, _options.Dtls) : udp);
                _endpoints.Add(key, endpoint);
            }

            return (endpoint, destination);
        }
    }

    // RFC 7252 §9: coaps:// is CoAP over a DTLS session with the destination, here one per (socket, destination).
    private DtlsCoapTransport Secure(ICoapTransport transport, DtlsSettings? settings) => new(transport, new DtlsCoapTransportOptions
    {
        Identity = _options.PskIdentity,
        Psk = _options.Psk,
        Settings = settings,
        Random = _options.Random,
    });

    private CoapEndpoint NewEndpoint(ICoapTransport transport)
    {
        CoapSettings settings = _options.Settings ?? new CoapSettings
        {
            MaxExchanges = _options.MaxConcurrentRequests + 16,
            DeduplicationCapacity = 64,
            OutboxCapacity = 64,
            NonRecordCapacity = 16,
        };
        _logger.LogDebug("CoAP client endpoint on {Local}", transport.LocalEndPoint);
        var endpoint = new CoapEndpoint(transport, settings, _options.Random ?? PlatformRandomSource.Instance, null, _logger, start: false) { Trace = _options.Trace };
        endpoint.Start();
        return endpoint;
    }
}
