using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Coap;

/// <summary>The OSCORE side of <see cref="ClientExchange"/>: Outer block-wise, protecting the request and verifying the response (RFC 8613 §4.1.3.4.2, §8).</summary>
internal sealed partial class ClientExchange
{
    // RFC 8613 §8.4.1 step A, §4.1.3.4.2: Outer block-wise first. True when m is a whole OSCORE response to verify.
    private bool OuterLocked(CoapMessage m)
    {
        if (_outer == null)
        {
            return true;
        }

        BlockwiseStatus s = _outer.OnResponse(m);
        if (s == BlockwiseStatus.Continue)
        {
            SendOuterLocked();
            return false;
        }

        if (s == BlockwiseStatus.Error)
        {
            Abort(new CoapException(_request.Uri + ": Outer block-wise transfer of the OSCORE message failed (" + CoapResponse.FormatCode(m.Code) + ", RFC 8613 §4.1.3.4.2)", CoapExchangeFailure.Rejected));
            return false;
        }

        return true;
    }

    // The next message of the Outer transfer: a block of the kept protected request, or the request asking for the next
    // Outer Block2 block (RFC 7959 §2.4); never protected again.
    private void SendOuterLocked()
    {
        var next = new CoapMessage(CoapMessage.DefaultOptionCapacity + 3, 16);
        _outer!.FillNext(next);
        if (_token != null)
        {
            next.SetToken(_token, 0, _token.Length);
        }

        SendProtectedLocked(next, false);
    }

    // RFC 8613 §8.4. False when the response was consumed here (an Echo challenge answered, or a failure).
    private bool VerifyLocked(CoapMessage m)
    {
        // RFC 8613 §4.1.3.5.2: a notification's Inner Observe is empty; the number the server gave is the Outer one.
        _outerObserve = m.TryGetUint(CoapOptionNumber.Observe, out uint outer) ? outer : null;
        OscoreStatus s = _oscore!.Unprotect(m, _oscoreExchange!);
        if (s == OscoreStatus.NotProtected)
        {
            // RFC 8613 §8.2: the server's errors (4.00, 4.01, 4.02) come unprotected; anything else must not be trusted.
            if (CoapCode.ClassOf(m.Code) is 4 or 5)
            {
                return true;
            }

            Abort(new CoapException(_request.Uri + ": unprotected " + CoapResponse.FormatCode(m.Code) + " response to an OSCORE request (RFC 8613 §8.4)", CoapExchangeFailure.Rejected));
            return false;
        }

        if (s == OscoreStatus.ReplayDetected && _observe && m.HasOption(CoapOptionNumber.Observe))
        {
            // RFC 8613 §7.4.1: a notification older than one already accepted (reordered or duplicated) is dropped;
            // the observation goes on.
            return false;
        }

        if (s != OscoreStatus.Ok)
        {
            Abort(new CoapException(_request.Uri + ": the OSCORE response failed verification (" + s + ", RFC 8613 §8.4)", CoapExchangeFailure.Rejected));
            return false;
        }

        int at = m.FindOption(CoapOptionNumber.Echo);
        if (m.Code == CoapCode.Unauthorized && at >= 0 && !_echoAnswered)
        {
            // RFC 8613 Appendix B.1.2, RFC 9175 §2.3: repeat the request once with the Echo as an Inner option.
            _echoAnswered = true;
            _echo = m.GetOptionBuffer(at).AsSpan(m.GetOptionOffset(at), m.GetOptionLength(at)).ToArray();
            SendLocked(_lastBlock2Num, _lastFirst);
            return false;
        }

        return true;
    }

    private void SendProtectedLocked(CoapMessage m, bool first)
    {
        CoapSendStatus status = _endpoint.Layer.SendRequest(_peer, m, _endpoint.Now, out int handle);
        if (status is CoapSendStatus.Sent or CoapSendStatus.Queued)
        {
            _handle = handle;
            if (_token == null)
            {
                _token = new byte[m.TokenLength];
                m.GetToken(_token, 0);
            }

            if (first && _observe)
            {
                _observeToken = _token;
            }

            _endpoint.RegisterLocked(handle, this);
            _endpoint.FlushLocked();
            return;
        }

        Abort(new CoapException(_request.Uri + ": cannot send (" + status + ")", CoapExchangeFailure.Rejected));
    }
}
