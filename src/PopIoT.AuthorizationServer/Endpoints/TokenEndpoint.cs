using PopIoT.Core.Ace;
using AceParameters = PopIoT.Core.Ace.AceParameters;
using PopIoT.Ace;
using PopIoT.Cose;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;

namespace PopIoT.AuthorizationServer.Endpoints;

/// <summary>
/// The token endpoint (RFC 9200 §5.8) for the client credentials grant and the coap_oscore profile (RFC 9203 §3): checks
/// the request against policy, mints a CWT for the audience with a fresh OSCORE_Input_Material, stores it durably and
/// answers with the Access Information. Bad input gets an error map with a reason, never an exception.
/// </summary>
public sealed class TokenEndpoint
{
    private readonly IAuthorizationStore _store;
    private readonly ICryptoProvider _crypto;
    private readonly TimeProvider _time;
    private readonly AuthorizationServerSettings _settings;
    private readonly ILogger _logger;
    private readonly CtiSource _ctis;

    /// <summary>Creates the endpoint.</summary>
    /// <param name="store">Registries, policy and token log.</param>
    /// <param name="crypto">Randomness and the COSE algorithms.</param>
    /// <param name="time">The AS clock.</param>
    /// <param name="settings">Token lifetime.</param>
    /// <param name="logger">Where to log (never keys).</param>
    public TokenEndpoint(IAuthorizationStore store, ICryptoProvider crypto, TimeProvider time, AuthorizationServerSettings settings, ILogger? logger = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _crypto = crypto ?? throw new ArgumentNullException(nameof(crypto));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _logger = logger ?? NullLogger.Instance;
        _ctis = new CtiSource(store);
    }

    /// <summary>Handles one token request; a token is in the store before the 2.01 is returned.</summary>
    /// <param name="peer">The authenticated sender, or null when the request was not protected with a known context.</param>
    /// <param name="body">The application/ace+cbor payload.</param>
    /// <param name="cancellationToken">Cancels waiting for the store.</param>
    /// <returns>The response.</returns>
    public async Task<AceResponse> HandleAsync(AcePeer? peer, byte[] body, CancellationToken cancellationToken = default)
    {
        AceResponse? response = Prepare(peer, body, out TokenIssue? issue);
        IssuedTokenRecord? record = null;
        if (issue != null)
        {
            // RFC 9200 §5.8.2 says nothing of storage; the AS keeps a token durable before its response goes out (docs/authorization-server.md).
            try
            {
                if (issue.Resource.HasClock)
                {
                    (response, record) = issue.Mint(null);
                    if (record != null)
                    {
                        await _store.AddTokenAsync(record, cancellationToken).ConfigureAwait(false);
                    }
                }
                else
                {
                    // RFC 9200 §5.10.3: the store numbers the token inside the transaction that stores it.
                    AceResponse? minted = null;
                    record = await _store.AddExiTokenAsync(issue.Resource.Audience, ExiCti.Next(_time.GetUtcNow(), 0), seq =>
                    {
                        (minted, IssuedTokenRecord? r) = issue.Mint(seq);
                        return r;
                    }, cancellationToken).ConfigureAwait(false);
                    response = minted;
                }
            }
            catch (Exception e)
            {
                AuthorizationServerMetrics.TokenRefused(e.GetType().Name);
                throw;
            }
        }

        if (record != null)
        {
            AuthorizationServerMetrics.TokenIssued();
            _logger.LogInformation("issued token cti {Cti} to {Client} for {Audience}, scope {Scope}", Convert.ToHexStringLower(record.Cti), record.ClientId, record.Audience, AccessScope.Decode(record.Scope));
        }
        else
        {
            AuthorizationServerMetrics.TokenRefused(AceResponse.ErrorName(response!.Error ?? 0));
            _logger.LogInformation("token request from {Peer} refused: {Response}", peer?.ToString() ?? "an unauthenticated peer", response);
        }

        return response!;
    }

    /// <summary>Checks a request against policy; on success says how to mint the token (the caller mints and stores it).</summary>
    /// <param name="peer">The authenticated sender, or null.</param>
    /// <param name="body">The payload.</param>
    /// <param name="issue">The token to mint and store before answering, or null on an error.</param>
    /// <returns>The error response, or null when <paramref name="issue"/> is set.</returns>
    internal AceResponse? Prepare(AcePeer? peer, byte[] body, out TokenIssue? issue)
    {
        issue = null;
        if (peer == null)
        {
            return AceResponse.Failure(AceErrorCode.InvalidClient, "the token request must be protected with OSCORE using the context provisioned at registration (RFC 9203 §5)");
        }

        if (peer.IsResourceServer)
        {
            return AceResponse.Failure(AceErrorCode.InvalidClient, peer + " is not a registered client");
        }

        if (!AceRequestMap.TryParse(body ?? [], out AceRequestMap? map, out string? error))
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, error!);
        }

        try
        {
            return Issue(peer.Name, map!, out issue);
        }
        catch (CborException e)
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, "a parameter is not well-formed CBOR (" + e.Message + ")");
        }
    }

    private AceResponse? Issue(string clientId, AceRequestMap map, out TokenIssue? issue)
    {
        issue = null;

        // RFC 9200 §5.8.1: without grant_type the AS assumes client_credentials, the only grant here.
        CborReaderState grantType = map.TypeOf(AceParameters.GrantType);
        if (grantType != CborReaderState.Finished)
        {
            if (grantType != CborReaderState.UnsignedInteger)
            {
                return AceResponse.Failure(AceErrorCode.InvalidRequest, "grant_type (33) must be an unsigned integer (RFC 9200 §5.8.4.1)");
            }

            map.TryGetEncoded(AceParameters.GrantType, out int o, out int n);
            ulong g = new CborReader(map.Body, o, n).ReadUInt64();
            if (g != AceParameters.GrantClientCredentials)
            {
                return AceResponse.Failure(AceErrorCode.UnsupportedGrantType, "grant_type " + g + " is not supported; this AS issues tokens for client_credentials (2) only");
            }
        }

        if (!map.TryGetText(AceParameters.ClientId, "client_id", out string? claimedId, out string? error))
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, error!);
        }

        if (claimedId != null && claimedId != clientId)
        {
            return AceResponse.Failure(AceErrorCode.InvalidClient, "client_id does not match the OSCORE context the request was protected with");
        }

        if (!map.TryGetText(AceParameters.Audience, "audience", out string? audience, out error))
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, error!);
        }

        if (audience == null)
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, "audience (5) is missing: name the resource server the token is for");
        }

        ResourceServerRecord? rs = _store.FindResourceServer(audience);
        IReadOnlyList<GrantRecord> grants = rs == null ? [] : _store.FindGrants(clientId, audience);
        if (grants.Count == 0)
        {
            // The same answer whether or not the audience exists, so clients cannot probe for resource servers.
            return AceResponse.Failure(AceErrorCode.UnauthorizedClient, "client '" + clientId + "' is not allowed tokens for audience '" + audience + "'");
        }

        // RFC 9200 §5.8.4.3: null asks the AS to say which profile; an integer names the one the client wants.
        int profile;
        CborReaderState profileType = map.TypeOf(AceParameters.AceProfile);
        if (profileType is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger)
        {
            map.TryGetEncoded(AceParameters.AceProfile, out int o, out int n);
            long wanted = new CborReader(map.Body, o, n).ReadInt64();
            if (wanted != AceProfile.CoapOscore || Array.IndexOf(rs!.Profiles, AceProfile.CoapOscore) < 0)
            {
                return AceResponse.Failure(
                    AceErrorCode.IncompatibleAceProfiles,
                    "ace_profile " + AceProfileNames.Name((int)Math.Clamp(wanted, int.MinValue, int.MaxValue)) + " is not shared: resource server '" + audience + "' supports "
                    + string.Join(", ", rs!.Profiles.Select(AceProfileNames.Name)) + " and this AS issues coap_oscore (2) tokens");
            }

            profile = (int)wanted;
        }
        else if (profileType is CborReaderState.Finished or CborReaderState.Null)
        {
            if (Array.IndexOf(rs!.Profiles, AceProfile.CoapOscore) < 0)
            {
                return AceResponse.Failure(
                    AceErrorCode.IncompatibleAceProfiles,
                    "resource server '" + audience + "' supports " + string.Join(", ", rs.Profiles.Select(AceProfileNames.Name)) + " and this AS issues coap_oscore (2) tokens only");
            }

            profile = AceProfile.CoapOscore;
        }
        else
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, "ace_profile (38) must be an integer or null (RFC 9200 §5.8.4.3)");
        }

        // RFC 9203 §3.1: the AS makes the OSCORE_Input_Material; req_cnf may only name one it made before, by its id
        // (an update of access rights); a key the client brings cannot be bound.
        byte[]? updateId = null;
        if (map.TryGetEncoded(AceParameters.ReqCnf, out int ro, out int rl))
        {
            AceResponse? refused = ReadUpdateId(clientId, audience, map.Body, ro, rl, out updateId);
            if (refused != null)
            {
                return refused;
            }
        }

        if (!map.TryGetBytes(AceParameters.Cnonce, "cnonce", out byte[]? cnonce, out error))
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, error!);
        }

        if (cnonce != null && cnonce.Length > 64)
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, "cnonce is " + cnonce.Length + " bytes; at most 64 accepted");
        }

        // Scope: what policy allows (the union of the grants of the requested kind), intersected with the request.
        AccessScope? requested = null;
        if (map.TryGetEncoded(AceParameters.Scope, out int so, out int sl))
        {
            if (!AccessScope.TryDecode(map.Body, so, sl, out requested, out error))
            {
                return AceResponse.Failure(AceErrorCode.InvalidScope, error!);
            }
        }

        AccessScope? allowed = null;
        foreach (GrantRecord grant in grants)
        {
            if (requested == null || grant.Scope.IsAif == requested.IsAif)
            {
                allowed = allowed == null ? grant.Scope : allowed.Union(grant.Scope) ?? allowed;
            }
        }

        AccessScope? effective = requested == null ? allowed : allowed == null ? null : requested.Intersect(allowed);
        if (effective == null)
        {
            return AceResponse.Failure(AceErrorCode.InvalidScope, "nothing of the requested scope \"" + requested + "\" is granted to client '" + clientId + "' for audience '" + audience + "'");
        }

        bool narrowed = requested == null || !requested.Equals(effective);
        issue = new TokenIssue(rs, exiSequence => Mint(clientId, rs, profile, effective, narrowed, cnonce, updateId, exiSequence));
        return null;
    }

    private (AceResponse Response, IssuedTokenRecord? Record) Mint(string clientId, ResourceServerRecord rs, int profile, AccessScope scope, bool narrowed, byte[]? cnonce, byte[]? updateId, long? exiSequence)
    {
        DateTimeOffset issuedAt = _time.GetUtcNow();

        // ExiCti: an exi token's number counts milliseconds of the AS clock from before the token waited for its commit;
        // its iat is never later than that number, so the number always stands at or after the iat it is issued with.
        if (exiSequence is long sequence && sequence < issuedAt.ToUnixTimeMilliseconds())
        {
            issuedAt = DateTimeOffset.FromUnixTimeMilliseconds(sequence);
        }

        long now = issuedAt.ToUnixTimeSeconds();
        int lifetime = _settings.TokenLifetimeSeconds;
        CoseError keyError = CoseKeySet.Decode(rs.CoseKey, out IReadOnlyList<CoseKey> asRsKeys);
        if (keyError != CoseError.None)
        {
            throw new InvalidOperationException("the stored key of resource server '" + rs.Audience + "' does not decode: " + keyError);
        }

        // The one minter of the CLI and the AS: Encrypt0 under the AEAD key; Mac0 (DESIGN.md §2 default) or Sign1 with
        // the Master Secret sealed in cnf by the AEAD key (RFC 9203 §3.2, RFC 8747 §3.3); key_ops pick each key's purpose.
        AccessTokenFile minted;
        try
        {
            using var minter = new AccessTokenMinter(asRsKeys, _crypto);
            minted = minter.Mint(new TokenMintRequest
            {
                Audience = rs.Audience,
                Scope = scope,
                Profile = profile,
                Protection = rs.Protection,
                ExpiresInSeconds = rs.HasClock ? lifetime : null,
                Exi = rs.HasClock ? null : lifetime,
                ExiSequence = rs.HasClock ? null : exiSequence ?? throw new InvalidOperationException("an exi token needs its sequence number from the store"),
                Cti = rs.HasClock ? _ctis.Next() : null,
                Cnonce = cnonce,
                UpdateInputMaterialId = updateId,
                Now = issuedAt,
            });
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException("the stored keys of resource server '" + rs.Audience + "' cannot mint its tokens: " + e.Message, e);
        }
        finally
        {
            foreach (CoseKey k in asRsKeys)
            {
                k.Dispose();
            }
        }

        byte[] token = minted.AccessToken;
        byte[] cnf = updateId == null ? EncodeCnf(minted.InputMaterialId, minted.MasterSecret) : EncodeCnfKid(updateId);
        CryptoBytes.Clear(minted.MasterSecret);
        if (token.Length > rs.MaxTokenBytes)
        {
            CryptoBytes.Clear(cnf);
            return (AceResponse.Failure(
                AceErrorCode.InvalidRequest,
                "the token would be " + token.Length + " bytes but resource server '" + rs.Audience + "' accepts at most " + rs.MaxTokenBytes + "; ask for a smaller scope"), null);
        }

        byte[] scopeBytes = scope.Encode();
        var record = new IssuedTokenRecord(
            minted.Cti!, SHA256.HashData(token), clientId, rs.Audience, scopeBytes, profile, now,
            rs.HasClock ? now + lifetime : null, rs.HasClock ? null : lifetime, now + lifetime, cnf, false);
        // RFC 9203 §3.2: the response to an update of access rights has no cnf (the client keeps its context).
        return (AceResponse.Created(EncodeResponse(token, lifetime, updateId == null ? cnf : null, profile, narrowed ? scopeBytes : null)), record);
    }

    // RFC 9203 §3.2: { cnf: { osc: OSCORE_Input_Material } } as in the token, for the client.
    private static byte[] EncodeCnf(byte[] id, byte[] masterSecret)
    {
        byte[] buffer = new byte[32 + id.Length + masterSecret.Length];
        var w = new CborWriter(buffer);
        w.WriteStartMap(1);
        w.WriteInt32((int)CnfMethod.OscoreInputMaterial);
        w.WriteStartMap(2);
        w.WriteInt32(OscoreInputMaterial.LabelId);
        w.WriteByteString(id);
        w.WriteInt32(OscoreInputMaterial.LabelMs);
        w.WriteByteString(masterSecret);
        byte[] cnf = buffer.AsSpan(0, w.BytesWritten).ToArray();
        CryptoBytes.Clear(buffer);
        return cnf;
    }

    // RFC 9200 §5.8.2, RFC 9203 §3.2: access_token, expires_in, cnf, ace_profile, and scope when it differs from the request.
    private static byte[] EncodeResponse(byte[] token, int lifetime, byte[]? cnf, int profile, byte[]? scope)
    {
        byte[] buffer = new byte[64 + token.Length + (cnf?.Length ?? 0) + (scope?.Length ?? 0)];
        var w = new CborWriter(buffer);
        w.WriteStartMap(3 + (cnf == null ? 0 : 1) + (scope == null ? 0 : 1));
        w.WriteInt32(AceParameters.AccessToken);
        w.WriteByteString(token);
        w.WriteInt32(AceParameters.ExpiresIn);
        w.WriteInt32(lifetime);
        if (cnf != null)
        {
            w.WriteInt32(AceParameters.Cnf);
            w.WriteEncodedValue(cnf, 0, cnf.Length);
        }
        if (scope != null)
        {
            w.WriteInt32(AceParameters.Scope);
            w.WriteEncodedValue(scope, 0, scope.Length);
        }

        w.WriteInt32(AceParameters.AceProfile);
        w.WriteInt32(profile);
        byte[] body = buffer.AsSpan(0, w.BytesWritten).ToArray();
        CryptoBytes.Clear(buffer);
        return body;
    }

    // { kid: id } (RFC 8747 §3.4), the cnf of an update of access rights.
    private static byte[] EncodeCnfKid(byte[] id)
    {
        byte[] buffer = new byte[16 + id.Length];
        var w = new CborWriter(buffer);
        w.WriteStartMap(1);
        w.WriteInt32((int)CnfMethod.Kid);
        w.WriteByteString(id);
        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }

    // RFC 9203 §3.1: req_cnf { kid: id } must name Input Material this AS issued to this client for this audience, in a
    // token not revoked; anything else is invalid_request. A COSE_Key or Encrypted_COSE_Key cannot be bound here.
    private AceResponse? ReadUpdateId(string clientId, string audience, byte[] body, int offset, int length, out byte[]? id)
    {
        id = null;
        var r = new CborReader(body, offset, length);
        if (r.PeekState() != CborReaderState.StartMap || r.ReadStartMap() != 1
            || r.PeekState() is not (CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger))
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, "req_cnf (4) must be a map with one confirmation method (RFC 8747 §3.1)");
        }

        long method = r.ReadInt64();
        if (method != (int)CnfMethod.Kid)
        {
            return AceResponse.Failure(
                AceErrorCode.UnsupportedPopKey,
                "req_cnf method " + method + " is not supported with coap_oscore: the AS makes the OSCORE_Input_Material (RFC 9203 §3.2); send req_cnf { kid } only to update access rights");
        }

        if (r.PeekState() != CborReaderState.ByteString)
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, "req_cnf kid must be a byte string (RFC 9203 §3.1)");
        }

        byte[] kid = r.ReadByteString();
        bool issued = _store.FindTokens(clientId, audience).Any(t => !t.Revoked && InputMaterialId(t.Cnf) is byte[] known && known.AsSpan().SequenceEqual(kid));
        if (!issued)
        {
            return AceResponse.Failure(AceErrorCode.InvalidRequest, "req_cnf kid does not name OSCORE Input Material issued to client '" + clientId + "' for audience '" + audience + "' (RFC 9203 §3.1)");
        }

        id = kid;
        return null;
    }

    // The id of the OSCORE_Input_Material (or the kid) in a stored cnf.
    private static byte[]? InputMaterialId(byte[] cnf)
    {
        var r = new CborReader(cnf);
        r.ReadStartMap();
        long method = r.ReadInt64();
        if (method == (int)CnfMethod.Kid)
        {
            return r.ReadByteString();
        }

        int n = r.ReadStartMap();
        for (int i = 0; i < n; i++)
        {
            long label = r.ReadInt64();
            if (label == OscoreInputMaterial.LabelId)
            {
                return r.ReadByteString();
            }

            r.SkipValue();
        }

        return null;
    }
}
