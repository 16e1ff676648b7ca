using System.Net;
using System.Runtime.CompilerServices;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Dtls;

namespace PopIoT.Ace;

/// <summary>
/// One DTLS session in RPK mode with one resource server (RFC 9202 §3.2.1, §4): the token, which binds the client's
/// public key in its cnf, is POSTed to the RS's plain /authz-info; the first request opens a DTLS 1.2 session with raw
/// public keys both ways (<see cref="DtlsRpkCoapTransport"/>), in which the RS must present the key the AS gave in
/// rs_cnf; requests then go over the session, and a new token for the same key is POSTed over it to update the rights.
/// Dispose to close the session.
/// </summary>
public sealed class AceRpkClient : IAceSessionClient
{
    private readonly AccessTokenFile _token;
    private readonly DtlsRpkClientOptions _dtls;
    private readonly CoapClientOptions? _coap;
    private readonly Uri _secure;
    private readonly Uri _authzInfo;
    private readonly SemaphoreSlim _opening = new(1, 1);
    private Session? _session;
    private int _disposed;

    /// <summary>Creates the client; nothing is sent until <see cref="PostTokenAsync"/> or the first request.</summary>
    /// <param name="token">A coap_dtls token from the AS in RPK mode (with <see cref="AccessTokenFile.RsPublicKey"/>).</param>
    /// <param name="resourceServer">The RS as coaps://host:port.</param>
    /// <param name="dtls">The client's key pair and the RS's key (rs_cnf).</param>
    /// <param name="authzInfo">The plain /authz-info to post the token to, or null for coap://host:port−1/authz-info.</param>
    /// <param name="coap">CoAP settings for both the plain and the session's client, or null.</param>
    public AceRpkClient(AccessTokenFile token, Uri resourceServer, DtlsRpkClientOptions dtls, Uri? authzInfo = null, CoapClientOptions? coap = null)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(resourceServer);
        ArgumentNullException.ThrowIfNull(dtls);
        if (token.Profile != AceProfile.CoapDtls || token.RsPublicKey == null)
        {
            throw new ArgumentException("a coap_dtls token issued for a public key, with the RS's key from rs_cnf (RFC 9202 §3.2.1), is needed", nameof(token));
        }

        if (!resourceServer.IsAbsoluteUri || !CoapUri.IsSecure(resourceServer))
        {
            throw new ArgumentException("a coaps:// URI is needed: " + resourceServer, nameof(resourceServer));
        }

        _token = token;
        _dtls = dtls;
        _coap = coap;
        _secure = new Uri(resourceServer.GetLeftPart(UriPartial.Authority));
        _authzInfo = authzInfo ?? new UriBuilder("coap", resourceServer.Host, CoapUri.Port(resourceServer) - 1, "/authz-info").Uri;
    }

    /// <summary>The token this session is bound to.</summary>
    public AccessTokenFile Token => _token;

    /// <summary>How many DTLS handshakes this client completed (one per session).</summary>
    public int Handshakes { get; private set; }

    /// <summary>
    /// POSTs the token to the RS's /authz-info over plain CoAP (RFC 9202 §3.2.1: in RPK mode the token goes first, so the
    /// RS knows the key to expect in the handshake).
    /// </summary>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>A task.</returns>
    /// <exception cref="AceTokenRejectedException">The RS refused the token.</exception>
    public async Task PostTokenAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        using var plain = new CoapClient(AceDtlsClient.CopyOptions(_coap));
        CoapResponse r = await plain.SendAsync(AceDtlsClient.AuthzInfoPost(_authzInfo, _token.AccessToken), cancellationToken).ConfigureAwait(false);
        AceDtlsClient.ThrowUnlessCreated(r);
    }

    /// <summary>Sends a request over the session, opening it when needed; only the request's path and query are used.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>The response (4.01: the RS no longer holds the token; 4.03/4.05: outside the scope, RFC 9202 §4).</returns>
    /// <exception cref="DtlsRpkHandshakeException">The handshake failed (<see cref="DtlsRpkHandshakeException.ServerKeyRefused"/>:
    /// the RS presented a key other than rs_cnf, and nothing was sent).</exception>
    public async Task<CoapResponse> SendAsync(CoapRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        Session session = await SessionAsync(cancellationToken).ConfigureAwait(false);
        return await session.Client.SendAsync(session.OnSession(request), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Observes a resource over the session (RFC 7641).</summary>
    /// <param name="uri">The resource.</param>
    /// <param name="cancellationToken">Stops observing.</param>
    /// <returns>The first response and the notifications.</returns>
    public async IAsyncEnumerable<CoapResponse> ObserveAsync(Uri uri, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        Session session = await SessionAsync(cancellationToken).ConfigureAwait(false);
        await foreach (CoapResponse r in session.Client.ObserveAsync(new Uri(session.Base, uri.PathAndQuery), cancellationToken).ConfigureAwait(false))
        {
            yield return r;
        }
    }

    /// <summary>POSTs a new token for the same public key to /authz-info over the session (RFC 9202 §4).</summary>
    /// <param name="accessToken">The new token.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>A task.</returns>
    /// <exception cref="AceTokenRejectedException">The RS refused the token.</exception>
    public async Task UpdateTokenAsync(byte[] accessToken, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(accessToken);
        Session session = await SessionAsync(cancellationToken).ConfigureAwait(false);
        CoapResponse r = await session.Client.SendAsync(AceDtlsClient.AuthzInfoPost(new Uri(session.Base, "/authz-info"), accessToken), cancellationToken).ConfigureAwait(false);
        AceDtlsClient.ThrowUnlessCreated(r);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _session, null)?.Client.Dispose();
        _opening.Dispose();
    }

    private async Task<Session> SessionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Session? open = Volatile.Read(ref _session);
        if (open != null)
        {
            return open.Transport.IsClosed ? throw Closed() : open;
        }

        await _opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_session != null)
            {
                return _session.Transport.IsClosed ? throw Closed() : _session;
            }

            IPEndPoint server = CoapUri.TryGetLiteral(_secure, out IPEndPoint? literal)
                ? literal
                : await CoapUri.ResolveAsync(_secure, cancellationToken).ConfigureAwait(false);
            DtlsRpkCoapTransport transport = await DtlsRpkCoapTransport.ConnectAsync(server, _dtls, cancellationToken).ConfigureAwait(false);
            Handshakes++;

            // The session is the security: its CoAP client sends coap:// URIs of the session's own address, which the
            // transport carries as DTLS records.
            var session = new Session(new CoapClient(transport, AceDtlsClient.CopyOptions(_coap)), transport, new UriBuilder("coap", server.Address.ToString(), server.Port).Uri);
            Volatile.Write(ref _session, session);
            return session;
        }
        finally
        {
            _opening.Release();
        }
    }

    // The RS ended the session (close_notify: its token expired or was dropped): the caller starts over (RFC 9202 §4).
    private CoapException Closed() => new("the DTLS session with " + _secure + " was closed by the resource server", CoapExchangeFailure.Rejected);

    private sealed record Session(CoapClient Client, DtlsRpkCoapTransport Transport, Uri Base)
    {
        public CoapRequest OnSession(CoapRequest request) =>
            request.WithUri(new Uri(Base, request.Uri?.PathAndQuery ?? throw new ArgumentException("the request needs a Uri", nameof(request))));
    }
}
