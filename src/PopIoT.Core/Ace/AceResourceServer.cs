using System;

using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;
using PopIoT.Core.Device;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// The device's resource-server engine for the ACE OSCORE profile (RFC 9200 §5.10, RFC 9203), sans-IO: a CoAP request
/// handler that a <see cref="MessageLayer"/> (or any host) feeds with requests, plus <see cref="Tick"/> for time.
/// <list type="bullet">
/// <item>POST /authz-info (RFC 9203 §4.1), through <see cref="TokenIntake"/>: validates the token (<see cref="CwtValidator"/>: Mac0, Encrypt0, nested,
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
/// This type is the engine's public face; the request pipeline (<see cref="AceRequestPipeline"/>), token intake, the
/// policy checks (<see cref="AcePolicy"/>) and the slot lifecycle (<see cref="AceTokenLifecycle"/>) live in their own
/// types (docs/ace-rs.md, "The parts of the engine"). Every decision is reported to
/// <see cref="Listener"/> with its <see cref="AceRsError"/> reason. No exception escapes <see cref="HandleRequest"/> for
/// bad input. Not thread-safe.
/// </summary>
public sealed partial class AceResourceServer : ICoapRequestHandler, IDisposable
{
    private readonly AceRsSettings _settings;
    private readonly AceClock _clock = new AceClock();
    private readonly AceDecisionLog _log;
    private readonly CwtValidator _validator;
    private readonly AceTokenTable _table;
    private readonly AceTokenLifecycle _lifecycle;
    private readonly TokenIntake _intake;
    private readonly AceResources _resources;
    private readonly AceScopeTable _scopes;
    private readonly AceFreshness _freshness;
    private readonly AceRequestPipeline _pipeline;
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
        _settings = settings.Copy();
        _clock.HasClock = settings.HasClock;
        _log = new AceDecisionLog(_clock);
        _validator = new CwtValidator(provider, _clock, settings.Audience);
        _validator.ClockSkewSeconds = settings.ClockSkewSeconds;
        _table = new AceTokenTable(settings.Slots, settings.MaxResources, provider, settings.ReplayWindowSize, settings.ServesDtls ? settings.MaxPskLength : 0);
        _resources = new AceResources(settings.MaxResources);
        _scopes = new AceScopeTable(settings.MaxScopeEntries);
        _freshness = new AceFreshness(settings.HasClock ? 0 : settings.CnonceSlots);
        _lifecycle = new AceTokenLifecycle(_table, _freshness, _log, _settings, _clock);
        var policy = new AcePolicy(_scopes, _freshness, settings.Audience, _resources);
        _intake = new TokenIntake(_settings, provider, _validator, _table, _lifecycle, policy);
        var authzInfo = new AuthzInfoEndpoint(_settings, _intake, _clock, _log);
        _resources.AuthzInfoIndex = _resources.Register(new CoapResource(settings.AuthzInfoPath, CoapMethods.Post, authzInfo), false);
        _pipeline = new AceRequestPipeline(_settings, provider, _clock, _log, _table, _lifecycle, _resources);
    }

    /// <summary>Receives every security decision (null: none). Set at start-up.</summary>
    public IAceDecisionListener Listener
    {
        get { return _log.Listener; }
        set { _log.Listener = value; }
    }

    /// <summary>The last decision taken (reused object; for tests and diagnostics).</summary>
    public AceDecision LastDecision
    {
        get { return _log.Last; }
    }

    /// <summary>
    /// Token intake as a function (what /authz-info runs, and what a DTLS handshake will run on a psk_identity). Call it
    /// under the same lock as <see cref="HandleRequest"/>, with a <see cref="TokenIntakeOutcome"/> of the caller's own.
    /// </summary>
    public TokenIntake Intake
    {
        get { return _intake; }
    }

    /// <summary>The engine's current time (the last <see cref="Tick"/>): Unix seconds for an engine built with a clock, seconds since boot for one built without (also after <see cref="SetWallClockKnown"/>).</summary>
    public long Now
    {
        get { return _now; }
    }

    /// <summary>How many slots hold a token.</summary>
    public int ActiveSlots
    {
        get { return _table.ActiveCount; }
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
        return _table.InUse(slot) ? _table.ExiSequence(slot) : -1;
    }

    /// <summary>How many slots were evicted to make room.</summary>
    public int Evictions
    {
        get { return _lifecycle.Evictions; }
    }

    /// <summary>How many tokens expired and were dropped.</summary>
    public int Expirations
    {
        get { return _lifecycle.Expirations; }
    }

    /// <summary>
    /// RAM per slot in bytes on a 64-bit CLR with a provider that shares one re-keyable AES-CCM (the managed one), all
    /// of it allocated when the engine is built (DESIGN.md §8 counts it as "RS state" per client). A slot is an index
    /// into state arrays (docs/firmware.md "Memory model"), so it costs the widths of its values:
    /// <list type="bullet">
    /// <item>the OSCORE context's bytes in <see cref="PopIoT.Core.Oscore.SecurityContextSlots"/>: both raw keys, Common
    /// IV, IDs, room for a 32-byte ID Context, algorithm, lengths and flags (128), its generation (4), Sender Sequence
    /// Number and highest received number (16) and its replay window (4 per 32 bits);</item>
    /// <item>the context's handle: one object of two fields (32 with its 16-byte header) and its reference (8);</item>
    /// <item>the token's bytes in the token table: digest, PoP key id and its length, its rank in the use order, and a
    /// permission byte per resource (16 + 16 + 1 + 1 + <see cref="AceRsSettings.MaxResources"/>), and its three numbers
    /// (expiry, exi sequence number, last verified request: 24).</item>
    /// </list>
    /// AceMemoryTests measures the real figure and checks it against this one. A provider that cannot re-key (the
    /// desktop's platform AES-CCM) adds two keyed cipher objects per live context and two references per slot.
    /// </summary>
    /// <param name="settings">The settings.</param>
    /// <returns>The bytes per slot.</returns>
    public static int StateBytesPerSlot(AceRsSettings settings)
    {
        int context = 128 + 4 + 16 + (settings.ReplayWindowSize / 8);
        int handle = 32 + 8;
        int token = 16 + 16 + 1 + 1 + settings.MaxResources + 24;

        // The coap_dtls area (docs/ace-dtls.md): a mark, the bound session and handshake peers, the PSK's length and room.
        int dtls = settings.ServesDtls ? 1 + 4 + 4 + 1 + settings.MaxPskLength : 0;
        return context + handle + token + dtls;
    }

    /// <summary>
    /// Loads the state that survives a reboot from <paramref name="storage"/> and keeps it there from now on: the highest
    /// exi number burnt or taken (RFC 9200 §5.10.3), written only when it moves; at start every exi token at or below the
    /// stored number counts as expired, since the RS cannot tell when it first verified the tokens it held before. Call
    /// it once at start, before any request. Fail-closed (docs/ace-rs.md, "Persistence"): when the record cannot be read
    /// the engine refuses every exi token with <see cref="AceRsError.ExiStateUnavailable"/> (5.03) for this boot; when a
    /// write fails, the token that needed it is refused the same way until a write succeeds (retried on
    /// <see cref="Tick"/>). Tokens without exi are unaffected.
    /// </summary>
    /// <param name="storage">The device's storage.</param>
    /// <returns>True when the stored state was read (or absent: a first boot) and is safely stored; false when it is not.</returns>
    /// <exception cref="ArgumentException">storage is null.</exception>
    public bool UseStorage(IDeviceStorage storage)
    {
        if (storage == null)
        {
            throw new ArgumentException("storage is required.");
        }

        return _freshness.Attach(storage);
    }

    /// <summary>Whether exi tokens are refused because the exi number is not safely in storage (unreadable, or a write failed).</summary>
    public bool ExiStateUnavailable
    {
        get { return _freshness.StateUnavailable; }
    }

    /// <summary>Sets the AS–RS key that verifies COSE_Mac0 tokens (the default protection, DESIGN.md §2).</summary>
    /// <param name="key">The key; its alg is pinned.</param>
    public void SetMac0Key(CoseKey key)
    {
        _validator.SetMac0Key(key);
        HasTokenKey = true;
    }

    /// <summary>Sets the AS–RS key that decrypts COSE_Encrypt0 tokens.</summary>
    /// <param name="key">The key; its alg is pinned.</param>
    public void SetEncrypt0Key(CoseKey key)
    {
        _validator.SetEncrypt0Key(key);
        HasTokenKey = true;
    }

    /// <summary>Sets the AS public key that verifies COSE_Sign1 tokens.</summary>
    /// <param name="key">The key.</param>
    public void SetSign1Key(CoseKey key)
    {
        _validator.SetSign1Key(key);
        HasTokenKey = true;
    }

    /// <summary>Whether a key that verifies tokens (Mac0, Encrypt0 or Sign1) was set: without one no token is accepted.</summary>
    public bool HasTokenKey { get; private set; }

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
    /// <returns>The resource.</returns>
    public CoapResource AddProtectedResource(string path, int methods, ICoapRequestHandler handler)
    {
        return AddResource(new CoapResource(path, methods, handler), true);
    }

    /// <summary>Registers a resource anyone may use without OSCORE (e.g. /hello).</summary>
    /// <param name="path">The path.</param>
    /// <param name="methods">The methods it serves.</param>
    /// <param name="handler">The application code.</param>
    /// <returns>The resource.</returns>
    public CoapResource AddUnprotectedResource(string path, int methods, ICoapRequestHandler handler)
    {
        return AddResource(new CoapResource(path, methods, handler), false);
    }

    /// <summary>
    /// Registers a resource, declared once with its access rule (set its link-format attributes before: /.well-known/core
    /// is built here). Its handler sees the request's <see cref="CoapMessage.Security"/>.
    /// </summary>
    /// <param name="resource">The resource.</param>
    /// <param name="isProtected">Whether a token must grant the method; false serves anyone.</param>
    /// <returns>The resource.</returns>
    public CoapResource AddResource(CoapResource resource, bool isProtected)
    {
        return _resources.Table.Get(_resources.Register(resource, isProtected));
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
    /// <param name="now">Unix seconds for an engine built with a clock (<see cref="AceRsSettings.HasClock"/>), else seconds since boot, also after <see cref="SetWallClockKnown"/>; never decreasing.</param>
    public void Tick(long now)
    {
        if (now > _now)
        {
            _now = now;
        }

        _clock.Now = _now;
        _lifecycle.ExpireDue(_now);
        _freshness.RetryPersist();
    }

    /// <summary>Whether the engine knows the wall clock (from the settings, or since <see cref="SetWallClockKnown"/>).</summary>
    public bool WallClockKnown
    {
        get { return _clock.HasClock; }
    }

    /// <summary>
    /// The device's wall clock became known (SNTP on a board; docs/ace-rs.md, "Time that becomes known later"): from now
    /// on exp and nbf are enforced and no cnonce is asked for. The engine keeps ticking in its own time (seconds since
    /// boot for an engine built without a clock); <paramref name="unixNow"/> is the Unix time at the current engine time
    /// <see cref="Now"/>, and maps one to the other. Tokens taken while the clock was unknown keep the exi end set then.
    /// Logged as <see cref="AceDecisionKind.WallClockKnown"/>. A second call, or one on an engine built with a clock,
    /// changes nothing (the time base of stored lifetimes never moves).
    /// </summary>
    /// <param name="unixNow">The Unix time now, in seconds.</param>
    /// <exception cref="ArgumentException">unixNow is negative.</exception>
    public void SetWallClockKnown(long unixNow)
    {
        if (unixNow < 0)
        {
            throw new ArgumentException("unixNow must not be negative.");
        }

        if (_clock.HasClock)
        {
            return;
        }

        _clock.Offset = unixNow - _now;
        _clock.HasClock = true;
        _freshness.ClockKnown();
        _log.Event(AceDecisionKind.WallClockKnown, -1, -1);
    }

    /// <summary>Whether a slot holds a token (tests and diagnostics).</summary>
    /// <param name="slot">The slot index.</param>
    /// <returns>True when in use.</returns>
    public bool IsSlotInUse(int slot)
    {
        return _table.InUse(slot);
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
            // Only this engine's OSCORE verification says how a request was protected; a binding attached before it
            // (a reused message, another layer) must not pass an unprotected POST off as an access-rights update.
            request.Security = null;

            // Tokens that ran out since the last Tick go first, so no request or re-post meets them.
            _lifecycle.ExpireDue(_now);
            return _pipeline.Handle(peer, request, response);
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
        _validator.Dispose();
        _intake.Dispose();
    }

    /// <summary>
    /// Whether a notification of <paramref name="path"/> may go to an observation registered under
    /// <paramref name="binding"/> (the <see cref="RequestSecurity.Exchange"/> of the registering request, kept with the
    /// observation), at engine time <paramref name="now"/>. RFC 9200 §5.10.3: the token's lifetime is checked for every
    /// notification, not only for requests; RFC 9200 §5.10.2: so is its scope, with the same rule a GET request meets.
    /// The host calls it with the time it is about to pass to <see cref="Tick"/>, before calling Tick, so that an
    /// expired token's context still has its keys to protect the final 4.01. Allocates nothing.
    /// </summary>
    /// <param name="binding">The observation's OSCORE binding.</param>
    /// <param name="path">The observed resource's path, as registered.</param>
    /// <param name="now">The engine time of the notification (never less than <see cref="Now"/> is assumed).</param>
    /// <returns>Allowed, or how the observation ends.</returns>
    public AceNotificationCheck CheckNotification(OscoreExchange binding, string path, long now)
    {
        return _pipeline.CheckNotification(binding, path, now > _now ? now : _now);
    }

    /// <summary>
    /// Protects a notification (or the final response of an observation) under the OSCORE binding its observation was
    /// registered with, with a Partial IV of its own (RFC 8613 §4.1.3.5.2: the registration's nonce was used by its
    /// response). The host checks <see cref="CheckNotification"/> first. Allocates nothing.
    /// </summary>
    /// <param name="message">The notification, protected in place.</param>
    /// <param name="binding">The observation's binding (<see cref="RequestSecurity.Exchange"/>).</param>
    /// <returns>Ok, or why it cannot be protected (the context is gone or exhausted; the observation must end).</returns>
    public OscoreStatus ProtectNotification(CoapMessage message, OscoreExchange binding)
    {
        if (_disposed || message == null || binding == null || !binding.IsCurrent)
        {
            return OscoreStatus.SecurityContextNotFound;
        }

        return _pipeline.ProtectNotification(message, binding);
    }
}
