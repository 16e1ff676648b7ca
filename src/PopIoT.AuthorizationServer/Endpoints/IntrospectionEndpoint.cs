using PopIoT.Core.Ace;
using AceParameters = PopIoT.Core.Ace.AceParameters;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Cbor;

namespace PopIoT.AuthorizationServer.Endpoints;

/// <summary>
/// The introspection endpoint (RFC 9200 §5.9, RFC 7662): a resource server, authenticated by its OSCORE context, asks
/// about a token it holds. The answer is active=true with the token's metadata only for a token this AS issued for
/// that RS, not revoked and not expired on the AS clock; anything else is active=false (RFC 7662 §2.2).
/// </summary>
public sealed class IntrospectionEndpoint
{
    private readonly IAuthorizationStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the endpoint.</summary>
    /// <param name="store">The token log.</param>
    /// <param name="time">The AS clock.</param>
    /// <param name="logger">Where to log.</param>
    public IntrospectionEndpoint(IAuthorizationStore store, TimeProvider time, ILogger? logger = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Handles one introspection request.</summary>
    /// <param name="peer">The authenticated sender, or null.</param>
    /// <param name="body">The application/ace+cbor payload.</param>
    /// <returns>The response.</returns>
    public AceResponse Handle(AcePeer? peer, byte[] body)
    {
        AceResponse r = Answer(peer, body, out bool active);
        AuthorizationServerMetrics.Introspection(r.Error != null ? "refused" : active ? "active" : "inactive", r.Error is int e ? AceResponse.ErrorName(e) : null);
        return r;
    }

    private AceResponse Answer(AcePeer? peer, byte[] body, out bool active)
    {
        active = false;
        if (peer == null)
        {
            return AceResponse.Failure(AceErrorCode.InvalidClient, "introspection must be protected with OSCORE using the resource server's registered context (RFC 9200 §5.9)");
        }

        if (!peer.IsResourceServer)
        {
            return AceResponse.Failure(AceErrorCode.InvalidClient, peer + " may not introspect; only registered resource servers may");
        }

        if (!AceRequestMap.TryParse(body ?? [], out AceRequestMap? map, out string? error))
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, error!);
        }

        if (!map!.TryGetBytes(AceParameters.Token, "token", out byte[]? token, out error))
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, error!);
        }

        if (token == null)
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, "token (11) is missing (RFC 9200 §5.9.1)");
        }

        IssuedTokenRecord? t = _store.FindTokenByHash(SHA256.HashData(token));
        long now = _time.GetUtcNow().ToUnixTimeSeconds();
        active = t != null && !t.Revoked && t.Audience == peer.Name && now < t.ExpiresAt;
        _logger.LogDebug("introspection by {Peer}: {State}", peer, active ? "active" : "inactive");
        return AceResponse.Created(active ? Active(t!) : Inactive());
    }

    private static byte[] Inactive() => [0xa1, AceParameters.Active, 0xf4];

    // RFC 9200 §5.9.2 Table 6 keys; cnf as RFC 9201 §5 lets the RS learn the PoP key (the channel is OSCORE-encrypted).
    private static byte[] Active(IssuedTokenRecord t)
    {
        byte[] buffer = new byte[256 + t.Scope.Length + t.Cnf.Length + (t.ClientId.Length * 3) + (t.Audience.Length * 3)];
        var w = new CborWriter(buffer);
        w.WriteStartMap(9);
        w.WriteInt32(AceParameters.IntrospectAud);
        w.WriteTextString(t.Audience);
        if (t.Exp is long exp)
        {
            w.WriteInt32(AceParameters.IntrospectExp);
            w.WriteInt64(exp);
        }
        else
        {
            w.WriteInt32(AceParameters.Exi);
            w.WriteInt64(t.Exi ?? 0);
        }

        w.WriteInt32(AceParameters.IntrospectIat);
        w.WriteInt64(t.IssuedAt);
        w.WriteInt32(AceParameters.IntrospectCti);
        w.WriteByteString(t.Cti);
        w.WriteInt32(AceParameters.Cnf);
        w.WriteEncodedValue(t.Cnf, 0, t.Cnf.Length);
        w.WriteInt32(AceParameters.Scope);
        w.WriteEncodedValue(t.Scope, 0, t.Scope.Length);
        w.WriteInt32(AceParameters.Active);
        w.WriteBoolean(true);
        w.WriteInt32(AceParameters.ClientId);
        w.WriteTextString(t.ClientId);
        w.WriteInt32(AceParameters.AceProfile);
        w.WriteInt32(t.Profile);
        byte[] body = buffer.AsSpan(0, w.BytesWritten).ToArray();
        Array.Clear(buffer);
        return body;
    }
}
