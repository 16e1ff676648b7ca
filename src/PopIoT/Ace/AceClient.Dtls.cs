using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;

namespace PopIoT.Ace;

/// <summary>The coap_dtls side of <see cref="AceClient"/> (RFC 9202; docs/ace-dtls.md, "The client").</summary>
public sealed partial class AceClient
{
    // coap://host:P and coaps://host:P+1 name the same RS (RFC 7252 §6.1, §6.2: 5683 and 5684); the probe and the
    // kid form's /authz-info use the first, the DTLS session the second.
    private static Uri PlainUri(Uri uri)
    {
        if (uri.Scheme != "coaps")
        {
            return uri;
        }

        var b = new UriBuilder(uri) { Scheme = "coap", Port = (uri.IsDefaultPort || uri.Port < 1 ? 5684 : uri.Port) - 1 };
        return b.Uri;
    }

    private static Uri SecureUri(Uri uri)
    {
        if (uri.Scheme == "coaps")
        {
            return uri;
        }

        var b = new UriBuilder(uri) { Scheme = "coaps", Port = (uri.IsDefaultPort || uri.Port < 1 ? 5683 : uri.Port) + 1 };
        return b.Uri;
    }

    private static Uri PlainBase(Server server) => PlainUri(server.BaseUri);

    private static Uri SecureBase(Server server) => SecureUri(server.BaseUri);

    // RFC 9202 §3.3: post the token (kid form) and open the session; the handshake runs with the first request.
    private async Task<IAceSessionClient> PostDtlsAsync(Server server, AccessTokenFile token, CancellationToken cancellationToken)
    {
        if (_options.RawPublicKey != null || token.RsPublicKey != null)
        {
            return await PostRpkAsync(server, token, cancellationToken).ConfigureAwait(false);
        }

        if (token.Psk == null || token.PskKid == null)
        {
            throw new CoapException(server.BaseUri + ": the AS issued a coap_dtls token with neither a PSK (RFC 9202 §3.3) nor rs_cnf (RPK mode, §3.2.1)", CoapExchangeFailure.Rejected);
        }

        var client = new AceDtlsClient(token, SecureBase(server), new AceDtlsClientOptions
        {
            IdentityForm = _options.DtlsIdentityForm,
            AuthzInfo = new Uri(PlainBase(server), "/authz-info"),
            Coap = CopyOf(_options.Coap),
        });
        return await PostedAsync(client, (c, ct) => c.PostTokenAsync(ct), cancellationToken).ConfigureAwait(false);
    }

    // RFC 9202 §4: before the token expires, a new one for the same key is posted over the DTLS session, which stays up.
    // Null when there is no DTLS session, or the AS or the RS refuses: the caller then starts over with a new token.
    private Task<Session?> UpdateOverSessionAsync(Server server, string audience, Session current, CancellationToken cancellationToken) => current.Client switch
    {
        AceDtlsClient dtls => UpdateOverPskSessionAsync(server, audience, current, dtls, cancellationToken),
        AceRpkClient rpk => UpdateOverRpkSessionAsync(server, audience, current, rpk, cancellationToken),
        _ => Task.FromResult<Session?>(null),
    };

    // PSK mode: the new token is asked for with req_cnf { kid } of the session's PSK.
    private async Task<Session?> UpdateOverPskSessionAsync(Server server, string audience, Session current, AceDtlsClient dtls, CancellationToken cancellationToken)
    {
        AccessTokenFile old = dtls.Token;
        if (old.PskKid == null || old.Psk == null || current.Token.Refused)
        {
            return null;
        }

        try
        {
            AceTokenResponse update = await RequestTokenAsync(audience, current.Token.File.Scope, null, old.PskKid, cancellationToken).ConfigureAwait(false);
            if (update.Token.Profile != AceProfile.CoapDtls || update.Token.Psk != null)
            {
                return null;
            }

            await dtls.UpdateTokenAsync(update.Token.AccessToken, cancellationToken).ConfigureAwait(false);
            var file = new AccessTokenFile(update.Token.AccessToken, [], [])
            {
                Profile = AceProfile.CoapDtls,
                PskKid = old.PskKid,
                Psk = old.Psk,
                Audience = audience,
                Scope = update.Token.Scope ?? old.Scope,
                ExpiresIn = update.Token.ExpiresIn,
            };
            var holder = new TokenHolder(file, _options.Time.GetUtcNow(), update.ExpiresIn, _options);
            Report(AceClientEventKind.TokenRefreshed, server.Authority, audience, "new token for the same PSK posted over the DTLS session to " + SecureBase(server) + "authz-info (RFC 9202 §4)");
            return new Session(holder, dtls);
        }
        catch (Exception e) when (e is AceAuthorizationException or AceTokenRejectedException or CoapException)
        {
            Report(AceClientEventKind.TokenRefreshed, server.Authority, audience, "the update over the DTLS session failed (" + e.Message + "); opening a new session");
            return null;
        }
    }
}
