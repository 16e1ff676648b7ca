using System.Globalization;
using System.Runtime.CompilerServices;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Core.Dtls;

namespace PopIoT.Ace;

/// <summary>
/// One DTLS session with one resource server under a coap_dtls PSK token (RFC 9202 §3.3, §4): the token is POSTed to
/// the RS's /authz-info over plain CoAP and named by its kid in the psk_identity, or given whole as the psk_identity;
/// the handshake with the token's PSK proves possession; requests then go over the session (coaps://), and a new token
/// for the same key is POSTed over the session to update the rights. Dispose to close the session and erase the PSK.
/// </summary>
public sealed class AceDtlsClient : IAceSessionClient
{
    private readonly AccessTokenFile _token;
    private readonly AceDtlsClientOptions _options;
    private readonly Uri _secureBase;
    private readonly Uri _authzInfo;
    private readonly SemaphoreSlim _opening = new(1, 1);
    private CoapClient? _session;
    private int _disposed;

    /// <summary>Creates the client; nothing is sent until <see cref="PostTokenAsync"/> or the first request.</summary>
    /// <param name="token">A coap_dtls token with its PSK and kid (<see cref="AccessTokenFile.Psk"/>).</param>
    /// <param name="resourceServer">The RS as coaps://host:port.</param>
    /// <param name="options">Settings, or null.</param>
    public AceDtlsClient(AccessTokenFile token, Uri resourceServer, AceDtlsClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(resourceServer);
        if (token.Profile != AceProfile.CoapDtls || token.Psk == null || token.PskKid == null)
        {
            throw new ArgumentException("a coap_dtls token with its PSK (cnf COSE_Key with kid and k, RFC 9202 §3.3) is needed; RPK mode is AceRpkClient", nameof(token));
        }

        if (!resourceServer.IsAbsoluteUri || resourceServer.Scheme != "coaps")
        {
            throw new ArgumentException("a coaps:// URI is needed: " + resourceServer, nameof(resourceServer));
        }

        _token = token;
        _options = options ?? new AceDtlsClientOptions();
        _secureBase = new Uri(resourceServer.GetLeftPart(UriPartial.Authority));
        int port = resourceServer.IsDefaultPort || resourceServer.Port < 1 ? 5684 : resourceServer.Port;
        _authzInfo = _options.AuthzInfo ?? new UriBuilder("coap", resourceServer.Host, port - 1, "/authz-info").Uri;
    }

    /// <summary>The token this session is bound to.</summary>
    public AccessTokenFile Token => _token;

    /// <summary>Whether the DTLS session has been opened (the first request completes the handshake).</summary>
    public bool IsOpen => Volatile.Read(ref _session) != null;

    /// <summary>The psk_identity of the kid form (RFC 9202 §3.3): { 8 cnf: { 1 COSE_Key: { 1 kty: 4, 2 kid } } }.</summary>
    /// <param name="kid">The PSK's kid.</param>
    /// <returns>The CBOR bytes.</returns>
    public static byte[] KidIdentity(byte[] kid)
    {
        ArgumentNullException.ThrowIfNull(kid);
        byte[] buffer = new byte[16 + kid.Length];
        var w = new CborWriter(buffer);
        w.WriteStartMap(1);
        w.WriteInt32(CwtClaimKey.Cnf);
        w.WriteStartMap(1);
        w.WriteInt32((int)CnfMethod.CoseKey);
        w.WriteStartMap(2);
        w.WriteInt32(CoseKeyLabel.Kty);
        w.WriteInt32(CoseKeyType.Symmetric);
        w.WriteInt32(CoseKeyLabel.Kid);
        w.WriteByteString(kid);
        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }

    /// <summary>
    /// Makes the token known to the RS: in the kid form POSTs it to /authz-info over plain CoAP (RFC 9200 §5.10.1);
    /// in the token form there is nothing to post (the handshake carries it). Then opens the DTLS client (the handshake
    /// runs with the first request).
    /// </summary>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>A task.</returns>
    /// <exception cref="AceTokenRejectedException">The RS refused the token.</exception>
    public async Task PostTokenAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_options.IdentityForm == DtlsPskIdentityForm.Kid)
            {
                using var plain = new CoapClient(CopyOptions(_options.Coap));
                CoapResponse r = await plain.SendAsync(AuthzInfoPost(_authzInfo, _token.AccessToken), cancellationToken).ConfigureAwait(false);
                ThrowUnlessCreated(r);
            }

            OpenLocked();
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>Sends a request over the session (opening it when needed); the URI's host and port are replaced by the session's.</summary>
    /// <param name="request">The request; only its path and query are used.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>The response (4.01 with hints: the token is no longer valid on the RS; 4.03/4.05: outside the scope, RFC 9202 §4).</returns>
    public async Task<CoapResponse> SendAsync(CoapRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        CoapClient session = await SessionAsync(cancellationToken).ConfigureAwait(false);
        return await session.SendAsync(OnSession(request), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Observes a resource over the session (RFC 7641).</summary>
    /// <param name="uri">The resource.</param>
    /// <param name="cancellationToken">Stops observing.</param>
    /// <returns>The first response and the notifications.</returns>
    public async IAsyncEnumerable<CoapResponse> ObserveAsync(Uri uri, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        CoapClient session = await SessionAsync(cancellationToken).ConfigureAwait(false);
        await foreach (CoapResponse r in session.ObserveAsync(new Uri(_secureBase, uri.PathAndQuery), cancellationToken).ConfigureAwait(false))
        {
            yield return r;
        }
    }

    /// <summary>
    /// Posts a new token for the same PSK (an update of access rights, issued for req_cnf { kid }) to /authz-info over
    /// the session, so the RS replaces the rights of this session without a new handshake (RFC 9202 §4).
    /// </summary>
    /// <param name="accessToken">The new token.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>A task.</returns>
    /// <exception cref="AceTokenRejectedException">The RS refused the token.</exception>
    public async Task UpdateTokenAsync(byte[] accessToken, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(accessToken);
        CoapClient session = await SessionAsync(cancellationToken).ConfigureAwait(false);
        CoapResponse r = await session.SendAsync(AuthzInfoPost(new Uri(_secureBase, "/authz-info"), accessToken), cancellationToken).ConfigureAwait(false);
        ThrowUnlessCreated(r);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _session, null)?.Dispose();
        _opening.Dispose();
    }

    // The /authz-info body of this project's RS for both profiles: { access_token } in application/ace+cbor, the map of
    // RFC 9203 §4.1 without the OSCORE nonces (docs/ace-rs.md), rather than RFC 9200 §5.10.1's bare application/cwt.
    internal static CoapRequest AuthzInfoPost(Uri uri, byte[] token) =>
        new(CoapCode.Post, uri) { Payload = AuthzInfoRequest.Encode(token, null!, null!), ContentFormat = CoapContentFormat.AceCbor };

    // RFC 9200 §5.10.1: 2.01 Created when the RS took the token; anything else names why not.
    internal static void ThrowUnlessCreated(CoapResponse r)
    {
        if (r.Code == CoapCode.Created || r.Code == CoapCode.Changed)
        {
            return;
        }

        byte[] body = r.Payload.ToArray();
        int code = 0;
        string? description = null;
        if (AceErrorResponse.TryParse(body, 0, body.Length, out int c, out string d))
        {
            (code, description) = (c, d);
        }

        throw new AceTokenRejectedException(r, code, description);
    }

    internal static CoapClientOptions CopyOptions(CoapClientOptions? o) => o == null ? new CoapClientOptions() : new CoapClientOptions
    {
        Settings = o.Settings,
        MaxConcurrentRequests = o.MaxConcurrentRequests,
        Timeout = o.Timeout,
        BlockSize = o.BlockSize,
        LocalEndPoint = o.LocalEndPoint,
        Random = o.Random,
        Dtls = o.Dtls,
    };

    private CoapRequest OnSession(CoapRequest request) =>
        request.WithUri(new Uri(_secureBase, request.Uri?.PathAndQuery ?? throw new ArgumentException("the request needs a Uri", nameof(request))));

    private async Task<CoapClient> SessionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        CoapClient? open = Volatile.Read(ref _session);
        if (open != null)
        {
            return open;
        }

        await PostTokenAsync(cancellationToken).ConfigureAwait(false);
        return Volatile.Read(ref _session) ?? throw new ObjectDisposedException(nameof(AceDtlsClient));
    }

    // One CoAP client with one socket and one DTLS session to this RS; its PSK copy is erased when it is disposed.
    private void OpenLocked()
    {
        if (_session != null)
        {
            return;
        }

        CoapClientOptions o = CopyOptions(_options.Coap);
        o.SocketPerDestination = true;
        o.PskIdentity = _options.IdentityForm == DtlsPskIdentityForm.Kid ? KidIdentity(_token.PskKid!) : _token.AccessToken;
        o.Dtls = SettingsFor(o.Dtls, o.PskIdentity.Length);
        o.Psk = (byte[])_token.Psk!.Clone();
        Volatile.Write(ref _session, new CoapClient(o));
    }

    // RFC 9202 §3.3.2: the token itself may be the psk_identity, so the engine's identity room must hold it
    // (RFC 4279 §5.3 allows up to 2^16 - 1 bytes); the client's default room is only for short identities.
    private static DtlsSettings SettingsFor(DtlsSettings? given, int identityLength)
    {
        if (given != null)
        {
            return given.MaxIdentityLength >= identityLength
                ? given
                : throw new ArgumentException("CoapClientOptions.Dtls.MaxIdentityLength is " + given.MaxIdentityLength.ToString(CultureInfo.InvariantCulture) + " bytes, below the " + identityLength.ToString(CultureInfo.InvariantCulture) + "-byte psk_identity (the access token itself, RFC 9202 §3.3.2)");
        }

        DtlsSettings client = DtlsCoapTransportOptions.ForClient();
        client.MaxIdentityLength = Math.Max(client.MaxIdentityLength, identityLength);
        return client;
    }
}
