using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;

namespace PopIoT.Ace;

/// <summary>
/// A resource server's side of token introspection (RFC 9200 §5.9): it posts a token to the AS's /introspect endpoint
/// over OSCORE with the RS's own credential (RFC 9203 §5) and reads whether the token is still active. This is how an
/// RS learns of a revocation.
/// </summary>
public sealed class AceIntrospectionClient : IDisposable
{
    private readonly AceCredentialFile _credential;
    private readonly SecurityContext _context;
    private readonly CoapClient _client;

    /// <summary>Creates the client from the credential file <c>popiot as rs add --credential-out</c> wrote.</summary>
    /// <param name="credential">A resource server's credential ("audience").</param>
    /// <param name="coap">CoAP settings, or null (leave Oscore null).</param>
    /// <param name="crypto">The crypto provider, or null for the platform's.</param>
    /// <param name="sequenceNumbers">Where the Sender Sequence Number is kept (RFC 8613 Appendix B.1.1), or null.</param>
    public AceIntrospectionClient(AceCredentialFile credential, CoapClientOptions? coap = null, ICryptoProvider? crypto = null, ISequenceNumberStore? sequenceNumbers = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        if (credential.Audience == null)
        {
            throw new ArgumentException("introspection needs a resource server's credential (\"audience\"), not a client's", nameof(credential));
        }

        _credential = credential;
        _context = credential.Oscore.CreateContext(crypto ?? PlatformCryptoProvider.Instance, false, sequenceNumbers);
        _client = new CoapClient(new CoapClientOptions
        {
            Oscore = _context,
            Timeout = coap?.Timeout ?? Timeout.InfiniteTimeSpan,
            Settings = coap?.Settings,
            Random = coap?.Random,
        });
    }

    /// <summary>Asks the AS whether a token is active.</summary>
    /// <param name="token">The access token as posted to the RS.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>The AS's answer.</returns>
    /// <exception cref="AceAuthorizationException">The AS refused the request (e.g. a wrong credential: 4.01 invalid_client).</exception>
    /// <exception cref="CoapException">The answer was not an introspection response.</exception>
    public async Task<AceIntrospection> IntrospectAsync(byte[] token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        byte[] buffer = new byte[token.Length + 16];
        var w = new CborWriter(buffer);
        w.WriteStartMap(1);
        w.WriteInt32(AceParameters.Token);
        w.WriteByteString(token);
        var uri = new Uri(_credential.AsUri, "/introspect");
        var post = new CoapRequest(CoapCode.Post, uri) { Payload = buffer.AsMemory(0, w.BytesWritten), ContentFormat = CoapContentFormat.AceCbor };
        CoapResponse r = await _client.SendAsync(post, cancellationToken).ConfigureAwait(false);
        byte[] body = r.Payload.ToArray();
        if (r.Code != CoapCode.Content && r.Code != CoapCode.Created)
        {
            AceErrorResponse.TryParse(body, 0, body.Length, out int code, out string description);
            throw new AceAuthorizationException(_credential.AsUri, r, code, string.IsNullOrEmpty(description) ? null : description);
        }

        try
        {
            return Parse(body);
        }
        catch (CborException e)
        {
            throw new CoapException(uri + ": the introspection response is not well-formed CBOR (" + e.Message + ")", CoapExchangeFailure.Rejected);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _client.Dispose();
        _context.Dispose();
    }

    private static AceIntrospection Parse(byte[] body)
    {
        var r = new CborReader(body);
        bool? active = null;
        string? aud = null;
        string? clientId = null;
        byte[]? cti = null;
        long? exp = null;
        r.ReadStartMap();
        while (r.PeekState() != CborReaderState.EndMap)
        {
            if (r.PeekState() != CborReaderState.UnsignedInteger)
            {
                r.SkipValue();
                r.SkipValue();
                continue;
            }

            long key = r.ReadInt64();
            CborReaderState s = r.PeekState();
            if (key == AceParameters.Active && s == CborReaderState.Boolean)
            {
                active = r.ReadBoolean();
            }
            else if (key == AceParameters.IntrospectAud && s == CborReaderState.TextString)
            {
                aud = r.ReadTextString();
            }
            else if (key == AceParameters.ClientId && s == CborReaderState.TextString)
            {
                clientId = r.ReadTextString();
            }
            else if (key == AceParameters.IntrospectCti && s == CborReaderState.ByteString)
            {
                cti = r.ReadByteString();
            }
            else if (key == AceParameters.IntrospectExp && s == CborReaderState.UnsignedInteger)
            {
                exp = r.ReadInt64();
            }
            else
            {
                r.SkipValue();
            }
        }

        r.ReadEndMap();
        if (active == null)
        {
            throw new CborException(CborError.UnexpectedDataType, 0, "the introspection response has no boolean 'active' (RFC 9200 §5.9.2)");
        }

        return new AceIntrospection(active.Value, aud, clientId, cti, exp);
    }
}

/// <summary>An introspection response (RFC 9200 §5.9.2), the parts an RS acts on.</summary>
/// <param name="Active">Whether the token is active (false when revoked, expired or unknown).</param>
/// <param name="Audience">aud, when active.</param>
/// <param name="ClientId">client_id, when active.</param>
/// <param name="Cti">cti, when active.</param>
/// <param name="Expiration">exp in Unix seconds, when the RS has a clock.</param>
public sealed record AceIntrospection(bool Active, string? Audience, string? ClientId, byte[]? Cti, long? Expiration);
