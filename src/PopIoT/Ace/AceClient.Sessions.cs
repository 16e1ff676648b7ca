using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;

namespace PopIoT.Ace;

/// <summary>The per-server side of <see cref="AceClient"/>: setting up, posting and retiring each server's session.</summary>
public sealed partial class AceClient
{
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

    private sealed class Server(string authority, Uri baseUri)
    {
        public readonly SemaphoreSlim Lock = new(1, 1);
        public Session? Session;

        public string Authority { get; } = authority;

        public Uri BaseUri { get; } = baseUri;

        public string? Audience { get; set; }
    }

    private sealed record Session(TokenHolder Token, IAceSessionClient Client);
}
