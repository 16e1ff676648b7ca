using PopIoT.Core.Coap;

namespace PopIoT.Core.Ace;

/// <summary>
/// Requests that arrived over a DTLS session (RFC 9202 §3.4): each is checked against the token bound to its session,
/// and by no other: 4.01 with AS Request Creation Hints when none is (any more), 4.03 for a resource outside its
/// scope, 4.05 for a method outside it (RFC 9200 §5.10.2). The session protects the response, so nothing is protected
/// here; the request carries its binding (<see cref="RequestSecurity.SetDtls"/>) to whatever answers it later.
/// </summary>
internal sealed partial class AceRequestPipeline
{
    public CoapHandlerResult HandleDtls(int session, CoapMessage request, CoapMessage response)
    {
        long now = _clock.Now;
        int slot = _table.SlotOfSession(session);
        if (slot >= 0 && now >= _table.ExpiresAt(slot))
        {
            // RFC 9202 §3.4: the RS checks for every request that the token is still valid, and removes it when not.
            _lifecycle.ExpireAtAccess(slot);
            slot = -1;
        }

        if (slot >= 0)
        {
            _table.Touch(slot);
            _table.Verified(slot, now);
        }

        int ri = _resources.Table.Find(request);
        int granted = ri < 0 ? 0 : (!_resources.IsProtected(ri) ? _resources.Table.Get(ri).Methods : (slot < 0 ? 0 : _table.Permissions(slot, ri)));
        _security.SetDtls(slot, granted, session);
        request.Security = _security;
        byte method = request.Code;
        if (ri == _authzIndex && method == CoapCode.Post)
        {
            // RFC 9202 §3.4: a new token for the session's key posted over the session updates its rights.
            return _resources.Table.HandleRequest(session, request, response);
        }

        if (ri >= 0 && _resources.IsProtected(ri) && CoapMethods.Allows(_resources.Table.Get(ri).Methods, method))
        {
            AceRsError denied = slot < 0 ? AceRsError.SessionWithoutToken : AcePolicy.ScopeDecision(granted, method);
            if (denied == AceRsError.SessionWithoutToken)
            {
                // RFC 9202 §3.4: a request no token authorises gets 4.01 with hints; the session stays until the host closes it.
                WriteHints(response);
            }
            else if (denied != AceRsError.None)
            {
                response.Code = AceRsErrors.GetCoapCode(denied);
            }

            if (denied != AceRsError.None)
            {
                Decide(AceDecisionKind.RequestDenied, denied, response.Code, session, slot, method, _resources.Paths[ri]);
                return CoapHandlerResult.Respond;
            }
        }

        CoapHandlerResult r = _resources.Table.HandleRequest(session, request, response);
        bool served = ri >= 0 && CoapMethods.Allows(_resources.Table.Get(ri).Methods, method);
        AceRsError why = served ? AceRsError.None : (ri < 0 ? AceRsError.ResourceNotFound : AceRsError.MethodNotAllowed);
        Decide(served ? AceDecisionKind.RequestAllowed : AceDecisionKind.RequestDenied, why, response.Code, session, slot, method, ri < 0 ? null : _resources.Paths[ri]);
        return r;
    }

    // RFC 9200 §5.10.2–§5.10.3 for an observation registered over a DTLS session: its token must still be bound to the
    // session, valid at `now`, and grant GET on the resource.
    public AceNotificationCheck CheckDtlsNotification(int session, string path, long now)
    {
        int slot = _table.SlotOfSession(session);
        if (slot < 0)
        {
            return AceNotificationCheck.ContextGone;
        }

        if (now >= _table.ExpiresAt(slot))
        {
            return AceNotificationCheck.Expired;
        }

        int ri = _resources.FindPath(path);
        if (ri < 0 || ri == _authzIndex)
        {
            return AceNotificationCheck.Forbidden;
        }

        return _resources.IsProtected(ri) ? NotificationScope(_table.Permissions(slot, ri)) : AceNotificationCheck.Allowed;
    }
}
