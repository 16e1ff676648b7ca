using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;

namespace PopIoT.Ace;

/// <summary>
/// The gateway side of ACE (RFC 9200) with the OSCORE profile (RFC 9203), for many resource servers at once:
/// <list type="number">
/// <item>it learns a server's audience from configuration, or from the AS Request Creation Hints of a 4.01 answer to
/// an unprotected GET (RFC 9200 §5.3), and then asks the AS those hints name;</item>
/// <item>it gets a token from the AS's /token endpoint over OSCORE with the client's credential (RFC 9200 §5.8,
/// RFC 9203 §5), and keeps it for its audience until it nears expiry;</item>
/// <item>it posts the token to each server's /authz-info and talks OSCORE with it (<see cref="AceOscoreClient"/>),
/// posting again when a server lost the context (eviction, restart);</item>
/// <item>when a token nears its expiry, or a server refuses it, it gets a new one and carries on.</item>
/// </list>
/// When the AS issues a coap_dtls token (the client is registered with that profile, RFC 9200 §5.8.4.3), the same steps
/// open one DTLS session per server with the token's PSK (<see cref="AceDtlsClient"/>) or, with a key pair, raw public keys (<see cref="AceRpkClient"/>; RFC 9202), reuse it, and
/// before the token expires post a new token for the same key over it (RFC 9202 §4).
/// Safe for concurrent use; one <see cref="AceOscoreClient"/> per server.
/// </summary>
/// <example>
/// <code>
/// await using var gw = new AceClient(AceCredentialFile.Load("gw1.json"));
/// CoapResponse r = await gw.GetAsync(new Uri("coap://127.0.0.1:5683/temp"));
/// </code>
/// </example>
public sealed partial class AceClient : IAsyncDisposable, IDisposable
{
    private readonly AceCredentialFile _credential;
    private readonly AceClientOptions _options;
    private readonly ICryptoProvider _crypto;
    private readonly SecurityContext _asContext;
    private readonly CoapClient _as;
    private readonly Lazy<CoapClient> _plain;
    private readonly ConcurrentDictionary<string, Server> _servers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, TokenSlot> _tokens = new(StringComparer.Ordinal);
    private readonly List<IAceSessionClient> _retired = [];
    private int _tokenRequests;
    private int _disposed;

    /// <summary>Creates a client with the credential the AS wrote for it (<c>popiot as client add --credential-out</c>).</summary>
    /// <param name="credential">The client id, the AS URI and the OSCORE context shared with the AS.</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    public AceClient(AceCredentialFile credential, AceClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        if (credential.ClientId == null)
        {
            throw new ArgumentException("this credential file is a resource server's (\"audience\"), not a client's (\"client_id\")", nameof(credential));
        }

        _credential = credential;
        _options = options ?? new AceClientOptions();
        if (_options.Coap?.Oscore != null)
        {
            throw new ArgumentException("the ACE client makes its own OSCORE contexts; leave CoapClientOptions.Oscore null", nameof(options));
        }

        if (_options.RefreshFraction is < 0 or >= 1)
        {
            throw new ArgumentException("RefreshFraction must be at least 0 and below 1", nameof(options));
        }

        _crypto = _options.Crypto ?? PlatformCryptoProvider.Instance;
        _asContext = _options.AsContext ?? credential.Oscore.CreateContext(_crypto, false, _options.AsSequenceNumberStore);
        CoapClientOptions asOptions = CopyOf(_options.Coap);
        asOptions.Oscore = _asContext;

        // RFC 8613 Appendix B.2 step 3: request #2 carries R2 || R3 as 'kid context', so the AS can find its candidate.
        asOptions.OscoreIncludeKidContext |= _options.AsContext != null && _options.AsContext.HasIdContext;
        _as = NewCoapClient(asOptions);
        _plain = new Lazy<CoapClient>(() => NewCoapClient(CopyOf(_options.Coap)), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The AS this client gets its tokens from.</summary>
    public Uri AuthorizationServer => _credential.AsUri;

    /// <summary>How many tokens were asked from the AS so far.</summary>
    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    /// <summary>GET under OSCORE, with whatever token and context it takes.</summary>
    /// <param name="uri">The resource.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>The response.</returns>
    public Task<CoapResponse> GetAsync(Uri uri, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Get, uri), cancellationToken);

    /// <summary>PUT under OSCORE.</summary>
    /// <param name="uri">The resource.</param>
    /// <param name="payload">The body.</param>
    /// <param name="contentFormat">The Content-Format, or null.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>The response.</returns>
    public Task<CoapResponse> PutAsync(Uri uri, ReadOnlyMemory<byte> payload, int? contentFormat = null, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Put, uri) { Payload = payload, ContentFormat = contentFormat }, cancellationToken);

    /// <summary>
    /// Sends a request under OSCORE. The first request to a server sets up its token and context; a token near expiry is
    /// replaced first; a token the server refuses (expired on its clock, revoked) is replaced once and the request retried.
    /// </summary>
    /// <param name="request">The request; its URI names the resource server.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>The response (any code; 4.03 means the token's scope does not cover the resource, 4.05 that it does not cover the method (RFC 9200 §5.10.2)).</returns>
    /// <exception cref="AceAuthorizationException">The AS refused to issue a token.</exception>
    /// <exception cref="AceTokenRejectedException">The server refused a freshly issued token, or is still full or
    /// rate-limiting after the waits the client allows (<see cref="AceTokenRejectedException.RetryAfter"/> set).</exception>
    /// <exception cref="CoapException">The exchange failed, or the server's hints name an AS this client has no credential for.</exception>
    public async Task<CoapResponse> SendAsync(CoapRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Server server = ServerOf(request.Uri ?? throw new ArgumentException("the request needs a Uri", nameof(request)));
        for (int attempt = 0; ; attempt++)
        {
            Session? session = await SessionAsync(server, request, cancellationToken).ConfigureAwait(false);
            if (session == null)
            {
                // The server answered the unprotected probe: this resource needs no token (RFC 9200 §5.3 does not apply).
                return await _plain.Value.SendAsync(request.WithUri(PlainUri(request.Uri!)), cancellationToken).ConfigureAwait(false);
            }

            CoapResponse r;
            try
            {
                r = await session.Client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (CoapException e) when (attempt == 0 && Reconnects(session.Client, e))
            {
                // RFC 9202 §3.3: the RS ended the handshake (e.g. illegal_parameter: it no longer knows the token's kid
                // after a reboot) or the session: reconnect with a token it takes.
                Retire(server, session, "the DTLS session with the resource server failed (" + e.Message + ")");
                continue;
            }
            catch (AceTokenRejectedException e) when (attempt == 0 && e.RetryAfter == null)
            {
                // A 5.03 / 4.29 (RetryAfter set) says "later", not "bad token": AceOscoreClient already waited Max-Age
                // as far as its options allow, so that one reaches the caller and the token is kept.
                // The server refused the token it had accepted before (expired on its clock, or the context is gone and the
                // re-post failed): the next attempt asks the AS for a new one.
                Retire(server, session, "the resource server refused the token (" + (e.Description ?? e.Response.CodeText) + ")");
                continue;
            }

            if (attempt == 0 && r.Code == CoapCode.Unauthorized && r.GetOption(CoapOptionNumber.Oscore) == null)
            {
                // Still unprotected 4.01 after AceOscoreClient's own re-post: the token is no good any more.
                Retire(server, session, "the resource server answered 4.01 after the token was posted again");
                continue;
            }

            return r;
        }
    }

    /// <summary>Observes a resource under OSCORE (RFC 7641, RFC 8613 §4.1.3.5).</summary>
    /// <param name="uri">The resource.</param>
    /// <param name="cancellationToken">Stops observing.</param>
    /// <returns>The first response and the notifications.</returns>
    public async IAsyncEnumerable<CoapResponse> ObserveAsync(Uri uri, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        Server server = ServerOf(uri);
        Session? session = await SessionAsync(server, new CoapRequest(CoapCode.Get, uri), cancellationToken).ConfigureAwait(false);
        if (session == null)
        {
            await foreach (CoapResponse r in _plain.Value.ObserveAsync(PlainUri(uri), cancellationToken).ConfigureAwait(false))
            {
                yield return r;
            }

            yield break;
        }

        await foreach (CoapResponse r in session.Client.ObserveAsync(uri, cancellationToken).ConfigureAwait(false))
        {
            yield return r;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (Server s in _servers.Values)
        {
            s.Session?.Client.Dispose();
            s.Lock.Dispose();
        }

        lock (_retired)
        {
            foreach (IAceSessionClient c in _retired)
            {
                c.Dispose();
            }

            _retired.Clear();
        }

        foreach (TokenSlot t in _tokens.Values)
        {
            t.Lock.Dispose();
        }

        _as.Dispose();
        _asContext.Dispose();
        if (_plain.IsValueCreated)
        {
            _plain.Value.Dispose();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static CoapClientOptions CopyOf(CoapClientOptions? o) => o == null ? new CoapClientOptions() : new CoapClientOptions
    {
        Settings = o.Settings,
        MaxConcurrentRequests = o.MaxConcurrentRequests,
        Timeout = o.Timeout,
        BlockSize = o.BlockSize,
        LocalEndPoint = o.LocalEndPoint,
        Random = o.Random,
        OscoreOuterBlockSize = o.OscoreOuterBlockSize,
        OscoreMaxUnfragmentedSize = o.OscoreMaxUnfragmentedSize,
    };

    private CoapClient NewCoapClient(CoapClientOptions options) =>
        _options.TransportFactory == null ? new CoapClient(options) : new CoapClient(_options.TransportFactory(), options);

    private Server ServerOf(Uri uri)
    {
        if (!uri.IsAbsoluteUri || uri.Scheme is not ("coap" or "coaps"))
        {
            throw new ArgumentException("a coap:// or coaps:// URI is needed: " + uri, nameof(uri));
        }

        string authority = uri.Authority;
        return _servers.GetOrAdd(authority, a => new Server(a, new Uri(uri.GetLeftPart(UriPartial.Authority))));
    }

    private void Report(AceClientEventKind kind, string? server, string? audience, string detail) =>
        _options.Events?.Invoke(new AceClientEvent(kind, server, audience, detail));
}
