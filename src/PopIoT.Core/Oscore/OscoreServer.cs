using PopIoT.Core.Coap;

namespace PopIoT.Core.Oscore;

/// <summary>
/// The server side of OSCORE as an <see cref="ICoapRequestHandler"/> between a <see cref="MessageLayer"/> and the
/// application. The message layer deduplicates first (RFC 7252 §4.5): a retransmitted CON is answered from its cache
/// and never reaches OSCORE, so it is not mistaken for a replay (RFC 8613 §7.4 sees each request once). A request
/// with the OSCORE option is verified (§8.2), handed to <c>protectedHandler</c> decrypted, and its response protected
/// (§8.3). A request without it goes to <c>unprotectedHandler</c> (e.g. /authz-info of RFC 9203), or gets 4.01 when
/// there is none. Errors get the unprotected responses of §8.2; an unknown window gets the protected Echo challenge
/// (Appendix B.1.2); an unrecognized critical Inner option gets a protected 4.02 (§8.2 step 8, RFC 7252 §5.4.1).
/// Allocates nothing per request.
/// </summary>
public sealed class OscoreServer : ICoapRequestHandler
{
    private readonly OscoreContextTable _table;
    private readonly OscoreProcessor _processor;
    private readonly RequestSecurity _security = new RequestSecurity();
    private readonly ICoapRequestHandler _protectedHandler;
    private readonly ICoapRequestHandler _unprotectedHandler;

    /// <summary>Creates the layer.</summary>
    /// <param name="table">The security contexts.</param>
    /// <param name="processor">The processor (its buffers bound the message size).</param>
    /// <param name="protectedHandler">The application for verified requests.</param>
    /// <param name="unprotectedHandler">The application for requests without OSCORE, or null to refuse them with 4.01.</param>
    public OscoreServer(OscoreContextTable table, OscoreProcessor processor, ICoapRequestHandler protectedHandler, ICoapRequestHandler unprotectedHandler)
    {
        _table = table;
        _processor = processor;
        _protectedHandler = protectedHandler;
        _unprotectedHandler = unprotectedHandler;
    }

    /// <summary>
    /// Whether every response carries a fresh Partial IV of the server's own (RFC 8613 §8.3 allows it) instead of
    /// reusing the request's nonce. Needed when several servers hold one context with a replay window each (the AS run
    /// as a fleet): a request replayed to another instance would otherwise be answered with a different plaintext
    /// under the same nonce and key (AES-CCM nonce reuse). The servers' Sender Sequence Numbers must then be disjoint.
    /// </summary>
    public bool FreshPartialIvInResponses { get; set; }

    /// <summary>The status of the last request handled (for diagnostics and tests).</summary>
    public OscoreStatus LastStatus { get; private set; }

    /// <summary>How many requests were refused as replays (RFC 8613 §7.4).</summary>
    public int ReplaysDetected { get; private set; }

    /// <summary>How many Echo challenges were sent (RFC 8613 Appendix B.1.2).</summary>
    public int EchoChallenges { get; private set; }

    /// <inheritdoc/>
    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
    {
        // Only the verification below says how the request was protected.
        request.Security = null;
        OscoreExchange exchange = _security.Exchange;
        OscoreStatus s = _processor.UnprotectRequest(request, _table, exchange);
        LastStatus = s;
        if (s == OscoreStatus.NotProtected)
        {
            if (_unprotectedHandler != null)
            {
                return _unprotectedHandler.HandleRequest(peer, request, response);
            }

            response.Code = CoapCode.Unauthorized;
            return CoapHandlerResult.Respond;
        }

        if (s == OscoreStatus.FreshnessRequired)
        {
            EchoChallenges++;
            return Protected(_processor.ProtectEchoChallenge(response, exchange), response);
        }

        if (s == OscoreStatus.UnrecognizedCriticalOption)
        {
            // RFC 8613 §8.2 step 8, RFC 7252 §5.4.1: the verified request gets a protected 4.02; the application never sees it.
            return Protected(_processor.ProtectBadOption(response, exchange), response);
        }

        if (s != OscoreStatus.Ok)
        {
            if (s == OscoreStatus.ReplayDetected)
            {
                ReplaysDetected++;
            }

            OscoreErrors.WriteErrorResponse(s, response);
            return CoapHandlerResult.Respond;
        }

        // The binding travels with the request: a Separate response or a notification is protected later from a copy.
        _security.SetOscore(-1, -1);
        request.Security = _security;
        CoapHandlerResult r = _protectedHandler.HandleRequest(peer, request, response);
        if (r != CoapHandlerResult.Respond)
        {
            return r;
        }

        return Protected(_processor.ProtectResponse(response, exchange, FreshPartialIvInResponses), response);
    }

    private static CoapHandlerResult Protected(OscoreStatus s, CoapMessage response)
    {
        if (s != OscoreStatus.Ok)
        {
            // RFC 8613 §7.2.1 (exhausted context) or a response too large: nothing protected can be sent.
            response.ClearOptions();
            response.SetPayload(null, 0, 0);
            response.Code = CoapCode.InternalServerError;
        }

        return CoapHandlerResult.Respond;
    }
}
