using PopIoT.Core.Coap;

namespace PopIoT.Core.Ace;

/// <summary>
/// The /authz-info resource (RFC 9200 §5.10.1, RFC 9203 §4.1, RFC 9202 §3.3) as a handler of the engine's routing
/// table: admission (rate limits, RFC 9200 §5.10.1.2), Content-Format (application/ace+cbor, or application/cwt on an RS
/// that serves coap_dtls), Block1 reassembly (RFC 7959), then <see cref="TokenIntake"/> with
/// the request's <see cref="CoapMessage.Security"/>, and the outcome as the CoAP response. A POST that came over OSCORE
/// (an access-rights update) gets its response protected by the engine like any other.
/// </summary>
internal sealed class AuthzInfoEndpoint : ICoapRequestHandler
{
    private static readonly byte[] AceCborFormat = new byte[] { CoapContentFormat.AceCbor };

    private readonly TokenIntake _intake;
    private readonly AuthzInfoAdmission _admission;
    private readonly Block1Reassembler _block1;
    private readonly AceClock _clock;
    private readonly AceDecisionLog _log;
    private readonly string _path;
    private readonly bool _servesDtls;
    private readonly byte[] _maxAge = new byte[4];

    public AuthzInfoEndpoint(AceRsSettings settings, TokenIntake intake, AceClock clock, AceDecisionLog log)
    {
        _intake = intake;
        _admission = new AuthzInfoAdmission(settings);
        _block1 = new Block1Reassembler(settings.BlockwiseSlots, settings.EffectiveBlockwiseBufferSize, settings.MaxBlockSzx);
        _clock = clock;
        _log = log;
        _path = settings.AuthzInfoPath;
        _servesDtls = settings.ServesDtls;
    }

    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
    {
        TokenIntakeOutcome o = _intake.Outcome;
        o.Reset();
        RequestSecurity security = request.Security;
        long now = _clock.Now;

        // RFC 9200 §5.10.1.2: rate limits before any parsing. A POST over the client's own OSCORE context, or over a
        // DTLS session bound to its token, already proved possession (it is an access-rights update) and is not
        // counted, so no flood of strangers can block it.
        long retryAfter;
        AceRsError limit = AceRsError.None;
        bool provedKey = security != null && (security.Protection == RequestProtection.Oscore || (security.Protection == RequestProtection.Dtls && security.Slot >= 0));
        if (!provedKey && AuthzInfoAdmission.StartsBody(request))
        {
            limit = _admission.Admit(peer, now, out retryAfter);
            if (limit != AceRsError.None)
            {
                o.RejectUntil(limit, retryAfter);
            }
        }

        // RFC 9200 §5.10.1: the Content-Format reflects the token's format: application/cwt is the token itself (RFC 9202
        // §3.3), application/ace+cbor the map of RFC 9203 §4.1 (also taken without a Content-Format); others get 4.15.
        uint cf;
        bool hasFormat = request.TryGetUint(CoapOptionNumber.ContentFormat, out cf);
        bool bareToken = hasFormat && cf == CoapContentFormat.Cwt && _servesDtls;
        if (limit == AceRsError.None && hasFormat && cf != CoapContentFormat.AceCbor && !bareToken)
        {
            o.Reject(AceRsError.UnsupportedContentFormat);
        }

        if (o.Code == 0)
        {
            BlockwiseStatus bs = _block1.Receive(peer, request, response, now);
            if (bs == BlockwiseStatus.Continue)
            {
                return CoapHandlerResult.Respond;
            }

            if (bs == BlockwiseStatus.Error)
            {
                // The reassembler already set 4.00 / 4.08 / 4.13 (+ Size1) as RFC 7959 §2.9 says; add the error map.
                byte code = response.Code;
                o.Reject(code == CoapCode.RequestEntityTooLarge ? AceRsError.TokenTooLarge : AceRsError.BlockwiseFailed, code);
            }
            else
            {
                ByteRange body = bs == BlockwiseStatus.Complete
                    ? new ByteRange(_block1.BodyBuffer, 0, _block1.BodyLength)
                    : new ByteRange(request.PayloadBuffer, request.PayloadOffset, request.PayloadLength);
                if (bareToken)
                {
                    _intake.ProcessToken(body, peer, security, now, o);
                }
                else
                {
                    _intake.Process(body, peer, security, now, o);
                }
            }
        }

        Write(o, response);
        _log.Report(o.Kind, o.Error, response.Code, peer, o.Slot, request.Code, _path);
        return CoapHandlerResult.Respond;
    }

    private void Write(TokenIntakeOutcome o, CoapMessage response)
    {
        response.Code = o.Code;
        if (o.RetryAfterSeconds >= 0)
        {
            // RFC 7252 §5.10.5, RFC 8516 §3: a refusal that passes with time says when to try again in Max-Age.
            long seconds = o.RetryAfterSeconds;
            uint s = seconds < 1 ? 1u : (seconds > uint.MaxValue ? uint.MaxValue : (uint)seconds);
            int n = CoapOption.WriteUint(s, _maxAge, 0);
            response.AddOption(CoapOptionNumber.MaxAge, _maxAge, 0, n);
        }

        ByteRange payload = o.Payload;
        if (payload.Count > 0)
        {
            response.AddOption(CoapOptionNumber.ContentFormat, AceCborFormat, 0, 1);
            response.SetPayload(payload.Buffer, payload.Offset, payload.Count);
        }
    }
}
