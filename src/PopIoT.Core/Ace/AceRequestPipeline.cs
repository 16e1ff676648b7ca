using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// The engine's request pipeline (docs/ace-rs.md): a request with the OSCORE option is verified against the slot
/// contexts (RFC 8613 §8.2), its token's lifetime and scope are checked (RFC 9200 §5.10.2–§5.10.3), its
/// <see cref="RequestSecurity"/> is attached to it, and it is routed through the one resource table, its response
/// protected (§8.3); a request without it reaches only unprotected resources, else 4.01 with AS Request Creation Hints
/// (RFC 9200 §5.3). Allocates nothing per request.
/// </summary>
internal sealed partial class AceRequestPipeline
{
    private static readonly byte[] AceCborFormat = new byte[] { CoapContentFormat.AceCbor };

    private readonly AceRsSettings _settings;
    private readonly ICryptoProvider _provider;
    private readonly AceClock _clock;
    private readonly AceDecisionLog _log;
    private readonly AceTokenTable _table;
    private readonly AceTokenLifecycle _lifecycle;
    private readonly AceResources _resources;
    private readonly AceFreshness _freshness;
    private readonly OscoreProcessor _processor;
    private readonly RequestSecurity _security = new RequestSecurity();
    private readonly byte[] _out = new byte[160];
    private readonly CborWriter _writer;
    private readonly int _authzIndex;

    public AceRequestPipeline(AceRsSettings settings, ICryptoProvider provider, AceClock clock, AceDecisionLog log, AceTokenTable table, AceTokenLifecycle lifecycle, AceResources resources)
    {
        _settings = settings;
        _provider = provider;
        _clock = clock;
        _log = log;
        _table = table;
        _lifecycle = lifecycle;
        _resources = resources;
        _freshness = lifecycle.Freshness;
        _processor = new OscoreProcessor(settings.MaxMessageSize);
        _writer = new CborWriter(_out);
        _authzIndex = resources.AuthzInfoIndex;
    }

    public CoapHandlerResult Handle(int peer, CoapMessage request, CoapMessage response)
    {
        return request.HasOption(CoapOptionNumber.Oscore) ? HandleProtected(peer, request, response) : HandleUnprotected(peer, request, response);
    }

    private CoapHandlerResult HandleUnprotected(int peer, CoapMessage request, CoapMessage response)
    {
        int ri = _resources.Table.Find(request);
        if (ri == _authzIndex && request.Code == CoapCode.Post)
        {
            // The /authz-info handler reports its own decision.
            return _resources.Table.HandleRequest(peer, request, response);
        }

        if (ri >= 0 && _resources.IsProtected(ri))
        {
            WriteHints(response);
            Decide(AceDecisionKind.RequestDenied, AceRsError.NotProtected, response.Code, peer, -1, request.Code, _resources.Paths[ri]);
            return CoapHandlerResult.Respond;
        }

        byte method = request.Code;
        CoapHandlerResult r = _resources.Table.HandleRequest(peer, request, response);
        if (ri >= 0 && response.Code == CoapCode.MethodNotAllowed)
        {
            Decide(AceDecisionKind.RequestDenied, AceRsError.MethodNotAllowed, response.Code, peer, -1, method, _resources.Paths[ri]);
        }
        else if (ri >= 0 || response.Code == CoapCode.Content)
        {
            Decide(AceDecisionKind.UnprotectedServed, AceRsError.None, response.Code, peer, -1, method, ri >= 0 ? _resources.Paths[ri] : null);
        }
        else
        {
            Decide(AceDecisionKind.RequestDenied, AceRsError.ResourceNotFound, response.Code, peer, -1, method, null);
        }

        return r;
    }

    private CoapHandlerResult HandleProtected(int peer, CoapMessage request, CoapMessage response)
    {
        OscoreExchange exchange = _security.Exchange;
        OscoreStatus s = _processor.UnprotectRequest(request, _table.Contexts, exchange);
        if (s == OscoreStatus.FreshnessRequired)
        {
            Decide(AceDecisionKind.RequestDenied, AceRsError.FreshnessRequired, CoapCode.Unauthorized, peer, _table.SlotOf(exchange.Context), request.Code, null);
            return Protect(_processor.ProtectEchoChallenge(response, exchange), response, peer);
        }

        if (s == OscoreStatus.UnrecognizedCriticalOption)
        {
            // RFC 8613 §8.2 step 8, RFC 7252 §5.4.1: the verified request gets a protected 4.02; no resource runs.
            Decide(AceDecisionKind.RequestDenied, AceRsError.UnrecognizedCriticalOption, CoapCode.BadOption, peer, _table.SlotOf(exchange.Context), request.Code, null);
            return Protect(_processor.ProtectBadOption(response, exchange), response, peer);
        }

        if (s != OscoreStatus.Ok)
        {
            AceRsError e = AceRsErrors.FromOscore(s);
            OscoreErrors.WriteErrorResponse(s, response);
            Decide(AceDecisionKind.RequestDenied, e, response.Code, peer, -1, 0, null);
            return CoapHandlerResult.Respond;
        }

        int slot = _table.SlotOf(exchange.Context);
        if (slot < 0)
        {
            // A context this engine did not create cannot be in the table; treat it as unknown.
            OscoreErrors.WriteErrorResponse(OscoreStatus.SecurityContextNotFound, response);
            Decide(AceDecisionKind.RequestDenied, AceRsError.SecurityContextNotFound, response.Code, peer, -1, 0, null);
            return CoapHandlerResult.Respond;
        }

        if (_clock.Now >= _table.ExpiresAt(slot))
        {
            // RFC 9200 §5.10.3: an expired token authorises nothing; its context goes with it.
            byte method = request.Code;
            _lifecycle.ExpireAtAccess(slot);
            OscoreErrors.WriteErrorResponse(OscoreStatus.SecurityContextNotFound, response);
            Decide(AceDecisionKind.RequestDenied, AceRsError.TokenExpiredAtAccess, response.Code, peer, slot, method, null);
            return CoapHandlerResult.Respond;
        }

        _table.Touch(slot);
        _table.Verified(slot, _clock.Now);
        int ri = _resources.Table.Find(request);

        // The binding travels with the request, so whatever answers it, now or later, protects under it.
        _security.SetOscore(slot, ri < 0 ? 0 : (_resources.IsProtected(ri) ? _table.Permissions(slot, ri) : _resources.Table.Get(ri).Methods));
        request.Security = _security;
        if (ri == _authzIndex && request.Code == CoapCode.Post)
        {
            // RFC 9203 §4.1: an access-rights update may be posted over the existing OSCORE context; the /authz-info
            // handler reads the context's slot from the request's binding and reports its own decision.
            CoapHandlerResult ar = _resources.Table.HandleRequest(peer, request, response);
            return ar == CoapHandlerResult.Respond ? Protect(_processor.ProtectResponse(response, exchange, false), response, peer) : ar;
        }

        if (ri < 0 || !CoapMethods.Allows(_resources.Table.Get(ri).Methods, request.Code))
        {
            // 4.04 / 4.05 (and /.well-known/core) come from the resource table, protected like any response.
            byte method = request.Code;
            _resources.Table.HandleRequest(peer, request, response);
            bool served = response.Code == CoapCode.Content;
            AceRsError why = served ? AceRsError.None : (ri < 0 ? AceRsError.ResourceNotFound : AceRsError.MethodNotAllowed);
            Decide(served ? AceDecisionKind.RequestAllowed : AceDecisionKind.RequestDenied, why, response.Code, peer, slot, method, ri < 0 ? null : _resources.Paths[ri]);

            return Protect(_processor.ProtectResponse(response, exchange, false), response, peer);
        }

        AceRsError denied = _resources.IsProtected(ri) ? AcePolicy.ScopeDecision(_table.Permissions(slot, ri), request.Code) : AceRsError.None;
        if (denied != AceRsError.None)
        {
            response.Code = AceRsErrors.GetCoapCode(denied);
            Decide(AceDecisionKind.RequestDenied, denied, response.Code, peer, slot, request.Code, _resources.Paths[ri]);
            return Protect(_processor.ProtectResponse(response, exchange, false), response, peer);
        }

        CoapHandlerResult r = _resources.Table.HandleRequest(peer, request, response);
        Decide(AceDecisionKind.RequestAllowed, AceRsError.None, response.Code, peer, slot, request.Code, _resources.Paths[ri]);
        if (r != CoapHandlerResult.Respond)
        {
            return r;
        }

        return Protect(_processor.ProtectResponse(response, exchange, false), response, peer);
    }

    // RFC 9200 §5.3: an unauthorised request gets 4.01 with AS Request Creation Hints.
    private void WriteHints(CoapMessage response)
    {
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
    }

    // RFC 8613 §4.1.3.5.2: a notification takes a Partial IV of its own.
    public OscoreStatus ProtectNotification(CoapMessage message, OscoreExchange binding)
    {
        return _processor.ProtectResponse(message, binding, true);
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


    private void Decide(AceDecisionKind kind, AceRsError error, byte code, int peer, int slot, byte method, string path)
    {
        _log.Report(kind, error, code, peer, slot, method, path);
    }

    // RFC 9200 §5.10.2–§5.10.3 (see AceResourceServer.CheckNotification); now is never before the engine's time.
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

        if (now >= _table.ExpiresAt(slot))
        {
            return AceNotificationCheck.Expired;
        }

        // A path the engine does not serve was never observed through it.
        int ri = _resources.FindPath(path);
        if (ri < 0 || ri == _authzIndex)
        {
            return AceNotificationCheck.Forbidden;
        }

        return _resources.IsProtected(ri) ? NotificationScope(_table.Permissions(slot, ri)) : AceNotificationCheck.Allowed;
    }

    // A notification answers a GET, so it meets the scope rule a GET request meets (ScopeDecision).
    private static AceNotificationCheck NotificationScope(int granted)
    {
        AceRsError e = AcePolicy.ScopeDecision(granted, CoapCode.Get);
        if (e == AceRsError.None)
        {
            return AceNotificationCheck.Allowed;
        }

        return e == AceRsError.MethodNotInScope ? AceNotificationCheck.MethodNotAllowed : AceNotificationCheck.Forbidden;
    }
}
