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
/// from OSCORE (RFC 8613 §8.2). The contexts follow the registry: before each request the server checks the store's
/// registry version and adds the contexts of clients and resource servers registered since, and drops (erasing their
/// keys) those removed or re-keyed, so admin commands take effect at once. The AS's sequence numbers are kept in the
/// store and its replay windows start unknown, so the first request of each peer after a start (or a registration)
/// proves freshness with Echo (RFC 8613 Appendix B.1). Every request OSCORE refuses is logged with its reason. A client
/// that lost its sequence number re-keys with the AS (RFC 8613 Appendix B.2) when its registration allows it.
/// </summary>
public sealed partial class AceAuthorizationServer : IDisposable
{
    private readonly IAuthorizationStore _store;
    private readonly RegistryCache _registry;
    private readonly ICryptoProvider _crypto;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    // Room for every registered peer plus growth while serving; a slot is one reference, and a full table would evict.
    private const int MinContextSlots = 1024;

    private readonly Dictionary<SecurityContext, AcePeer> _peers = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<SecurityContext, string> _senderIds = new(ReferenceEqualityComparer.Instance);
    private OscoreContextTable? _table;
    private string? _registryVersion;
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
        _time = time ?? TimeProvider.System;
        _registry = new RegistryCache(store);
        Token = new TokenEndpoint(store, _registry, crypto, time ?? TimeProvider.System, settings, _logger);
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

        _table = new OscoreContextTable(Math.Max(MinContextSlots, 2 * (_store.ListClients().Count + _store.ListResourceServers().Count)));
        Refresh();

        // Unprotected requests reach the endpoints too, so they get an ACE error map (invalid_client) and not a bare 4.01.
        // Every response has the AS's own Partial IV (RFC 8613 §8.3): instances sharing one database keep a replay window
        // each, so a request replayed to a second instance must not be answered under the first one's nonce; the
        // instances' Sender Sequence Numbers are disjoint (StoreSequenceNumberStore claims blocks).
        _server = new CoapServer(
            new CoapServerOptions { Oscore = _table, AllowUnprotected = true, MaxBodySize = AceRequestMap.MaxBodyBytes, OscoreRefresh = Refresh, OscoreRefused = LogRefusal, OscoreRekeying = NewRekeying(), OscoreFreshPartialIv = true },
            _logger);
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
        _table?.Clear();
        _peers.Clear();
        _senderIds.Clear();
        _clientsByKid.Clear();
    }

    // Called before each request is verified (under the server's lock) and once at start: the registry's version (read
    // from the database at most every RegistryVersionMaxAge of the store) says whether anything was registered, removed or
    // re-keyed; only then are the contexts brought in line with the registry.
    private void Refresh()
    {
        string version;
        try
        {
            version = _registry.Version();
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or AuthorizationStoreException or InvalidOperationException)
        {
            _logger.LogWarning("cannot read the registry, serving with the contexts loaded before: {Reason}", e.Message);
            return;
        }

        if (version == _registryVersion)
        {
            return;
        }

        var wanted = new Dictionary<string, (AcePeer Peer, OscoreCredential Credential)>(StringComparer.Ordinal);
        _clientsByKid.Clear();
        foreach (ClientRecord c in _store.ListClients())
        {
            var peer = new AcePeer(false, c.ClientId);
            wanted[peer.StoreKey] = (peer, c.Credential);
            _clientsByKid[Convert.ToHexStringLower(c.Credential.PeerSenderId)] = (peer, c.Credential, c.Rekeying);
        }

        foreach (ResourceServerRecord r in _store.ListResourceServers())
        {
            if (r.Credential != null)
            {
                var peer = new AcePeer(true, r.Audience);
                wanted[peer.StoreKey] = (peer, r.Credential);
            }
        }

        foreach (KeyValuePair<SecurityContext, AcePeer> held in _peers.ToList())
        {
            if (wanted.TryGetValue(held.Value.StoreKey, out var w) && _senderIds[held.Key] == SenderIds(w.Credential))
            {
                wanted.Remove(held.Value.StoreKey);
                continue;
            }

            // Removed or re-keyed: its keys are erased and its requests now get 4.01 (RFC 8613 §8.2).
            _peers.Remove(held.Key);
            _senderIds.Remove(held.Key);
            _table!.Remove(held.Key);
            if (_registryVersion != null)
            {
                _logger.LogInformation("{Peer} {Change}: its old OSCORE context is dropped", held.Value, wanted.ContainsKey(held.Value.StoreKey) ? "was re-keyed" : "was removed");
            }
        }

        foreach ((AcePeer peer, OscoreCredential credential) in wanted.Values)
        {
            AddPeer(peer, credential);
            if (_registryVersion != null)
            {
                _logger.LogInformation("{Peer} registered: its OSCORE context is loaded", peer);
            }
        }

        _registryVersion = version;
    }

    private void AddPeer(AcePeer peer, OscoreCredential k)
    {
        var context = new SecurityContext(
            _crypto, k.MasterSecret, k.MasterSalt, k.AsSenderId, k.PeerSenderId, k.IdContext!,
            new SecurityContextOptions { Algorithm = k.Algorithm, ReplayWindowUnknown = true, SequenceNumberStore = new StoreSequenceNumberStore(_store, peer.StoreKey) });
        _peers[context] = peer;
        _senderIds[context] = SenderIds(k);
        SecurityContext? dropped = _table!.Add(context);
        if (dropped != null)
        {
            _logger.LogWarning("the OSCORE context table is full: the least recently used context was dropped for {Peer}", peer);
            _peers.Remove(dropped);
            _senderIds.Remove(dropped);
        }
    }

    private static string SenderIds(OscoreCredential k) =>
        Convert.ToHexStringLower(k.PeerSenderId) + "/" + Convert.ToHexStringLower(k.AsSenderId) + "/" + (k.IdContext == null ? "-" : Convert.ToHexStringLower(k.IdContext));

    // RFC 8613 §8.2, §7.4: the client got only a code and a short diagnostic; the operator gets who and why.
    private void LogRefusal(OscoreRefusal r)
    {
        string kid = Convert.ToHexStringLower(r.Kid);
        AcePeer? peer = _peers.FirstOrDefault(p => _senderIds[p.Key].StartsWith(kid + "/", StringComparison.Ordinal)).Value;
        string who = peer?.ToString() ?? "an unknown sender (kid " + (kid.Length == 0 ? "none" : kid) + ")";
        string reason = r.Status switch
        {
            OscoreStatus.SecurityContextNotFound => "4.01 Security context not found: no registered client or resource server has this kid (not registered, removed or re-keyed)",
            OscoreStatus.ReplayDetected => "4.01 Replay detected: Sender Sequence Number " + r.PartialIv + " was already used (RFC 8613 §7.4); a client that lost its .seq file must be re-keyed (`popiot as client rotate`) or continue above every number it used (`--seq N`)",
            OscoreStatus.DecryptionFailed => "4.00 Decryption failed: the request was not protected with the registered key (a wrong or outdated credential file?)",
            OscoreStatus.MessageTooLarge => "4.13 the request is too large for OSCORE",
            _ => "4.02 Failed to decode COSE: the OSCORE option or payload is malformed",
        };
        _logger.LogWarning("request from {Peer} at {Address} refused by OSCORE: {Reason}", who, r.Peer, reason);
    }

    private AcePeer? PeerOf(CoapRequest request) =>
        request.OscoreContext != null && _peers.TryGetValue(request.OscoreContext, out AcePeer? p) ? p : null;

    private static AceResponse? CheckFormat(CoapRequest request) =>
        request.ContentFormat is int cf && cf != CoapContentFormat.AceCbor
            ? AceResponse.Failure(AceErrorCode.InvalidRequest, "Content-Format must be application/ace+cbor (19), not " + cf)
            : null;

    private async ValueTask<CoapResponse> HandleTokenAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        long start = _time.GetTimestamp();
        AceResponse? r = CheckFormat(request);
        if (r != null)
        {
            AuthorizationServerMetrics.TokenRefused(AceResponse.ErrorName(r.Error ?? 0));
        }
        else
        {
            try
            {
                r = await Token.HandleAsync(PeerOf(request), request.Payload.ToArray(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                AuthorizationServerMetrics.Request("token", _time.GetElapsedTime(start), e.GetType().Name);
                throw;
            }
        }

        AuthorizationServerMetrics.Request("token", _time.GetElapsedTime(start), r.Error is int error ? AceResponse.ErrorName(error) : null);
        return new CoapResponse(r.Code, r.Payload, AceResponse.ContentFormat);
    }

    private ValueTask<CoapResponse> HandleIntrospectAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        long start = _time.GetTimestamp();
        AceResponse? r = CheckFormat(request);
        if (r != null)
        {
            AuthorizationServerMetrics.Introspection("refused", AceResponse.ErrorName(r.Error ?? 0));
        }
        else
        {
            r = Introspection.Handle(PeerOf(request), request.Payload.ToArray());
        }

        AuthorizationServerMetrics.Request("introspect", _time.GetElapsedTime(start), r.Error is int error ? AceResponse.ErrorName(error) : null);
        return ValueTask.FromResult(new CoapResponse(r.Code, r.Payload, AceResponse.ContentFormat));
    }
}
