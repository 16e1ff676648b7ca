using System;

using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// The device's resource-server engine for the ACE OSCORE profile (RFC 9200 §5.10, RFC 9203), sans-IO: a CoAP request
/// handler that a <see cref="MessageLayer"/> (or any host) feeds with requests, plus <see cref="Tick"/> for time.
/// <list type="bullet">
/// <item>POST /authz-info (RFC 9203 §4.1): validates the token (<see cref="CwtValidator"/>: Mac0, Encrypt0, nested,
/// Encrypted_COSE_Key), checks aud, ace_profile, cnf and scope, stores it in a fixed slot, answers 2.01 with nonce2 and
/// ace_server_recipientid, and derives the OSCORE context (<see cref="AceOscoreSetup"/>). Same token again (known by
/// its verified claims, whatever its unprotected bytes): no new slot and no new lifetime. A token without nonces for
/// the same PoP key, posted over that token's OSCORE context: access-rights update, context kept.</item>
/// <item>Other requests: OSCORE-verified (RFC 8613 §8.2) against the slot's context, the token's lifetime checked,
/// then the scope (4.03 when it does not cover the resource, 4.05 when it covers the resource but not the method);
/// unprotected requests to protected resources get 4.01 with AS Request Creation Hints (RFC 9200 §5.3).</item>
/// <item>exi (RFC 9200 §5.10.3): a lifetime counts from the token's first verification and never restarts; the
/// highest sequence number of a token that expired, was replaced or was evicted burns every number at or below it.</item>
/// <item>Fixed memory: <see cref="AceRsSettings.Slots"/> slots; a full table evicts the least recently used slot that
/// is not protected (its context verified no request within <see cref="AceRsSettings.EvictionProtectionSeconds"/>)
/// and erases its keys, or refuses the new token with 5.03 and Max-Age. Protected requests allocate nothing after
/// start-up.</item>
/// <item>Admission (RFC 9200 §5.10.1.2): posts to /authz-info are rate-limited per peer (4.29) and overall (5.03),
/// both with Max-Age (<see cref="AuthzInfoAdmission"/>).</item>
/// </list>
/// Every decision is reported to <see cref="Listener"/> with its <see cref="AceRsError"/> reason. No exception escapes
/// <see cref="HandleRequest"/> for bad input. Not thread-safe.
/// </summary>
public sealed class AceResourceServer : ICoapRequestHandler, IDisposable
{
    private static readonly byte[] AceCborFormat = new byte[] { CoapContentFormat.AceCbor };

    private readonly AceRsSettings _settings;
    private readonly ICryptoProvider _provider;
    private readonly AceClock _clock = new AceClock();
    private readonly CwtValidator _validator;
    private readonly byte[] _audienceUtf8;
    private readonly CwtValidationResult _result;
    private readonly AuthzInfoRequest _authz = new AuthzInfoRequest();
    private readonly AceTokenTable _table;
    private readonly OscoreProcessor _processor;
    private readonly OscoreExchange _exchange = new OscoreExchange();
    private readonly ResourceTable _resources;
    private readonly string[] _paths;
    private readonly byte[][] _pathUtf8;
    private readonly bool[] _protected;
    private readonly AceScopeTable _scopes;
    private readonly Block1Reassembler _block1;
    private readonly IHash _sha;
    private readonly byte[] _digest = new byte[32];
    private readonly byte[] _permissions;
    private readonly byte[] _out = new byte[160];
    private readonly CborWriter _writer;
    private readonly byte[] _nonce2;
    private readonly byte[] _salt = new byte[AceOscoreSetup.MaxMasterSaltLength];
    private readonly byte[] _serverId = new byte[1];
    private int _saltLength;
    private int _algorithm;
    private readonly AceFreshness _freshness;
    private readonly AceDecision _decision = new AceDecision();
    private readonly AuthzInfoAdmission _admission;
    private readonly byte[] _maxAge = new byte[4];
    private readonly int _authzIndex;
    private long _now;
    private bool _disposed;

    /// <summary>Creates the engine with its fixed tables (all memory is allocated here).</summary>
    /// <param name="settings">The sizes and identity (copied).</param>
    /// <param name="provider">The crypto provider (random nonces, HMAC, AES-CCM, SHA-256).</param>
    /// <exception cref="ArgumentException">A setting is out of range, or provider is null.</exception>
    public AceResourceServer(AceRsSettings settings, ICryptoProvider provider)
    {
        if (settings == null || provider == null)
        {
            throw new ArgumentException("settings and provider are required.");
        }

        settings.Validate();
        _settings = Copy(settings);
        _provider = provider;
        _clock.HasClock = settings.HasClock;
        _validator = new CwtValidator(provider, _clock, settings.Audience);
        _audienceUtf8 = new byte[Utf8.GetByteCount(settings.Audience)];
        Utf8.Encode(settings.Audience, _audienceUtf8, 0);
        _validator.ClockSkewSeconds = settings.ClockSkewSeconds;
        _result = new CwtValidationResult(settings.MaxTokenSize);
        _table = new AceTokenTable(settings.Slots, settings.MaxResources, provider, settings.ReplayWindowSize);
        _processor = new OscoreProcessor(settings.MaxMessageSize);
        _resources = new ResourceTable(settings.MaxResources, 64 * settings.MaxResources);
        _paths = new string[settings.MaxResources];
        _pathUtf8 = new byte[settings.MaxResources][];
        _protected = new bool[settings.MaxResources];
        _scopes = new AceScopeTable(settings.MaxScopeEntries);
        _block1 = new Block1Reassembler(settings.BlockwiseSlots, settings.EffectiveBlockwiseBufferSize, settings.MaxBlockSzx);
        _sha = provider.CreateSha256();
        _permissions = new byte[settings.MaxResources];
        _writer = new CborWriter(_out);
        _nonce2 = new byte[settings.NonceLength];
        _freshness = new AceFreshness(settings.HasClock ? 0 : settings.CnonceSlots);
        _admission = new AuthzInfoAdmission(settings);
        _authzIndex = Register(settings.AuthzInfoPath, CoapMethods.Post, new AuthzInfoRoute(), false);
    }

    /// <summary>Receives every security decision (null: none). Set at start-up.</summary>
    public IAceDecisionListener Listener { get; set; }

    /// <summary>The last decision taken (reused object; for tests and diagnostics).</summary>
    public AceDecision LastDecision
    {
        get { return _decision; }
    }

    /// <summary>The engine's current time (the last <see cref="Tick"/>): Unix seconds with a clock, seconds since boot without.</summary>
    public long Now
    {
        get { return _now; }
    }

    /// <summary>How many slots hold a token.</summary>
    public int ActiveSlots
    {
        get { return _table.ActiveCount; }
    }

    /// <summary>The slot count.</summary>
    public int SlotCount
    {
        get { return _table.Capacity; }
    }

    /// <summary>The highest exi sequence number of a token that expired, was replaced or was evicted (RFC 9200 §5.10.3), or -1.</summary>
    public long HighestExpiredExiSequence
    {
        get { return _freshness.HighestExpired; }
    }

    /// <summary>The exi sequence number of the token in a slot, or -1 (free slot, or a token without exi); for tests and diagnostics.</summary>
    /// <param name="slot">The slot index.</param>
    /// <returns>The number.</returns>
    public long ExiSequenceOf(int slot)
    {
        AceTokenSlot t = _table[slot];
        return t.InUse ? t.ExiSequence : -1;
    }

    /// <summary>How many slots were evicted to make room.</summary>
    public int Evictions { get; private set; }

    /// <summary>How many tokens expired and were dropped.</summary>
    public int Expirations { get; private set; }

    /// <summary>The OSCORE binding of the last verified request (what a Separate response or a notification needs).</summary>
    public OscoreExchange LastExchange
    {
        get { return _exchange; }
    }

    /// <summary>
    /// RAM per slot in bytes on a 64-bit CLR with a provider that shares one re-keyable AES-CCM (the managed one), all
    /// of it allocated when the engine is built (DESIGN.md §8 counts it as "RS state" per client). The parts, with 16-byte
    /// object headers, 24-byte array headers, 8-byte references and 8-byte rounding:
    /// <list type="bullet">
    /// <item>the token slot: its object (64) and one array for digest, PoP key id and a permission byte per resource
    /// (24 + 32 + <see cref="AceRsSettings.MaxResources"/>), plus its reference in the slot table (8);</item>
    /// <item>the Security Context: its object (104) and its one state array with both raw keys, Common IV, Echo, IDs and
    /// room for a 32-byte ID Context (24 + 131);</item>
    /// <item>the replay window: its object (40) and its bitmap (24 + 4 per 32 bits);</item>
    /// <item>the OSCORE context table's reference and LRU stamp (16);</item>
    /// <item>the time its context last verified a request, for eviction protection (8).</item>
    /// </list>
    /// AceMemoryTests measures the real figure and checks it against this one. A provider that cannot re-key (the
    /// desktop's platform AES-CCM) adds two keyed cipher objects per live context.
    /// </summary>
    /// <param name="settings">The settings.</param>
    /// <returns>The bytes per slot.</returns>
    public static int StateBytesPerSlot(AceRsSettings settings)
    {
        int slot = 64 + Round8(24 + 32 + settings.MaxResources) + 8;
        int context = 104 + Round8(24 + 131);
        int window = 40 + Round8(24 + (settings.ReplayWindowSize / 8));
        return slot + context + window + 16 + 8;
    }

    private static int Round8(int n)
    {
        return (n + 7) & ~7;
    }

    /// <summary>Sets the AS–RS key that verifies COSE_Mac0 tokens (the default protection, DESIGN.md §2).</summary>
    /// <param name="key">The key; its alg is pinned.</param>
    public void SetMac0Key(CoseKey key)
    {
        _validator.SetMac0Key(key);
    }

    /// <summary>Sets the AS–RS key that decrypts COSE_Encrypt0 tokens.</summary>
    /// <param name="key">The key; its alg is pinned.</param>
    public void SetEncrypt0Key(CoseKey key)
    {
        _validator.SetEncrypt0Key(key);
    }

    /// <summary>Sets the AS public key that verifies COSE_Sign1 tokens.</summary>
    /// <param name="key">The key.</param>
    public void SetSign1Key(CoseKey key)
    {
        _validator.SetSign1Key(key);
    }

    /// <summary>Sets the AS–RS key that decrypts an Encrypted_COSE_Key in cnf (RFC 8747 §3.3).</summary>
    /// <param name="key">The key.</param>
    public void SetCnfDecryptionKey(CoseKey key)
    {
        _validator.SetCnfDecryptionKey(key);
    }

    /// <summary>
    /// The one COSE type of this RS's tokens (<see cref="CwtValidator.TokenProtection"/>: 17 Mac0, 18 Sign1, 16 Encrypt0);
    /// another type is refused as <see cref="AceRsError.TokenTypeNotAccepted"/> before any key is tried. 0 accepts every
    /// type a key is set for; a deployed RS pins one (docs/ace-rs.md, Key purposes).
    /// </summary>
    public int TokenProtection
    {
        get { return _validator.TokenProtection; }
        set { _validator.TokenProtection = value; }
    }

    /// <summary>The COSE type assumed for untagged tokens (see <see cref="CwtValidator.UntaggedMessageType"/>); 0 refuses them.</summary>
    public int UntaggedTokenType
    {
        get { return _validator.UntaggedMessageType; }
        set { _validator.UntaggedMessageType = value; }
    }

    /// <summary>Registers a resource that needs a token granting the method (scope checked per request).</summary>
    /// <param name="path">The path, e.g. "/temp".</param>
    /// <param name="methods">The methods it serves (<see cref="CoapMethods"/> flags).</param>
    /// <param name="handler">The application code; it sees decrypted requests.</param>
    /// <returns>The resource (set its link-format attributes before serving).</returns>
    public CoapResource AddProtectedResource(string path, int methods, ICoapRequestHandler handler)
    {
        return _resources.Get(Register(path, methods, handler, true));
    }

    /// <summary>Registers a resource anyone may use without OSCORE (e.g. /hello).</summary>
    /// <param name="path">The path.</param>
    /// <param name="methods">The methods it serves.</param>
    /// <param name="handler">The application code.</param>
    /// <returns>The resource.</returns>
    public CoapResource AddUnprotectedResource(string path, int methods, ICoapRequestHandler handler)
    {
        return _resources.Get(Register(path, methods, handler, false));
    }

    /// <summary>
    /// Maps a text scope token to rights, e.g. ("read", "/temp", GET) and ("read", "/led", GET), ("admin", "/config", PUT).
    /// A token's text scope grants the union of its scope tokens' entries (RFC 6749 §3.3 scope syntax).
    /// </summary>
    /// <param name="scopeToken">The scope token (no spaces).</param>
    /// <param name="path">The resource path.</param>
    /// <param name="methods">The methods granted (<see cref="CoapMethods"/> flags, the AIF bits of RFC 9237).</param>
    public void AddScope(string scopeToken, string path, int methods)
    {
        _scopes.Add(scopeToken, path, methods);
    }

    /// <summary>
    /// Advances the engine's time and drops expired tokens (their contexts' keys are erased). Call it before handing
    /// requests in, at least as often as token lifetimes need (RFC 9200 §5.10.3 counts exi from receipt).
    /// </summary>
    /// <param name="now">Unix seconds with a clock (<see cref="AceRsSettings.HasClock"/>), else seconds since boot; never decreasing.</param>
    public void Tick(long now)
    {
        if (now > _now)
        {
            _now = now;
        }

        _clock.Now = _now;
        ExpireDue();
    }

    /// <summary>Whether a slot holds a token (tests and diagnostics).</summary>
    /// <param name="slot">The slot index.</param>
    /// <returns>True when in use.</returns>
    public bool IsSlotInUse(int slot)
    {
        return _table[slot].InUse;
    }

    /// <inheritdoc/>
    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
    {
        if (_disposed)
        {
            response.Code = CoapCode.ServiceUnavailable;
            return CoapHandlerResult.Respond;
        }

        try
        {
            // Tokens that ran out since the last Tick go first, so no request or re-post meets them.
            ExpireDue();
            if (request.HasOption(CoapOptionNumber.Oscore))
            {
                return HandleProtected(peer, request, response);
            }

            return HandleUnprotected(peer, request, response);
        }
        catch (Exception)
        {
            // Defence in depth: every parser returns an error code, but no bad datagram may take the device down.
            response.ClearOptions();
            response.SetPayload(null, 0, 0);
            response.Code = CoapCode.InternalServerError;
            return CoapHandlerResult.Respond;
        }
    }

    /// <summary>Drops every token and erases every key.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _table.Dispose();
        _result.Clear();
        _validator.Dispose();
        _sha.Dispose();
    }

    private CoapHandlerResult HandleUnprotected(int peer, CoapMessage request, CoapMessage response)
    {
        int ri = _resources.Find(request);
        if (ri == _authzIndex && request.Code == CoapCode.Post)
        {
            return AuthzInfo(peer, request, response, -1);
        }

        if (ri >= 0 && _protected[ri])
        {
            // RFC 9200 §5.3: an unauthorised request gets 4.01 with AS Request Creation Hints.
            _writer.Reset();
            byte[] cnonce = null;
            int co = 0;
            if (_freshness.IssuesCnonces)
            {
                // RFC 9200 §5.3: a clockless RS asks for a cnonce so it can tell the token was minted for this request.
                co = _freshness.IssueCnonce(_provider.Random);
                cnonce = _freshness.Cnonces;
            }

            AsCreationHints.Encode(_settings.AsUri, _settings.Audience, cnonce, co, 8, _writer);
            response.Code = CoapCode.Unauthorized;
            response.AddOption(CoapOptionNumber.ContentFormat, AceCborFormat, 0, 1);
            response.SetPayload(_out, 0, _writer.BytesWritten);
            Decide(AceDecisionKind.RequestDenied, AceRsError.NotProtected, response.Code, peer, -1, request.Code, _paths[ri]);
            return CoapHandlerResult.Respond;
        }

        byte method = request.Code;
        CoapHandlerResult r = _resources.HandleRequest(peer, request, response);
        if (ri >= 0 && response.Code == CoapCode.MethodNotAllowed)
        {
            Decide(AceDecisionKind.RequestDenied, AceRsError.MethodNotAllowed, response.Code, peer, -1, method, _paths[ri]);
        }
        else if (ri >= 0 || response.Code == CoapCode.Content)
        {
            Decide(AceDecisionKind.UnprotectedServed, AceRsError.None, response.Code, peer, -1, method, ri >= 0 ? _paths[ri] : null);
        }
        else
        {
            Decide(AceDecisionKind.RequestDenied, AceRsError.ResourceNotFound, response.Code, peer, -1, method, null);
        }

        return r;
    }

    private CoapHandlerResult HandleProtected(int peer, CoapMessage request, CoapMessage response)
    {
        OscoreStatus s = _processor.UnprotectRequest(request, _table.Contexts, _exchange);
        if (s == OscoreStatus.FreshnessRequired)
        {
            Decide(AceDecisionKind.RequestDenied, AceRsError.FreshnessRequired, CoapCode.Unauthorized, peer, _table.SlotOf(_exchange.Context), request.Code, null);
            return Protect(_processor.ProtectEchoChallenge(response, _exchange), response, peer);
        }

        if (s == OscoreStatus.UnrecognizedCriticalOption)
        {
            // RFC 8613 §8.2 step 8, RFC 7252 §5.4.1: the verified request gets a protected 4.02; no resource runs.
            Decide(AceDecisionKind.RequestDenied, AceRsError.UnrecognizedCriticalOption, CoapCode.BadOption, peer, _table.SlotOf(_exchange.Context), request.Code, null);
            return Protect(_processor.ProtectBadOption(response, _exchange), response, peer);
        }

        if (s != OscoreStatus.Ok)
        {
            AceRsError e = AceRsErrors.FromOscore(s);
            OscoreErrors.WriteErrorResponse(s, response);
            Decide(AceDecisionKind.RequestDenied, e, response.Code, peer, -1, 0, null);
            return CoapHandlerResult.Respond;
        }

        int slot = _table.SlotOf(_exchange.Context);
        if (slot < 0)
        {
            // A context this engine did not create cannot be in the table; treat it as unknown.
            OscoreErrors.WriteErrorResponse(OscoreStatus.SecurityContextNotFound, response);
            Decide(AceDecisionKind.RequestDenied, AceRsError.SecurityContextNotFound, response.Code, peer, -1, 0, null);
            return CoapHandlerResult.Respond;
        }

        AceTokenSlot t = _table[slot];
        if (_now >= t.ExpiresAt)
        {
            // RFC 9200 §5.10.3: an expired token authorises nothing; its context goes with it.
            byte method = request.Code;
            _freshness.Expired(t.ExiSequence);
            _table.Drop(slot);
            Expirations++;
            DropBurnt();
            OscoreErrors.WriteErrorResponse(OscoreStatus.SecurityContextNotFound, response);
            Decide(AceDecisionKind.RequestDenied, AceRsError.TokenExpiredAtAccess, response.Code, peer, slot, method, null);
            return CoapHandlerResult.Respond;
        }

        _table.Touch(slot);
        _table.Verified(slot, _now);
        int ri = _resources.Find(request);
        if (ri == _authzIndex && request.Code == CoapCode.Post)
        {
            // RFC 9203 §4.1: an access-rights update may be posted over the existing OSCORE context.
            CoapHandlerResult ar = AuthzInfo(peer, request, response, slot);
            return ar == CoapHandlerResult.Respond ? Protect(_processor.ProtectResponse(response, _exchange, false), response, peer) : ar;
        }

        if (ri < 0 || !CoapMethods.Allows(_resources.Get(ri).Methods, request.Code))
        {
            // 4.04 / 4.05 (and /.well-known/core) come from the resource table, protected like any response.
            byte method = request.Code;
            _resources.HandleRequest(peer, request, response);
            bool served = response.Code == CoapCode.Content;
            AceRsError why = served ? AceRsError.None : (ri < 0 ? AceRsError.ResourceNotFound : AceRsError.MethodNotAllowed);
            Decide(served ? AceDecisionKind.RequestAllowed : AceDecisionKind.RequestDenied, why, response.Code, peer, slot, method, ri < 0 ? null : _paths[ri]);

            return Protect(_processor.ProtectResponse(response, _exchange, false), response, peer);
        }

        AceRsError denied = _protected[ri] ? ScopeDecision(t, ri, request.Code) : AceRsError.None;
        if (denied != AceRsError.None)
        {
            response.Code = AceRsErrors.GetCoapCode(denied);
            Decide(AceDecisionKind.RequestDenied, denied, response.Code, peer, slot, request.Code, _paths[ri]);
            return Protect(_processor.ProtectResponse(response, _exchange, false), response, peer);
        }

        CoapHandlerResult r = _resources.HandleRequest(peer, request, response);
        Decide(AceDecisionKind.RequestAllowed, AceRsError.None, response.Code, peer, slot, request.Code, _paths[ri]);
        if (r != CoapHandlerResult.Respond)
        {
            return r;
        }

        return Protect(_processor.ProtectResponse(response, _exchange, false), response, peer);
    }

    private CoapHandlerResult Protect(OscoreStatus s, CoapMessage response, int peer)
    {
        if (s != OscoreStatus.Ok)
        {
            response.ClearOptions();
            response.SetPayload(null, 0, 0);
            response.Code = CoapCode.InternalServerError;
            Decide(AceDecisionKind.RequestDenied, AceRsError.ResponseProtectionFailed, response.Code, peer, -1, 0, null);
        }

        return CoapHandlerResult.Respond;
    }

    // RFC 9200 §5.10.1, RFC 9203 §4.1–§4.3. protectingSlot ≥ 0 when the POST came over that slot's OSCORE context.
    private CoapHandlerResult AuthzInfo(int peer, CoapMessage request, CoapMessage response, int protectingSlot)
    {
        // RFC 9200 §5.10.1.2: rate limits before any parsing. A POST over the client's own context already proved
        // possession (it is an access-rights update) and is not counted, so no flood of strangers can block it.
        if (protectingSlot < 0 && AuthzInfoAdmission.StartsBody(request))
        {
            long retryAfter;
            AceRsError limit = _admission.Admit(peer, _now, out retryAfter);
            if (limit != AceRsError.None)
            {
                return RejectUntil(limit, retryAfter, peer, request, response);
            }
        }

        uint cf;
        if (request.TryGetUint(CoapOptionNumber.ContentFormat, out cf) && cf != CoapContentFormat.AceCbor)
        {
            return Reject(AceRsError.UnsupportedContentFormat, peer, request, response);
        }

        byte[] body;
        int bodyOffset;
        int bodyLength;
        BlockwiseStatus bs = _block1.Receive(peer, request, response, _now);
        if (bs == BlockwiseStatus.Continue)
        {
            return CoapHandlerResult.Respond;
        }

        if (bs == BlockwiseStatus.Error)
        {
            // The reassembler already set 4.00 / 4.08 / 4.13 (+ Size1) as RFC 7959 §2.9 says; add the error map.
            byte code = response.Code;
            return Reject(code == CoapCode.RequestEntityTooLarge ? AceRsError.TokenTooLarge : AceRsError.BlockwiseFailed, code, peer, request, response);
        }

        if (bs == BlockwiseStatus.Complete)
        {
            body = _block1.BodyBuffer;
            bodyOffset = 0;
            bodyLength = _block1.BodyLength;
        }
        else
        {
            body = request.PayloadBuffer;
            bodyOffset = request.PayloadOffset;
            bodyLength = request.PayloadLength;
        }

        AceRsError e = _authz.Parse(body, bodyOffset, bodyLength);
        if (e != AceRsError.None)
        {
            return Reject(e, peer, request, response);
        }

        AuthzInfoRequest a = _authz;
        if (a.TokenLength > _settings.MaxTokenSize)
        {
            return Reject(AceRsError.TokenTooLarge, peer, request, response);
        }

        if (a.HasNonces)
        {
            if (a.Nonce1Length < _settings.MinNonce1Length || a.Nonce1Length > AceOscoreSetup.MaxInputLength)
            {
                return Reject(AceRsError.InvalidNonce1, peer, request, response);
            }

            // RFC 8613 §3.3: an ID is at most nonce length − 6 = 7 bytes for the AES-CCM-16 algorithms.
            if (a.ClientRecipientIdLength > 7)
            {
                return Reject(AceRsError.InvalidClientRecipientId, peer, request, response);
            }
        }

        // RFC 9200 §5.10.1.1: the token is verified first; only then is it known which token it is (TokenIdentity).
        e = Validate(body, a.TokenOffset, a.TokenLength);
        if (e != AceRsError.None)
        {
            _result.Clear();
            return Reject(e, peer, request, response);
        }

        TokenIdentity();
        int dup = _table.FindDigest(_digest);
        if (dup >= 0)
        {
            if (protectingSlot >= 0 && protectingSlot != dup)
            {
                _result.Clear();
                return Reject(AceRsError.UpdateFromWrongContext, peer, request, response);
            }

            if (!a.HasNonces)
            {
                // RFC 9200 §5.10.1: the same token again is not stored twice, and its exi counter is not restarted.
                _result.Clear();
                response.Code = CoapCode.Created;
                Decide(AceDecisionKind.TokenDuplicate, AceRsError.None, response.Code, peer, dup, request.Code, _settings.AuthzInfoPath);
                return CoapHandlerResult.Respond;
            }
        }
        else
        {
            e = CheckFreshness();
            if (e != AceRsError.None)
            {
                _result.Clear();
                return Reject(e, peer, request, response);
            }
        }

        if (!a.HasNonces)
        {
            if (protectingSlot < 0)
            {
                // RFC 9203 §4.1: an update is protected with the OSCORE context of the token it updates; sent in the
                // clear it could come from anyone, e.g. to roll a client back to an older token.
                _result.Clear();
                return Reject(AceRsError.UpdateNotProtected, peer, request, response);
            }

            return UpdateRights(peer, request, response, protectingSlot);
        }

        if (protectingSlot >= 0)
        {
            // RFC 9203 §4.1: a POST carrying nonces sets up a new context; it is sent without OSCORE.
            _result.Clear();
            return Reject(AceRsError.UpdateFromWrongContext, peer, request, response);
        }

        if (_result.Confirmation.Method == CnfMethod.Kid)
        {
            // A kid names key material this RS already holds; without the material no context can be derived.
            _result.Clear();
            return Reject(AceRsError.UnsupportedConfirmation, peer, request, response);
        }

        return StoreNew(peer, request, response, dup);
    }

    private AceRsError Validate(byte[] body, int offset, int length)
    {
        CwtError ce = _validator.Validate(body, offset, length, _result);
        if (ce != CwtError.None)
        {
            return AceRsErrors.FromCwt(ce, _result.CoseError, _result.Claim);
        }

        CwtClaims c = _result.Claims;

        // RFC 9200 §5.10.1.1: a token for another profile is refused; absent means this RS's default (coap_oscore).
        if (c.Has(CwtClaimKey.AceProfile) && c.AceProfile != AceProfile.CoapOscore)
        {
            return AceRsError.UnknownProfile;
        }

        CwtConfirmation cnf = _result.Confirmation;
        if (cnf.Method == CnfMethod.OscoreInputMaterial)
        {
            OscoreInputMaterial m = cnf.Oscore;
            if (m.HkdfTextLength >= 0 || m.AlgorithmTextLength >= 0 || (m.Hkdf != 0 && m.Hkdf != AceOscoreSetup.HkdfSha256) || !AceOscoreSetup.IsSupportedAead(m.Algorithm))
            {
                return AceRsError.UnsupportedAlgorithm;
            }

            if (m.Version > 1 || m.IdLength > AceTokenSlot.MaxPopIdLength || m.MasterSecretLength < 1 || m.MasterSecretLength > AceOscoreSetup.MaxInputLength
                || m.SaltLength > AceOscoreSetup.MaxInputLength || m.ContextIdLength > SecurityContext.MaxIdContextLength)
            {
                return AceRsError.ConfirmationInvalid;
            }
        }
        else if (cnf.Method == CnfMethod.CoseKey || cnf.Method == CnfMethod.EncryptedCoseKey)
        {
            // PopIoT mapping (docs/ace-rs.md): a symmetric COSE_Key serves as OSCORE input material, k = ms, kid = id.
            if (cnf.KeyType != CoseKeyType.Symmetric || cnf.KidLength == 0)
            {
                return AceRsError.UnsupportedConfirmation;
            }

            if (cnf.KidLength > AceTokenSlot.MaxPopIdLength || cnf.SymmetricKeyLength > AceOscoreSetup.MaxInputLength)
            {
                return AceRsError.ConfirmationInvalid;
            }
        }
        else if (cnf.Method == CnfMethod.Kid)
        {
            // RFC 9203 §4.1 (and its example token with cnf { kid: h'01' }): an access-rights update names the
            // OSCORE_Input_Material id of the token it replaces; it cannot set up a context (checked in StoreNew).
            if (cnf.KidLength == 0 || cnf.KidLength > AceTokenSlot.MaxPopIdLength)
            {
                return AceRsError.ConfirmationInvalid;
            }
        }
        else
        {
            // RFC 9203 §3.2: this profile needs OSCORE_Input_Material (asymmetric keys cannot make a context).
            return AceRsError.UnsupportedConfirmation;
        }

        return _scopes.Evaluate(c, _paths, _pathUtf8, _resources.Count, _permissions);
    }

    // RFC 9200 §5.10.1.1: a token is known by what its protection covers, its claims (decrypted for Encrypt0, the inner
    // payload when nested). Bytes outside them (the unprotected header, a CWT tag) can change on the way without
    // making it another token, so they can neither dodge the duplicate check nor restart its exi counter.
    private void TokenIdentity()
    {
        CwtClaims c = _result.Claims;
        _sha.Reset();
        _sha.Update(c.Buffer, c.MapOffset, c.MapLength);
        _sha.Final(_digest, 0);
    }

    // The checks a token meets once, when the RS first verifies it (a stored token re-posted skips them).
    private AceRsError CheckFreshness()
    {
        CwtClaims c = _result.Claims;

        // RFC 9200 §5.10.1.1: only an RS that asked for a cnonce (a clockless one) checks it.
        if (c.Has(CwtClaimKey.Cnonce) && _freshness.IssuesCnonces && !_freshness.CnonceKnown(c.Buffer, c.CnonceOffset, c.CnonceLength))
        {
            return AceRsError.CnonceUnknown;
        }

        if (c.Has(CwtClaimKey.Exi))
        {
            long seq = AceFreshness.CtiSequence(c, _audienceUtf8);
            if (seq < 0)
            {
                return AceRsError.TokenClaimInvalid;
            }

            if (!_freshness.SequenceAcceptable(seq))
            {
                return AceRsError.TokenCtiReplayed;
            }
        }

        return AceRsError.None;
    }

    // The exi sequence number of the validated token, or -1 when it has no exi.
    private long NewSequence()
    {
        CwtClaims c = _result.Claims;
        return c.Has(CwtClaimKey.Exi) ? AceFreshness.CtiSequence(c, _audienceUtf8) : -1;
    }

    // RFC 9200 §5.10.3: the token replacing a stored exi token must be numbered above it, because the stored one's
    // number is burnt when it goes and everything at or below a burnt number counts as expired.
    private static bool Supersedes(AceTokenSlot stored, long seq)
    {
        return seq < 0 || stored.ExiSequence < 0 || seq > stored.ExiSequence;
    }

    // RFC 9200 §5.10.3: once a number is burnt, stored tokens at or below it count as expired and go with their keys.
    private void DropBurnt()
    {
        for (int i = 0; i < _table.Capacity; i++)
        {
            AceTokenSlot t = _table[i];
            if (t.InUse && _freshness.IsBurnt(t.ExiSequence))
            {
                _table.Drop(i);
                Expirations++;
                Notify(AceDecisionKind.SlotExpired, -1, i);
            }
        }
    }

    // RFC 9203 §4.1: a token without nonces for a PoP key already bound to a context updates that context's rights.
    private CoapHandlerResult UpdateRights(int peer, CoapMessage request, CoapMessage response, int protectingSlot)
    {
        byte[] idBuffer;
        int idOffset;
        int idLength;
        PopId(out idBuffer, out idOffset, out idLength);
        int slot = _table.FindPopId(idBuffer, idOffset, idLength);

        if (slot < 0)
        {
            _result.Clear();
            return Reject(AceRsError.NoTokenToUpdate, peer, request, response);
        }

        if (protectingSlot >= 0 && protectingSlot != slot)
        {
            _result.Clear();
            return Reject(AceRsError.UpdateFromWrongContext, peer, request, response);
        }

        AceTokenSlot t = _table[slot];
        if (!Supersedes(t, NewSequence()))
        {
            _result.Clear();
            return Reject(AceRsError.TokenCtiReplayed, peer, request, response);
        }

        // The replaced token's number is burnt; the update's own exi counts from now, when the RS first verified it
        // (RFC 9200 §5.10.1.1), and no earlier token can come back to restart anything.
        _freshness.Expired(t.ExiSequence);
        t.SetPermissions(_permissions);
        t.SetDigest(_digest);
        SetLifetime(t);
        _table.Touch(slot);
        _result.Clear();
        DropBurnt();
        response.Code = CoapCode.Created;
        Decide(AceDecisionKind.RightsUpdated, AceRsError.None, response.Code, peer, slot, request.Code, _settings.AuthzInfoPath);
        return CoapHandlerResult.Respond;
    }

    // RFC 9203 §4.2–§4.3: pick nonce2 and a Recipient ID, derive the context, answer 2.01.
    private CoapHandlerResult StoreNew(int peer, CoapMessage request, CoapMessage response, int duplicate)
    {
        AuthzInfoRequest a = _authz;
        byte[] body = a.Buffer;
        int slot = duplicate;
        if (slot < 0)
        {
            byte[] idBuffer;
            int idOffset;
            int idLength;
            PopId(out idBuffer, out idOffset, out idLength);

            // A new token with nonces for a PoP key already held replaces that slot (one context per key).
            slot = _table.FindPopId(idBuffer, idOffset, idLength);
            if (slot >= 0 && !Supersedes(_table[slot], NewSequence()))
            {
                _result.Clear();
                return Reject(AceRsError.TokenCtiReplayed, peer, request, response);
            }
        }

        int serverId = _table.PickServerId(body, a.ClientRecipientIdOffset, a.ClientRecipientIdLength, slot);
        if (serverId < 0)
        {
            _result.Clear();
            return Reject(AceRsError.NoRecipientIdAvailable, peer, request, response);
        }

        _provider.Random.GetBytes(_nonce2, 0, _nonce2.Length);
        _serverId[0] = (byte)serverId;

        // Check everything the derivation needs before a slot is chosen, so a refusal leaves the table as it was.
        if (!PrepareDerivation(body, a))
        {
            _result.Clear();
            return Reject(AceRsError.ConfirmationInvalid, peer, request, response);
        }

        if (slot < 0)
        {
            slot = FreeOrEvict(peer);
            if (slot < 0)
            {
                CryptoBytes.Clear(_salt);
                _result.Clear();
                return RejectUntil(AceRsError.TableFull, _table.SecondsUntilEvictable(_now, _settings.EvictionProtectionSeconds), peer, request, response);
            }
        }
        else if (duplicate < 0)
        {
            // The previous token for this PoP key goes, with its context and keys, and its exi number is burnt.
            _freshness.Expired(_table[slot].ExiSequence);
            _table.Drop(slot);
        }

        DropBurnt();
        if (duplicate < 0 && _freshness.IsBurnt(NewSequence()))
        {
            // RFC 9200 §5.10.3: the evicted token was numbered at or above this one, so this one counts as expired.
            CryptoBytes.Clear(_salt);
            _result.Clear();
            return Reject(AceRsError.TokenCtiReplayed, peer, request, response);
        }

        AceTokenSlot t = _table[slot];
        if (duplicate < 0)
        {
            byte[] idBuffer;
            int idOffset;
            int idLength;
            PopId(out idBuffer, out idOffset, out idLength);
            t.SetPopId(idBuffer, idOffset, idLength);
            t.SetDigest(_digest);
            t.SetPermissions(_permissions);
            SetLifetime(t);
        }

        // RFC 9203 §4.3: the slot's context is derived in place (for a re-posted token this replaces and erases the
        // previous keys): Sender ID = ace_client_recipientid, Recipient ID = ace_server_recipientid. No allocation.
        CwtConfirmation cnf = _result.Confirmation;
        byte[] cb = cnf.Buffer;
        bool material = cnf.Method == CnfMethod.OscoreInputMaterial;
        OscoreInputMaterial m = cnf.Oscore;
        _table.Establish(
            slot,
            new ByteRange(cb, material ? m.MasterSecretOffset : cnf.SymmetricKeyOffset, material ? m.MasterSecretLength : cnf.SymmetricKeyLength),
            new ByteRange(_salt, 0, _saltLength),
            new ByteRange(body, a.ClientRecipientIdOffset, a.ClientRecipientIdLength),
            new ByteRange(_serverId, 0, 1),
            material && m.ContextIdLength >= 0 ? new ByteRange(cb, m.ContextIdOffset, m.ContextIdLength) : default(ByteRange),
            _algorithm);
        CryptoBytes.Clear(_salt);
        _result.Clear();

        _writer.Reset();
        AuthzInfoResponse.Encode(_nonce2, 0, _nonce2.Length, _serverId, 0, 1, _writer);
        response.Code = CoapCode.Created;
        response.AddOption(CoapOptionNumber.ContentFormat, AceCborFormat, 0, 1);
        response.SetPayload(_out, 0, _writer.BytesWritten);
        Decide(duplicate >= 0 ? AceDecisionKind.TokenDuplicate : AceDecisionKind.TokenStored, AceRsError.None, response.Code, peer, slot, request.Code, _settings.AuthzInfoPath);
        return CoapHandlerResult.Respond;
    }

    // RFC 9203 §4.3: Master Salt = bstr .cbor salt | nonce1 | nonce2 into _salt, the AEAD algorithm into _algorithm,
    // and every input checked the way SecurityContext would check it. False when the token's key material cannot make
    // a context (an unsupported alg, no Master Secret, IDs too long or equal, an oversized ID Context).
    private bool PrepareDerivation(byte[] body, AuthzInfoRequest a)
    {
        CwtConfirmation cnf = _result.Confirmation;
        byte[] b = cnf.Buffer;
        int saltOffset = 0;
        int saltLength = 0;
        int contextIdLength = -1;
        int alg = 0;
        int secretLength = cnf.SymmetricKeyLength;
        if (cnf.Method == CnfMethod.OscoreInputMaterial)
        {
            OscoreInputMaterial m = cnf.Oscore;
            secretLength = m.MasterSecretLength;
            if (m.SaltLength >= 0)
            {
                saltOffset = m.SaltOffset;
                saltLength = m.SaltLength;
            }

            contextIdLength = m.ContextIdLength;
            alg = m.Algorithm;
        }

        _algorithm = alg == 0 ? SecurityContext.DefaultAlgorithm : alg;
        if (!AceOscoreSetup.IsSupportedAead(_algorithm) || secretLength < 1 || a.Nonce1Length > AceOscoreSetup.MaxInputLength || saltLength > AceOscoreSetup.MaxInputLength)
        {
            return false;
        }

        try
        {
            SecurityContext.CheckInputs(_algorithm, new ByteRange(body, a.ClientRecipientIdOffset, a.ClientRecipientIdLength), new ByteRange(_serverId, 0, 1), contextIdLength);
        }
        catch (ArgumentException)
        {
            return false;
        }

        _saltLength = AceOscoreSetup.BuildMasterSalt(b, saltOffset, saltLength, body, a.Nonce1Offset, a.Nonce1Length, _nonce2, 0, _nonce2.Length, _salt, 0);
        return true;
    }

    private void PopId(out byte[] buffer, out int offset, out int length)
    {
        CwtConfirmation cnf = _result.Confirmation;
        buffer = cnf.Buffer;
        if (cnf.Method == CnfMethod.OscoreInputMaterial)
        {
            offset = cnf.Oscore.IdOffset;
            length = cnf.Oscore.IdLength;
        }
        else
        {
            offset = cnf.KidOffset;
            length = cnf.KidLength;
        }
    }

    private void SetLifetime(AceTokenSlot t)
    {
        CwtClaims c = _result.Claims;
        long expires = long.MaxValue;
        if (_settings.HasClock && c.Has(CwtClaimKey.Exp))
        {
            expires = c.Expiration <= long.MaxValue - _settings.ClockSkewSeconds ? c.Expiration + _settings.ClockSkewSeconds : long.MaxValue;
        }

        // RFC 9200 §5.10.1.1, §5.10.3: exi counts from when the RS first verified the token (callers store a token only
        // the first time; a re-post is known by TokenIdentity and keeps its end).
        long exi = _result.ExpiresIn;
        if (exi >= 0 && exi < long.MaxValue - _now && _now + exi < expires)
        {
            expires = _now + exi;
        }

        t.ExpiresAt = expires;
        t.ExiSequence = NewSequence();
    }

    private int FreeOrEvict(int peer)
    {
        int slot = _table.FindFree();
        if (slot >= 0)
        {
            return slot;
        }

        // DESIGN.md §6: the least recently used slot goes; its keys are erased, so the client must post again. A slot
        // whose context is in use is not given up for a token nobody has used yet (docs/ace-rs.md, "Admission").
        slot = _table.Evictable(_now, _settings.EvictionProtectionSeconds);
        if (slot < 0)
        {
            return -1;
        }

        _freshness.Expired(_table[slot].ExiSequence);
        _table.Drop(slot);
        Evictions++;
        Notify(AceDecisionKind.SlotEvicted, peer, slot);
        return slot;
    }

    private void ExpireDue()
    {
        for (int i = 0; i < _table.Capacity; i++)
        {
            AceTokenSlot t = _table[i];
            if (t.InUse && _now >= t.ExpiresAt)
            {
                _freshness.Expired(t.ExiSequence);
                _table.Drop(i);
                Expirations++;
                Notify(AceDecisionKind.SlotExpired, -1, i);
            }
        }

        DropBurnt();
    }

    private void Notify(AceDecisionKind kind, int peer, int slot)
    {
        _decision.Set(kind, AceRsError.None, 0, peer, slot, 0, null, _now);
        if (Listener != null)
        {
            Listener.OnDecision(_decision);
        }
    }

    private CoapHandlerResult Reject(AceRsError error, int peer, CoapMessage request, CoapMessage response)
    {
        return Reject(error, AceRsErrors.GetCoapCode(error), peer, request, response);
    }

    private CoapHandlerResult Reject(AceRsError error, byte code, int peer, CoapMessage request, CoapMessage response)
    {
        // RFC 9200 §5.10.1.1: 4.01 or 4.00 with an error map in application/ace+cbor; the reason's name is the description.
        response.Code = code;
        _writer.Reset();
        AceErrorResponse.Encode(error, _writer);
        response.AddOption(CoapOptionNumber.ContentFormat, AceCborFormat, 0, 1);
        response.SetPayload(_out, 0, _writer.BytesWritten);
        Decide(AceDecisionKind.TokenRejected, error, response.Code, peer, -1, request.Code, _settings.AuthzInfoPath);
        return CoapHandlerResult.Respond;
    }

    // RFC 7252 §5.10.5, RFC 8516 §3: a refusal that passes with time says when to try again in Max-Age.
    private CoapHandlerResult RejectUntil(AceRsError error, long seconds, int peer, CoapMessage request, CoapMessage response)
    {
        uint s = seconds < 1 ? 1u : (seconds > uint.MaxValue ? uint.MaxValue : (uint)seconds);
        int n = CoapOption.WriteUint(s, _maxAge, 0);
        response.AddOption(CoapOptionNumber.MaxAge, _maxAge, 0, n);
        return Reject(error, peer, request, response);
    }

    private void Decide(AceDecisionKind kind, AceRsError error, byte code, int peer, int slot, byte method, string path)
    {
        _decision.Set(kind, error, code, peer, slot, method, path, _now);
        if (Listener != null)
        {
            Listener.OnDecision(_decision);
        }
    }

    private int Register(string path, int methods, ICoapRequestHandler handler, bool isProtected)
    {
        int i = _resources.Add(new CoapResource(path, methods, handler));
        string p = _resources.Get(i).Path;
        _paths[i] = p;
        _pathUtf8[i] = new byte[Utf8.GetByteCount(p)];
        Utf8.Encode(p, _pathUtf8[i], 0);
        _protected[i] = isProtected;
        return i;
    }

    private static AceRsSettings Copy(AceRsSettings s)
    {
        AceRsSettings c = new AceRsSettings(s.Audience, s.AsUri);
        c.Slots = s.Slots;
        c.ReplayWindowSize = s.ReplayWindowSize;
        c.MaxTokenSize = s.MaxTokenSize;
        c.BlockwiseBufferSize = s.BlockwiseBufferSize;
        c.BlockwiseSlots = s.BlockwiseSlots;
        c.MaxBlockSzx = s.MaxBlockSzx;
        c.MaxResources = s.MaxResources;
        c.MaxScopeEntries = s.MaxScopeEntries;
        c.NonceLength = s.NonceLength;
        c.MinNonce1Length = s.MinNonce1Length;
        c.MaxMessageSize = s.MaxMessageSize;
        c.HasClock = s.HasClock;
        c.ClockSkewSeconds = s.ClockSkewSeconds;
        c.CnonceSlots = s.CnonceSlots;
        c.AuthzInfoPath = s.AuthzInfoPath;
        c.EvictionProtectionSeconds = s.EvictionProtectionSeconds;
        c.AuthzInfoPeerBurst = s.AuthzInfoPeerBurst;
        c.AuthzInfoPeerRefillSeconds = s.AuthzInfoPeerRefillSeconds;
        c.AuthzInfoPeerBuckets = s.AuthzInfoPeerBuckets;
        c.AuthzInfoBurst = s.AuthzInfoBurst;
        c.AuthzInfoRefillSeconds = s.AuthzInfoRefillSeconds;
        return c;
    }

    /// <summary>
    /// Whether a notification of <paramref name="path"/> may go to an observation registered under
    /// <paramref name="binding"/> (a copy of <see cref="LastExchange"/> taken when the observation was registered), at
    /// engine time <paramref name="now"/>. RFC 9200 §5.10.3: the token's lifetime is checked for every notification, not
    /// only for requests; RFC 9200 §5.10.2: so is its scope, with the same rule a GET request meets. The host calls it
    /// with the time it is about to pass to <see cref="Tick"/>, before calling Tick, so that an expired token's context
    /// still has its keys to protect the final 4.01. Allocates nothing.
    /// </summary>
    /// <param name="binding">The observation's OSCORE binding.</param>
    /// <param name="path">The observed resource's path, as registered.</param>
    /// <param name="now">The engine time of the notification (never less than <see cref="Now"/> is assumed).</param>
    /// <returns>Allowed, or how the observation ends.</returns>
    public AceNotificationCheck CheckNotification(OscoreExchange binding, string path, long now)
    {
        if (binding == null || !binding.IsCurrent)
        {
            return AceNotificationCheck.ContextGone;
        }

        int slot = _table.SlotOf(binding.Context);
        if (slot < 0)
        {
            return AceNotificationCheck.ContextGone;
        }

        AceTokenSlot t = _table[slot];
        if ((now > _now ? now : _now) >= t.ExpiresAt)
        {
            return AceNotificationCheck.Expired;
        }

        for (int ri = 0; ri < _resources.Count; ri++)
        {
            if (ri != _authzIndex && string.Equals(_paths[ri], path))
            {
                return _protected[ri] ? NotificationScope(t, ri) : AceNotificationCheck.Allowed;
            }
        }

        // A path the engine does not serve was never observed through it.
        return AceNotificationCheck.Forbidden;
    }

    // A notification answers a GET, so it meets the scope rule a GET request meets (ScopeDecision).
    private static AceNotificationCheck NotificationScope(AceTokenSlot t, int ri)
    {
        AceRsError e = ScopeDecision(t, ri, CoapCode.Get);
        if (e == AceRsError.None)
        {
            return AceNotificationCheck.Allowed;
        }

        return e == AceRsError.MethodNotInScope ? AceNotificationCheck.MethodNotAllowed : AceNotificationCheck.Forbidden;
    }

    // RFC 9200 §5.10.2: 4.03 when the token does not cover the resource, 4.05 when it covers the resource but not the
    // method. The one scope rule for requests and notifications.
    private static AceRsError ScopeDecision(AceTokenSlot t, int ri, byte method)
    {
        int granted = t.Permissions(ri);
        if (CoapMethods.Allows(granted, method))
        {
            return AceRsError.None;
        }

        return granted == 0 ? AceRsError.ScopeDenied : AceRsError.MethodNotInScope;
    }
}
