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
/// The client side of the ACE OSCORE profile (RFC 9203) for one access token and one resource server:
/// <list type="number">
/// <item>POST the token to /authz-info with a fresh random nonce1 and the client's Recipient ID (RFC 9203 §4.1), in
/// Block1 blocks when it is large (RFC 7959);</item>
/// <item>read nonce2 and the RS's Recipient ID from the 2.01 (§4.2) and derive the OSCORE context (§4.3);</item>
/// <item>send requests protected with it (RFC 8613); Observe works too.</item>
/// </list>
/// When a protected request gets an unprotected 4.01 (the RS evicted the context, restarted, or never had it), the
/// client posts the token again with fresh nonces, so fresh keys, and retries the request once. When /authz-info
/// answers 5.03 or 4.29 with Max-Age (its table is full of clients in use, or a rate limit, RFC 9200 §5.10.1.2), the
/// client waits Max-Age and posts again, within <see cref="AceOscoreClientOptions.MaxRetryWait"/>. Safe for concurrent use.
/// </summary>
/// <example>
/// <code>
/// await using var ace = new AceOscoreClient(AccessTokenFile.Load("t.json"), new Uri("coap://127.0.0.1"));
/// CoapResponse r = await ace.GetAsync(new Uri("coap://127.0.0.1/temp"));
/// </code>
/// </example>
public sealed class AceOscoreClient : IDisposable, IAsyncDisposable, IAceSessionClient
{
    private const int MaxRetired = 4;

    private readonly AccessTokenFile _token;
    private readonly Uri _authzInfo;
    private readonly AceOscoreClientOptions _options;
    private readonly CoapClient _client;
    private readonly ICryptoProvider _crypto;
    private readonly SemaphoreSlim _posting = new(1, 1);
    private readonly List<SecurityContext> _retired = [];
    private SecurityContext? _context;
    private int _generation;
    private int _posts;

    /// <summary>Creates a client that talks UDP to the RS.</summary>
    /// <param name="token">The token and its key material (TOKEN.json).</param>
    /// <param name="resourceServer">The RS: coap://host[:port]; /authz-info is posted there.</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    public AceOscoreClient(AccessTokenFile token, Uri resourceServer, AceOscoreClientOptions? options = null)
        : this(token, resourceServer, options, null)
    {
    }

    /// <summary>Creates a client on a given transport, e.g. one of a <see cref="LossyNetwork"/>.</summary>
    /// <param name="token">The token and its key material.</param>
    /// <param name="resourceServer">The RS's address as a coap:// URI.</param>
    /// <param name="transport">The transport (owned by the client from now on).</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    public AceOscoreClient(AccessTokenFile token, Uri resourceServer, ICoapTransport transport, AceOscoreClientOptions? options = null)
        : this(token, resourceServer, options, transport ?? throw new ArgumentNullException(nameof(transport)))
    {
    }

    private AceOscoreClient(AccessTokenFile token, Uri resourceServer, AceOscoreClientOptions? options, ICoapTransport? transport)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(resourceServer);
        _options = options ?? new AceOscoreClientOptions();
        if (_options.Coap?.Oscore != null)
        {
            throw new ArgumentException("the ACE client derives its own OSCORE context; leave CoapClientOptions.Oscore null", nameof(options));
        }

        if (_options.Nonce1Length is < 8 or > 32)
        {
            throw new ArgumentException("Nonce1Length must be 8..32 bytes (RFC 9203 §4.1)", nameof(options));
        }

        _token = token;
        _authzInfo = new Uri(resourceServer, _options.AuthzInfoPath);
        _crypto = _options.Crypto ?? PlatformCryptoProvider.Instance;
        _client = transport == null ? new CoapClient(_options.Coap) : new CoapClient(transport, _options.Coap);
    }

    /// <summary>The current OSCORE context, or null before the token was posted.</summary>
    public SecurityContext? Context => Volatile.Read(ref _context);

    /// <summary>How many times the token was posted to /authz-info (1 + the re-posts after a 4.01).</summary>
    public int TokenPosts => Volatile.Read(ref _posts);

    /// <summary>The RS's Recipient ID of the current context (ace_server_recipientid): the kid of our requests.</summary>
    public byte[]? ServerRecipientId { get; private set; }

    /// <summary>
    /// Posts the token to /authz-info with a fresh nonce1 and Recipient ID and derives a new context (RFC 9203 §4.1–§4.3).
    /// </summary>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>The 2.01 response.</returns>
    /// <exception cref="AceTokenRejectedException">The RS refused the token; the exception carries its reason.</exception>
    /// <exception cref="CoapException">The 2.01 was malformed, or the exchange failed.</exception>
    public async Task<CoapResponse> PostTokenAsync(CancellationToken cancellationToken = default)
    {
        await _posting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await PostLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _posting.Release();
        }
    }

    /// <summary>GET under OSCORE.</summary>
    /// <param name="uri">The resource on this RS.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response.</returns>
    public Task<CoapResponse> GetAsync(Uri uri, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Get, uri), cancellationToken);

    /// <summary>PUT under OSCORE.</summary>
    /// <param name="uri">The resource on this RS.</param>
    /// <param name="payload">The body.</param>
    /// <param name="contentFormat">The Content-Format, or null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response.</returns>
    public Task<CoapResponse> PutAsync(Uri uri, ReadOnlyMemory<byte> payload, int? contentFormat = null, CancellationToken cancellationToken = default) =>
        SendAsync(new CoapRequest(CoapCode.Put, uri) { Payload = payload, ContentFormat = contentFormat }, cancellationToken);

    /// <summary>
    /// Sends a request protected with the token's OSCORE context, posting the token first when needed. An unprotected
    /// 4.01 (the RS has no context for us any more) makes the client post the token again with fresh nonces and retry
    /// once (<see cref="AceOscoreClientOptions.RepostOnUnauthorized"/>); any other response is returned as is.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>The response.</returns>
    /// <exception cref="AceTokenRejectedException">Posting the token was refused.</exception>
    public async Task<CoapResponse> SendAsync(CoapRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        int generation = await EnsureContextAsync(cancellationToken).ConfigureAwait(false);
        CoapResponse r = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!NeedsRepost(r))
        {
            return r;
        }

        await RepostAsync(generation, cancellationToken).ConfigureAwait(false);
        return await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Observes a resource under OSCORE (RFC 7641, RFC 8613 §4.1.3.5); a first answer that is an unprotected 4.01 leads
    /// to one re-post and a new registration.
    /// </summary>
    /// <param name="uri">The resource.</param>
    /// <param name="cancellationToken">Stops observing.</param>
    /// <returns>The first response and the notifications.</returns>
    public async IAsyncEnumerable<CoapResponse> ObserveAsync(Uri uri, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        int generation = await EnsureContextAsync(cancellationToken).ConfigureAwait(false);
        for (int attempt = 0; ; attempt++)
        {
            bool first = true;
            bool retry = false;
            await foreach (CoapResponse r in _client.ObserveAsync(uri, cancellationToken).ConfigureAwait(false))
            {
                if (first && attempt == 0 && NeedsRepost(r))
                {
                    retry = true;
                    break;
                }

                first = false;
                yield return r;
            }

            if (!retry)
            {
                yield break;
            }

            generation = await RepostAsync(generation, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _client.Dispose();
        lock (_retired)
        {
            foreach (SecurityContext c in _retired)
            {
                c.Dispose();
            }

            _retired.Clear();
        }

        Interlocked.Exchange(ref _context, null)?.Dispose();
        _posting.Dispose();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    // RFC 8613 §8.2: the RS answers "Security context not found" (and a replay) with an unprotected 4.01; the client
    // sees it as is (ClientExchange passes unprotected 4.xx through). Protected responses never reach here as 4.01 with
    // Echo: the CoAP client answers those itself (Appendix B.1.2).
    private bool NeedsRepost(CoapResponse r) => _options.RepostOnUnauthorized && r.Code == CoapCode.Unauthorized && r.GetOption(CoapOptionNumber.Oscore) == null;

    private Task<int> EnsureContextAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _context) != null ? Task.FromResult(Volatile.Read(ref _generation)) : PostUnlessAsync(() => _context != null, cancellationToken);

    // Re-posts unless another request already did since the context this request used (one re-post for a burst of 4.01s).
    private Task<int> RepostAsync(int seen, CancellationToken cancellationToken) => PostUnlessAsync(() => _generation != seen, cancellationToken);

    private async Task<int> PostUnlessAsync(Func<bool> done, CancellationToken cancellationToken)
    {
        await _posting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!done())
            {
                await PostLockedAsync(cancellationToken).ConfigureAwait(false);
            }

            return _generation;
        }
        finally
        {
            _posting.Release();
        }
    }

    private async Task<CoapResponse> PostLockedAsync(CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await PostOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (AceTokenRejectedException e) when (e.RetryAfter is TimeSpan wait && wait <= _options.MaxRetryWait && attempt < _options.AuthzInfoRetries)
            {
                // RFC 7252 §5.9.3.4, RFC 8516 §3: not now, but after Max-Age; fresh nonces on the next post.
                await Task.Delay(wait, _options.Time ?? TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<CoapResponse> PostOnceAsync(CancellationToken cancellationToken)
    {
        byte[] nonce1 = Random(_options.Nonce1Length);
        // Our Recipient ID, which the RS uses as its Sender ID (RFC 9203 §4.1); 2 random bytes keep the OSCORE option short.
        byte[] clientId = Random(2);
        byte[] payload = AuthzInfoRequest.Encode(_token.AccessToken, nonce1, clientId);
        var post = new CoapRequest(CoapCode.Post, _authzInfo) { Payload = payload, ContentFormat = CoapContentFormat.AceCbor };
        Interlocked.Increment(ref _posts);
        CoapResponse r = await _client.SendAsync(post, false, cancellationToken).ConfigureAwait(false);
        if (r.Code != CoapCode.Created)
        {
            int code = 0;
            string? description = null;
            if (MemoryMarshal.TryGetArray(r.Payload, out ArraySegment<byte> seg) && AceErrorResponse.TryParse(seg.Array!, seg.Offset, seg.Count, out int c, out string d))
            {
                code = c;
                description = d;
            }

            throw new AceTokenRejectedException(r, code, description);
        }

        byte[] body = r.Payload.ToArray();
        if (!AuthzInfoResponse.TryParse(body, 0, body.Length, out byte[] nonce2, out byte[] serverId))
        {
            throw new CoapException(_authzInfo + ": the 2.01 does not carry nonce2 and ace_server_recipientid (RFC 9203 §4.2)", CoapExchangeFailure.Rejected);
        }

        SecurityContext context;
        try
        {
            context = AceOscoreSetup.CreateClientContext(
                _crypto, new AceOscoreInput(_token.MasterSecret, _token.Salt!, _token.ContextId!, _token.Algorithm, _options.ReplayWindow), nonce1, nonce2, clientId, serverId);
        }
        catch (ArgumentException e)
        {
            throw new CoapException(_authzInfo + ": cannot derive the OSCORE context (" + e.Message + ")", CoapExchangeFailure.Rejected);
        }

        // RFC 9203 §4.3: with an ID Context, requests name it as 'kid context' so the RS finds the context.
        _client.SetOscore(context, _token.ContextId != null);
        SecurityContext? old = Interlocked.Exchange(ref _context, context);
        if (old != null)
        {
            // Exchanges that started with it may still verify their responses: erase it when the client goes.
            lock (_retired)
            {
                _retired.Add(old);
                if (_retired.Count > MaxRetired)
                {
                    // Bounded: exchanges older than a few re-posts cannot be waiting for a response any more.
                    _retired[0].Dispose();
                    _retired.RemoveAt(0);
                }
            }
        }

        ServerRecipientId = serverId;
        _generation++;
        return r;
    }

    private byte[] Random(int n)
    {
        byte[] b = new byte[n];
        _crypto.Random.GetBytes(b, 0, n);
        return b;
    }
}
