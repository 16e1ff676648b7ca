using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;

namespace PopIoT.Ace;

/// <summary>The AS side of <see cref="AceClient"/>: the creation-hints probe, the token request and the token kept per audience (RFC 9200 §5.3, §5.8).</summary>
public sealed partial class AceClient
{
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

    private sealed record CreationHints(string Audience, byte[]? Cnonce, AccessScope? Scope);

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
