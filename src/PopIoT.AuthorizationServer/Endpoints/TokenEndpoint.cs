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
    private readonly RegistryCache _registry;
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
        : this(store, new RegistryCache(store ?? throw new ArgumentNullException(nameof(store))), crypto, time, settings, logger)
    {
    }

    // The AS's endpoint shares the cache of the registry with the OSCORE context refresh (AceAuthorizationServer).
    internal TokenEndpoint(IAuthorizationStore store, RegistryCache registry, ICryptoProvider crypto, TimeProvider time, AuthorizationServerSettings settings, ILogger? logger = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
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
        using TokenIssue? owned = issue;
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
                    record = await _store.AddExiTokenAsync(issue.Resource.Audience, ExiCti.First(_time.GetUtcNow()), seq =>
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

        ResourceServerRecord? rs = _registry.FindResourceServer(audience);
        IReadOnlyList<GrantRecord> grants = rs == null ? [] : _registry.FindGrants(clientId, audience);
        if (grants.Count == 0)
        {
            // The same answer whether or not the audience exists, so clients cannot probe for resource servers.
            return AceResponse.Failure(AceErrorCode.UnauthorizedClient, "client '" + clientId + "' is not allowed tokens for audience '" + audience + "'");
        }

        AceResponse? refused = PopKeyRequest.Read(map, out PopKeyRequest? pop);
        if (refused != null)
        {
            return refused;
        }

        try
        {
            // RFC 9203 §3.1, RFC 9202 §4: req_cnf { kid } names the PoP key of a token this AS issued to this client for
            // this audience, not revoked (an update of access rights); it also fixes the profile.
            IssuedTokenRecord? updated = pop!.Kid == null ? null : _store.FindTokens(clientId, audience)
                .FirstOrDefault(t => !t.Revoked && AccessInformation.PopKeyId(t.Cnf) is byte[] known && known.AsSpan().SequenceEqual(pop.Kid));
            int[] clientProfiles = _registry.FindClient(clientId)?.ProfilesOrDefault ?? [AceProfile.CoapOscore];
            refused = ProfileNegotiation.Choose(map, clientProfiles, rs!, pop, updated, out int profile)
                ?? CheckPopKey(clientId, audience, rs!, pop, updated, profile);
            refused ??= IssueFor(clientId, map, rs!, grants, profile, pop, out issue);
            return refused;
        }
        finally
        {
            // On success the issue owns the client's key until it is minted.
            if (issue == null)
            {
                pop!.Dispose();
            }
        }
    }

    // The PoP key the request asks for, against the chosen profile.
    private static AceResponse? CheckPopKey(string clientId, string audience, ResourceServerRecord rs, PopKeyRequest pop, IssuedTokenRecord? updated, int profile)
    {
        if (pop.Kid != null && updated == null)
        {
            // RFC 9202 §4 names unsupported_pop_key for a kid that is no PoP key issued to the client; RFC 9203 §3.1 none.
            return profile == AceProfile.CoapDtls
                ? AceResponse.Failure(AceErrorCode.UnsupportedPopKey, "req_cnf kid does not name a DTLS PSK issued to client '" + clientId + "' for audience '" + audience + "' (RFC 9202 §4)")
                : AceResponse.Failure(AceErrorCode.InvalidRequest, "req_cnf kid does not name OSCORE Input Material issued to client '" + clientId + "' for audience '" + audience + "' (RFC 9203 §3.1)");
        }

        if (pop.HasCoseKey)
        {
            if (rs.RsPublicKey == null)
            {
                // RFC 9202 §3.2.1: the client must learn the RS's key from the AS (rs_cnf), and none is registered.
                return AceResponse.Failure(AceErrorCode.UnsupportedPopKey, "resource server '" + audience + "' has no raw public key registered for rs_cnf, so DTLS RPK mode is not available (RFC 9202 §3.2.1); ask without req_cnf for a PSK");
            }

            return pop.DecodeClientKey();
        }

        return null;
    }

    private AceResponse? IssueFor(string clientId, AceRequestMap map, ResourceServerRecord rs, IReadOnlyList<GrantRecord> grants, int profile, PopKeyRequest pop, out TokenIssue? issue)
    {
        issue = null;
        string audience = rs.Audience;
        string? error;
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
        var choice = new MintChoice(profile, effective, narrowed, cnonce, pop);
        issue = new TokenIssue(rs, exiSequence => Mint(clientId, rs, choice, exiSequence), pop);
        return null;
    }

    private (AceResponse Response, IssuedTokenRecord? Record) Mint(string clientId, ResourceServerRecord rs, MintChoice choice, long? exiSequence)
    {
        // The AS clock at minting (inside the storing transaction for an exi token): the record's issued_at and expiry.
        // An exi token's number is a counter, not a time (docs/cli.md, "Exi tokens and cti").
        DateTimeOffset issuedAt = _time.GetUtcNow();
        long now = issuedAt.ToUnixTimeSeconds();
        int lifetime = _settings.TokenLifetimeSeconds;
        CoseError keyError = CoseKeySet.Decode(rs.CoseKey, out IReadOnlyList<CoseKey> asRsKeys);
        if (keyError != CoseError.None)
        {
            throw new InvalidOperationException("the stored key of resource server '" + rs.Audience + "' does not decode: " + keyError);
        }

        bool dtls = choice.Profile == AceProfile.CoapDtls;
        bool rpk = choice.Pop.ClientKey != null;
        byte[]? updateId = choice.Pop.Kid;

        // The one minter of the CLI and the AS: Encrypt0 under the AEAD key; Mac0 (DESIGN.md §2 default) or Sign1 with
        // the key sealed in cnf by the AEAD key (RFC 9203 §3.2, RFC 9202 §3.3, RFC 8747 §3.3); a key derivation key makes
        // kid-only DTLS tokens (RFC 9202 §3.3); key_ops pick each key's purpose.
        AccessTokenFile minted;
        try
        {
            using var minter = new AccessTokenMinter(asRsKeys, _crypto);
            minted = minter.Mint(new TokenMintRequest
            {
                Audience = rs.Audience,
                Scope = choice.Scope,
                Profile = choice.Profile,
                Protection = rs.Protection,
                ExpiresInSeconds = rs.HasClock ? lifetime : null,
                Exi = rs.HasClock ? null : lifetime,
                ExiSequence = rs.HasClock ? null : exiSequence ?? throw new InvalidOperationException("an exi token needs its sequence number from the store"),
                Cti = rs.HasClock ? _ctis.Next() : null,
                Cnonce = choice.Cnonce,
                UpdateKid = updateId,
                ClientPublicKey = choice.Pop.ClientKey,
                RsPublicKey = rpk ? rs.RsPublicKey : null,
                // RFC 9202 §3.3: a kid unique among this AS's kids for the RS, and across every AS instance on the
                // database: drawn from the same source as the cti, whose prefix the store hands out once per process.
                PskKid = dtls && updateId == null && !rpk ? _ctis.Next() : null,
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
        // What the AS keeps (for introspection and updates) and what the client gets: RFC 9203 §3.2 (osc), RFC 9202 §3.3
        // (the PSK as a COSE_Key with its kid), §3.2.1 (the client's public key; the client gets rs_cnf instead), and for
        // an update of access rights { kid } with no cnf in the response (the client keeps its context or session key).
        byte[] cnf = updateId != null ? AccessInformation.KidCnf(updateId)
            : rpk ? AccessInformation.KeyCnf(choice.Pop.ClientKey!.Encode())
            : dtls ? AccessInformation.PskCnf(minted.PskKid!, minted.Psk!)
            : AccessInformation.OscoreCnf(minted.InputMaterialId, minted.MasterSecret);
        CryptoBytes.Clear(minted.MasterSecret);
        if (minted.Psk != null)
        {
            CryptoBytes.Clear(minted.Psk);
        }

        if (token.Length > rs.MaxTokenBytes)
        {
            CryptoBytes.Clear(cnf);
            return (AceResponse.Failure(
                AceErrorCode.InvalidRequest,
                "the token would be " + token.Length + " bytes but resource server '" + rs.Audience + "' accepts at most " + rs.MaxTokenBytes + "; ask for a smaller scope"), null);
        }

        byte[] scopeBytes = choice.Scope.Encode();
        var record = new IssuedTokenRecord(
            minted.Cti!, SHA256.HashData(token), clientId, rs.Audience, scopeBytes, choice.Profile, now,
            rs.HasClock ? now + lifetime : null, rs.HasClock ? null : lifetime, now + lifetime, cnf, false);
        byte[]? clientCnf = updateId != null || rpk ? null : cnf;
        byte[]? rsCnf = rpk ? AccessInformation.KeyCnf(rs.RsPublicKey!) : null;
        return (AceResponse.Created(AccessInformation.Response(token, lifetime, clientCnf, rsCnf, choice.Profile, choice.Narrowed ? scopeBytes : null)), record);
    }

    private sealed record MintChoice(int Profile, AccessScope Scope, bool Narrowed, byte[]? Cnonce, PopKeyRequest Pop);
}
