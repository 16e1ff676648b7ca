using PopIoT.Core.Ace;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Endpoints;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;

namespace PopIoT.AuthorizationServer;

/// <summary>
/// The authorization server on CoAP: POST /token and POST /introspect with application/ace+cbor, behind OSCORE with one
/// context per registered client and RS (RFC 9203 §5). The context that verified a request names its sender; a request
/// without OSCORE reaches the endpoint unauthenticated and gets invalid_client, one with an unknown context gets 4.01
/// from OSCORE (RFC 8613 §8.2). Contexts are loaded when the server starts; the AS's sequence numbers are kept in the
/// store and its replay windows start unknown, so the first request of each peer after a start proves freshness with
/// Echo (RFC 8613 Appendix B.1).
/// </summary>
public sealed class AceAuthorizationServer : IDisposable
{
    private readonly IAuthorizationStore _store;
    private readonly ICryptoProvider _crypto;
    private readonly ILogger _logger;
    private readonly Dictionary<SecurityContext, AcePeer> _peers = new(ReferenceEqualityComparer.Instance);
    private readonly List<SecurityContext> _contexts = [];
    private CoapServer? _server;

    /// <summary>Creates the server (not yet listening).</summary>
    /// <param name="store">Registries, policy and tokens.</param>
    /// <param name="settings">Settings.</param>
    /// <param name="crypto">Crypto and randomness.</param>
    /// <param name="time">The AS clock, or null for the system clock.</param>
    /// <param name="logger">Where to log (never keys).</param>
    public AceAuthorizationServer(IAuthorizationStore store, AuthorizationServerSettings settings, ICryptoProvider crypto, TimeProvider? time = null, ILogger? logger = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _crypto = crypto ?? throw new ArgumentNullException(nameof(crypto));
        _logger = logger ?? NullLogger.Instance;
        Token = new TokenEndpoint(store, crypto, time ?? TimeProvider.System, settings, _logger);
        Introspection = new IntrospectionEndpoint(store, time ?? TimeProvider.System, _logger);
    }

    /// <summary>The token endpoint.</summary>
    public TokenEndpoint Token { get; }

    /// <summary>The introspection endpoint.</summary>
    public IntrospectionEndpoint Introspection { get; }

    /// <summary>The address listened on, once started.</summary>
    public IPEndPoint? LocalEndPoint => _server?.LocalEndPoint;

    /// <summary>Loads the peers' contexts and starts serving on UDP.</summary>
    /// <param name="bind">Address and port (0 for an ephemeral port).</param>
    /// <returns>The address bound.</returns>
    public IPEndPoint Start(IPEndPoint bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        if (_server != null)
        {
            throw new InvalidOperationException("Already started.");
        }

        foreach (ClientRecord c in _store.ListClients())
        {
            AddPeer(new AcePeer(false, c.ClientId), c.Credential);
        }

        foreach (ResourceServerRecord r in _store.ListResourceServers())
        {
            if (r.Credential != null)
            {
                AddPeer(new AcePeer(true, r.Audience), r.Credential);
            }
        }

        var table = new OscoreContextTable(Math.Max(1, _contexts.Count));
        foreach (SecurityContext context in _contexts)
        {
            table.Add(context);
        }

        // Unprotected requests reach the endpoints too, so they get an ACE error map (invalid_client) and not a bare 4.01.
        _server = new CoapServer(new CoapServerOptions { Oscore = table, AllowUnprotected = true, MaxBodySize = AceRequestMap.MaxBodyBytes }, _logger);
        _server.Map("/token", CoapMethods.Post, HandleTokenAsync, contentFormat: CoapContentFormat.AceCbor);
        _server.Map("/introspect", CoapMethods.Post, HandleIntrospectAsync, contentFormat: CoapContentFormat.AceCbor);
        IPEndPoint at = _server.Start(bind);
        _logger.LogInformation("authorization server on {Endpoint} with {Peers} clients and resource servers", at, _peers.Count);
        return at;
    }

    /// <summary>Stops serving and erases the OSCORE keys.</summary>
    public void Dispose()
    {
        _server?.Dispose();
        foreach (SecurityContext c in _contexts)
        {
            c.Dispose();
        }

        _contexts.Clear();
        _peers.Clear();
    }

    private void AddPeer(AcePeer peer, OscoreCredential k)
    {
        var context = new SecurityContext(
            _crypto, k.MasterSecret, k.MasterSalt, k.AsSenderId, k.PeerSenderId, null!,
            new SecurityContextOptions { Algorithm = k.Algorithm, ReplayWindowUnknown = true, SequenceNumberStore = new StoreSequenceNumberStore(_store, peer.StoreKey) });
        _contexts.Add(context);
        _peers[context] = peer;
    }

    private AcePeer? PeerOf(CoapRequest request) =>
        request.OscoreContext != null && _peers.TryGetValue(request.OscoreContext, out AcePeer? p) ? p : null;

    private static AceResponse? CheckFormat(CoapRequest request) =>
        request.ContentFormat is int cf && cf != CoapContentFormat.AceCbor
            ? AceResponse.Failure(AceErrorCode.InvalidRequest, "Content-Format must be application/ace+cbor (19), not " + cf)
            : null;

    private async ValueTask<CoapResponse> HandleTokenAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        AceResponse r = CheckFormat(request) ?? await Token.HandleAsync(PeerOf(request), request.Payload.ToArray(), cancellationToken).ConfigureAwait(false);
        return new CoapResponse(r.Code, r.Payload, AceResponse.ContentFormat);
    }

    private ValueTask<CoapResponse> HandleIntrospectAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        AceResponse r = CheckFormat(request) ?? Introspection.Handle(PeerOf(request), request.Payload.ToArray());
        return ValueTask.FromResult(new CoapResponse(r.Code, r.Payload, AceResponse.ContentFormat));
    }
}
