using Org.BouncyCastle.Crypto.Parameters;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Dtls;

namespace PopIoT.Ace;

/// <summary>The coap_dtls RPK side of <see cref="AceClient"/> (RFC 9202 §3.2.1, §4; docs/ace-dtls.md, "The client").</summary>
public sealed partial class AceClient
{
    private RpkKeys? _rpk;

    // RFC 9202 §3.2.1: in RPK mode every token request carries the client's public key in req_cnf; the AS binds it in
    // the token's cnf and answers with rs_cnf. A new token before expiry is asked for with the same key (§4).
    private byte[]? RpkRequestKey() => Rpk()?.RequestKey;

    private RpkKeys? Rpk()
    {
        if (_options.RawPublicKey == null)
        {
            return null;
        }

        RpkKeys? keys = Volatile.Read(ref _rpk);
        if (keys != null)
        {
            return keys;
        }

        try
        {
            ECPrivateKeyParameters d = DtlsRawPublicKey.PrivateKeyFromCoseKey(_options.RawPublicKey);
            ECPublicKeyParameters q = DtlsRawPublicKey.PublicKeyFromCoseKey(_options.RawPublicKey);
            keys = new RpkKeys(d, q, DtlsRawPublicKey.EncodeCoseKey(q));
        }
        catch (FormatException e)
        {
            throw new ArgumentException("AceClientOptions.RawPublicKey: " + e.Message, nameof(_options), e);
        }

        Interlocked.CompareExchange(ref _rpk, keys, null);
        return Volatile.Read(ref _rpk);
    }

    // A kept token serves the mode this client runs in: an RPK token (it has rs_cnf) only with the key pair, a PSK or
    // OSCORE token only without it.
    private bool FitsMode(AccessTokenFile kept) => (_options.RawPublicKey != null) == (kept.RsPublicKey != null);

    // A failed DTLS session or handshake is retried once with a new token (RFC 9202 §3.3, §4), but not a resource
    // server that presented a key other than rs_cnf: that one cannot be authenticated, whatever the token.
    private static bool Reconnects(IAceSessionClient client, CoapException e) =>
        client is AceDtlsClient or AceRpkClient && e.Failure != CoapExchangeFailure.Cancelled && e is not DtlsRpkHandshakeException { ServerKeyRefused: true };

    private string PostedDetail(Server server, IAceSessionClient client) => client switch
    {
        AceDtlsClient d => (d.Token.PskKid != null && _options.DtlsIdentityForm == DtlsPskIdentityForm.Kid ? "token posted to " + PlainBase(server) + "authz-info; " : string.Empty)
            + "DTLS session with " + SecureBase(server) + " under the token's PSK (RFC 9202 §3.3)",
        AceRpkClient => "token posted to " + PlainBase(server) + "authz-info; DTLS session with " + SecureBase(server)
            + " with raw public keys, the RS's checked against rs_cnf (RFC 9202 §3.2.1)",
        _ => "token posted to " + server.BaseUri + "authz-info; OSCORE context derived (RFC 9203 §4.3)",
    };

    // RFC 9202 §3.2.1: the token goes to the RS's plain /authz-info first; the handshake runs with the first request.
    private async Task<IAceSessionClient> PostRpkAsync(Server server, AccessTokenFile token, CancellationToken cancellationToken)
    {
        RpkKeys keys = Rpk() ?? throw new CoapException(
            server.BaseUri + ": the AS issued a token for a raw public key (rs_cnf), but this client has no key pair (AceClientOptions.RawPublicKey, --rpk-key)", CoapExchangeFailure.Rejected);
        if (token.RsPublicKey == null)
        {
            throw new CoapException(
                server.BaseUri + ": the AS gave no rs_cnf with the RPK token, so the resource server cannot be authenticated (RFC 9202 §3.2.1); nothing was sent to it", CoapExchangeFailure.Rejected);
        }

        ECPublicKeyParameters rsKey;
        try
        {
            rsKey = DtlsRawPublicKey.PublicKeyFromCoseKey(token.RsPublicKey, 0, token.RsPublicKey.Length);
        }
        catch (FormatException e)
        {
            throw new CoapException(server.BaseUri + ": the AS's rs_cnf is not a usable raw public key (" + e.Message + "); nothing was sent to the resource server", CoapExchangeFailure.Rejected);
        }

        var dtls = new DtlsRpkClientOptions
        {
            PrivateKey = keys.Private,
            PublicKey = keys.Public,
            ServerKey = rsKey,
            HandshakeTimeout = HandshakeTimeout(),
            Trace = _options.DtlsTrace,
        };
        var client = new AceRpkClient(token, SecureBase(server), dtls, new Uri(PlainBase(server), "/authz-info"), CopyOf(_options.Coap));
        return await PostedAsync(client, (c, ct) => c.PostTokenAsync(ct), cancellationToken).ConfigureAwait(false);
    }

    // RFC 9202 §4: a new token for the same public key, posted over the session, which stays up. Null when the AS or the
    // RS refuses, or the RS's key changed: the caller starts over with a new token and session.
    private async Task<Session?> UpdateOverRpkSessionAsync(Server server, string audience, Session current, AceRpkClient rpk, CancellationToken cancellationToken)
    {
        if (current.Token.Refused)
        {
            return null;
        }

        try
        {
            AceTokenResponse update = await RequestTokenAsync(audience, current.Token.File.Scope, null, null, cancellationToken).ConfigureAwait(false);
            byte[]? rsKey = update.Token.RsPublicKey;
            if (update.Token.Profile != AceProfile.CoapDtls || rsKey == null || !rsKey.AsSpan().SequenceEqual(rpk.Token.RsPublicKey))
            {
                return null;
            }

            await rpk.UpdateTokenAsync(update.Token.AccessToken, cancellationToken).ConfigureAwait(false);
            var holder = new TokenHolder(update.Token, _options.Time.GetUtcNow(), update.ExpiresIn, _options);
            Report(AceClientEventKind.TokenRefreshed, server.Authority, audience, "new token for the same public key posted over the DTLS session to " + SecureBase(server) + "authz-info (RFC 9202 §4)");
            return new Session(holder, rpk);
        }
        catch (Exception e) when (e is AceAuthorizationException or AceTokenRejectedException or CoapException)
        {
            Report(AceClientEventKind.TokenRefreshed, server.Authority, audience, "the update over the DTLS session failed (" + e.Message + "); opening a new session");
            return null;
        }
    }

    // The handshake gives up a little before the CoAP timeout, so a failed handshake is reported as such.
    private TimeSpan HandshakeTimeout()
    {
        TimeSpan coap = _options.Coap?.Timeout ?? TimeSpan.FromSeconds(30);
        return coap > TimeSpan.Zero && coap < TimeSpan.FromSeconds(33) ? coap * 0.9 : TimeSpan.FromSeconds(30);
    }

    private sealed record RpkKeys(ECPrivateKeyParameters Private, ECPublicKeyParameters Public, byte[] RequestKey);
}
