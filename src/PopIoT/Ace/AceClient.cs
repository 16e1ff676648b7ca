using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PopIoT.Coap;
using PopIoT.Core.Ace;
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

    /// <summary>
    /// Asks the AS for a token (RFC 9200 §5.8.1) for an audience, over OSCORE with this client's credential.
    /// </summary>
    /// <param name="audience">The audience.</param>
    /// <param name="scope">The scope, or null for the AS's default.</param>
    /// <param name="cnonce">A cnonce from creation hints (RFC 9200 §5.3.1), or null.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>The token response.</returns>
    /// <exception cref="AceAuthorizationException">The AS refused.</exception>
    /// <exception cref="CoapException">The AS's answer was not a usable token response, or the exchange failed.</exception>
    public Task<AceTokenResponse> RequestTokenAsync(string audience, AccessScope? scope, byte[]? cnonce, CancellationToken cancellationToken = default) =>
        RequestTokenAsync(audience, scope, cnonce, null, cancellationToken);

    // updateKid: req_cnf { kid } for an update of access rights (RFC 9202 §4), or null.
    private async Task<AceTokenResponse> RequestTokenAsync(string audience, AccessScope? scope, byte[]? cnonce, byte[]? updateKid, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        Uri tokenUri = new(_credential.AsUri, "/token");
        Report(AceClientEventKind.TokenRequested, null, audience, "POST " + tokenUri + " audience \"" + audience + "\"" + (scope != null ? " scope " + scope : string.Empty));
        Interlocked.Increment(ref _tokenRequests);
        var post = new CoapRequest(CoapCode.Post, tokenUri)
        {
            Payload = AceTokenRequest.Encode(audience, scope?.Encode(), cnonce, updateKid, RpkRequestKey()),
            ContentFormat = CoapContentFormat.AceCbor,
        };
        CoapResponse r = await _as.SendAsync(post, cancellationToken).ConfigureAwait(false);
        byte[] body = r.Payload.ToArray();
        if (r.Code != CoapCode.Created)
        {
            int code = 0;
            string? description = null;
            if (AceErrorResponse.TryParse(body, 0, body.Length, out int c, out string d))
            {
                code = c;
                description = d;
            }
            else if (r.ContentFormat is null or CoapContentFormat.TextPlain && body.Length is > 0 and <= 256)
            {
                // RFC 7252 §5.5.2 diagnostic payload, e.g. OSCORE's "Replay detected" or "Decryption failed" (RFC 8613 §8.2).
                description = System.Text.Encoding.UTF8.GetString(body);
            }

            throw new AceAuthorizationException(_credential.AsUri, r, code, description);
        }

        if (!AceTokenResponse.TryParse(body, audience, out AceTokenResponse? token, out string error))
        {
            throw new CoapException(tokenUri + ": " + error, CoapExchangeFailure.Rejected);
        }

        Report(AceClientEventKind.TokenIssued, null, audience, token!.Token.AccessToken.Length + "-byte token, expires in "
            + (token.ExpiresIn >= 0 ? token.ExpiresIn + " s" : "(not said)") + (token.NarrowedScope != null ? ", scope " + token.Token.Scope + (scope != null ? " (narrowed)" : " (the AS chose it)") : string.Empty));
        return token;
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

    // The server's session, set up or refreshed as needed; null when the server answered the probe without asking for a token.
    private async Task<Session?> SessionAsync(Server server, CoapRequest request, CancellationToken cancellationToken)
    {
        Session? current = Volatile.Read(ref server.Session);
        if (current != null && _options.Time.GetUtcNow() < current.Token.RefreshAt)
        {
            return current;
        }

        await server.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            current = server.Session;
            if (current != null && _options.Time.GetUtcNow() < current.Token.RefreshAt)
            {
                return current;
            }

            string? audience = server.Audience;
            byte[]? cnonce = null;
            AccessScope? hintedScope = null;
            if (audience == null)
            {
                if (_options.Audiences != null && _options.Audiences.TryGetValue(server.Authority, out string? configured))
                {
                    audience = configured;
                }
                else
                {
                    CreationHints? hints = await ProbeAsync(server, request.Uri!, cancellationToken).ConfigureAwait(false);
                    if (hints == null)
                    {
                        return null;
                    }

                    audience = hints.Audience;
                    cnonce = hints.Cnonce;
                    hintedScope = hints.Scope;
                }

                server.Audience = audience;
            }

            if (current != null && await UpdateOverSessionAsync(server, audience, current, cancellationToken).ConfigureAwait(false) is Session updated)
            {
                Volatile.Write(ref server.Session, updated);
                return updated;
            }

            TokenHolder token = await TokenAsync(audience, hintedScope, cnonce, current?.Token, cancellationToken).ConfigureAwait(false);
            IAceSessionClient client;
            try
            {
                client = await PostAsync(server, token, cancellationToken).ConfigureAwait(false);
            }
            catch (AceTokenRejectedException e) when (token.FromCache)
            {
                // A token kept from an earlier run may have expired on the RS's clock or been replaced there: ask for a new one.
                token.Refused = true;
                Report(AceClientEventKind.TokenRefreshed, server.Authority, audience, "the kept token was refused (" + e.Message + "); asking the AS for a new token");
                token = await TokenAsync(audience, hintedScope, cnonce, token, cancellationToken).ConfigureAwait(false);
                client = await PostAsync(server, token, cancellationToken).ConfigureAwait(false);
            }

            var session = new Session(token, client);
            Report(current == null ? AceClientEventKind.TokenPosted : AceClientEventKind.TokenRefreshed, server.Authority, audience, PostedDetail(server, client));
            if (current != null)
            {
                RetireClient(current.Client);
            }

            Volatile.Write(ref server.Session, session);
            return session;
        }
        finally
        {
            server.Lock.Release();
        }
    }

    // The session client is the caller's only once its token is posted; a failed post disposes it (and its key copy).
    private static async Task<IAceSessionClient> PostedAsync<T>(T client, Func<T, CancellationToken, Task> post, CancellationToken cancellationToken)
        where T : IAceSessionClient
    {
        try
        {
            await post(client, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private async Task<IAceSessionClient> PostAsync(Server server, TokenHolder token, CancellationToken cancellationToken)
    {
        if (token.File.Profile == AceProfile.CoapDtls)
        {
            return await PostDtlsAsync(server, token.File, cancellationToken).ConfigureAwait(false);
        }

        var rsOptions = new AceOscoreClientOptions { Coap = CopyOf(_options.Coap), Crypto = _crypto };
        AceOscoreClient client = _options.TransportFactory == null
            ? new AceOscoreClient(token.File, server.BaseUri, rsOptions)
            : new AceOscoreClient(token.File, server.BaseUri, _options.TransportFactory(), rsOptions);
        return await PostedAsync(client, (c, ct) => c.PostTokenAsync(ct), cancellationToken).ConfigureAwait(false);
    }

    // RFC 9200 §5.3: an unprotected GET (no payload, so nothing leaks) to a protected resource gets 4.01 with the AS
    // Request Creation Hints; the AS they name must be the one this client holds a credential for.
    private async Task<CreationHints?> ProbeAsync(Server server, Uri uri, CancellationToken cancellationToken)
    {
        uri = PlainUri(uri);
        CoapResponse r = await _plain.Value.SendAsync(new CoapRequest(CoapCode.Get, uri), cancellationToken).ConfigureAwait(false);
        if (r.Code != CoapCode.Unauthorized)
        {
            return null;
        }

        byte[] body = r.Payload.ToArray();
        AsCreationHints? hints = AsCreationHints.TryParse(body, 0, body.Length);
        if (hints == null || string.IsNullOrEmpty(hints.Audience))
        {
            throw new CoapException(uri + ": 4.01 without AS Request Creation Hints naming an audience (RFC 9200 §5.3)", CoapExchangeFailure.Rejected);
        }

        if (!SameAs(hints.AsUri))
        {
            throw new CoapException(uri + ": the server's hints name the AS " + hints.AsUri + ", but this client's credential is for " + _credential.AsUri, CoapExchangeFailure.Rejected);
        }

        AccessScope? scope = null;
        if (hints.ScopeBytes != null)
        {
            try
            {
                scope = AccessScope.Decode(hints.ScopeBytes);
            }
            catch (FormatException)
            {
                // A scope hint this client cannot read is only a hint (RFC 9200 §5.3): ask for the default scope.
            }
        }

        Report(AceClientEventKind.HintsReceived, server.Authority, hints.Audience, "4.01 from " + uri + " names AS " + hints.AsUri + " and audience \"" + hints.Audience + "\""
            + (hints.Cnonce != null ? " with a cnonce (the server has no clock)" : string.Empty));
        return new CreationHints(hints.Audience, hints.Cnonce, scope);
    }

    private bool SameAs(string? hinted)
    {
        if (hinted == null || !Uri.TryCreate(hinted, UriKind.Absolute, out Uri? u))
        {
            return false;
        }

        Uri mine = _credential.AsUri;
        return u.Scheme == mine.Scheme && u.Port == mine.Port && string.Equals(u.IdnHost, mine.IdnHost, StringComparison.OrdinalIgnoreCase);
    }

    // One token per audience, shared by the servers of that audience; a new one when it nears expiry or when the
    // caller's session used the cached one and it was refused (stale is then that token).
    private async Task<TokenHolder> TokenAsync(string audience, AccessScope? hintedScope, byte[]? cnonce, TokenHolder? stale, CancellationToken cancellationToken)
    {
        TokenSlot slot = _tokens.GetOrAdd(audience, _ => new TokenSlot());
        await slot.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            TokenHolder? cached = slot.Current;
            DateTimeOffset now = _options.Time.GetUtcNow();
            if (cached != null && cnonce == null && !ReferenceEquals(cached, stale) && !cached.Refused && now < cached.RefreshAt)
            {
                return cached;
            }

            AccessScope? scope = _options.Scopes != null && _options.Scopes.TryGetValue(audience, out AccessScope? s) ? s : _options.Scope ?? hintedScope;

            // A token kept by an earlier run, unless a cnonce asks for a fresh one (RFC 9200 §5.3.1) or it was just refused.
            if (cached == null && stale == null && cnonce == null && _options.TokenCache?.Load(audience, out DateTimeOffset issued) is AccessTokenFile kept)
            {
                var reused = new TokenHolder(kept, issued, kept.ExpiresIn ?? -1, _options) { FromCache = true };
                if (now < reused.RefreshAt && (scope == null || kept.Scope?.ToString() == scope.ToString()) && FitsMode(kept))
                {
                    slot.Current = reused;
                    Report(AceClientEventKind.TokenReused, null, audience, "the token kept from an earlier run, issued " + issued.ToString("u", System.Globalization.CultureInfo.InvariantCulture) + (kept.ExpiresIn is long e ? ", expires in " + (long)(issued.AddSeconds(e) - now).TotalSeconds + " s" : string.Empty));
                    return reused;
                }
            }

            AceTokenResponse response = await RequestTokenAsync(audience, scope, cnonce, cancellationToken).ConfigureAwait(false);
            var holder = new TokenHolder(response.Token, now, response.ExpiresIn, _options);
            slot.Current = holder;
            if (_options.TokenCache != null && cnonce == null)
            {
                try
                {
                    _options.TokenCache.Save(audience, response.Token, now);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Report(AceClientEventKind.TokenIssued, null, audience, "the token cannot be kept for the next run: " + e.Message);
                }
            }

            return holder;
        }
        finally
        {
            slot.Lock.Release();
        }
    }

    private void Retire(Server server, Session session, string why)
    {
        session.Token.Refused = true;
        if (Interlocked.CompareExchange(ref server.Session, null, session) == session)
        {
            RetireClient(session.Client);
        }

        Report(AceClientEventKind.TokenRefreshed, server.Authority, server.Audience, why + "; asking the AS for a new token");
    }

    // Exchanges that began on the old client may still be waiting for it: dispose it only later (bounded list).
    private void RetireClient(IAceSessionClient client)
    {
        lock (_retired)
        {
            _retired.Add(client);
            if (_retired.Count > 16)
            {
                _retired[0].Dispose();
                _retired.RemoveAt(0);
            }
        }
    }

    private void Report(AceClientEventKind kind, string? server, string? audience, string detail) =>
        _options.Events?.Invoke(new AceClientEvent(kind, server, audience, detail));

    private sealed record CreationHints(string Audience, byte[]? Cnonce, AccessScope? Scope);

    private sealed class Server(string authority, Uri baseUri)
    {
        public readonly SemaphoreSlim Lock = new(1, 1);
        public Session? Session;

        public string Authority { get; } = authority;

        public Uri BaseUri { get; } = baseUri;

        public string? Audience { get; set; }
    }

    private sealed record Session(TokenHolder Token, IAceSessionClient Client);

    private sealed class TokenSlot
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);

        public TokenHolder? Current { get; set; }
    }

    private sealed class TokenHolder
    {
        public TokenHolder(AccessTokenFile file, DateTimeOffset issued, long expiresIn, AceClientOptions options)
        {
            File = file;
            if (expiresIn < 0)
            {
                RefreshAt = DateTimeOffset.MaxValue;
                return;
            }

            var lifetime = TimeSpan.FromSeconds(expiresIn);
            TimeSpan margin = TimeSpan.FromTicks(Math.Max((long)(lifetime.Ticks * options.RefreshFraction), options.MinimumRefreshMargin.Ticks));
            RefreshAt = margin >= lifetime ? issued : issued + lifetime - margin;
        }

        public AccessTokenFile File { get; }

        public DateTimeOffset RefreshAt { get; }

        public bool Refused { get; set; }

        public bool FromCache { get; init; }
    }
}
