using PopIoT.Core.Coap;
using PopIoT.Oscore;

namespace PopIoT.Coap;

/// <summary>How <see cref="ClientExchange"/> builds each request message: its target, Block1/Block2 and Content-Format options (RFC 7252 §6.4, RFC 7959).</summary>
internal sealed partial class ClientExchange
{
    private CoapMessage Build(int block2Num, bool first)
    {
        var m = new CoapMessage(16 + _path.Length + _query.Length + _request.Options.Count, 64);
        m.Type = _request.Confirmable ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable;
        m.Code = _request.Method;
        if (_proxyUri != null)
        {
            // RFC 7252 §5.10.2: Proxy-Uri carries the whole target and excludes the Uri-* options.
            m.AddOption(CoapOptionNumber.ProxyUri, _proxyUri, 0, _proxyUri.Length);
        }
        else
        {
            AddTarget(m);
        }

        if (_request.Accept is int accept)
        {
            m.AddUintOption(CoapOptionNumber.Accept, (uint)accept);
        }

        foreach (CoapOptionValue o in _request.Options)
        {
            m.AddOption(o.Number, o.Value, 0, o.Value.Length);
        }

        if (_observe && first)
        {
            m.SetUintOption(CoapOptionNumber.Observe, 0);
        }

        if (!_b1Done)
        {
            // RFC 7959 §2.5: the body in blocks, Size1 with the total on the first (§4).
            int size = BlockOption.Size(_b1Szx);
            int n = Math.Min(size, _body.Length - _b1Offset);
            bool more = _b1Offset + n < _body.Length;
            m.AddUintOption(CoapOptionNumber.Block1, BlockOption.Encode(_b1Offset >> (_b1Szx + 4), more, _b1Szx));
            if (_b1Offset == 0)
            {
                m.AddUintOption(CoapOptionNumber.Size1, (uint)_body.Length);
            }

            AddContentFormat(m);
            m.SetPayload(_body, _b1Offset, n);
            _b1InFlight = n;
        }
        else if (block2Num == 0 && first && _body.Length > 0)
        {
            AddContentFormat(m);
            m.SetPayload(_body, 0, _body.Length);
        }
        else
        {
            // RFC 7959 §2.4, §2.7: a request for a later block repeats the initial request's options (Content-Format
            // included), without Block1 and without the body; a server may refuse a changed set with 4.08.
            AddContentFormat(m);
        }

        // RFC 7959 §2.4: ask for the next block; a Block2 on the first request proposes a size (early negotiation).
        if (block2Num > 0 || (first && _b2Szx >= 0))
        {
            m.AddUintOption(CoapOptionNumber.Block2, BlockOption.Encode(block2Num, false, _b2Szx < 0 ? BlockOption.MaxSzx : _b2Szx));
        }

        return m;
    }

    // RFC 7252 §6.4 steps 5-9; through a proxy with Proxy-Scheme and the origin's Uri-Port (§5.10.2: the default port
    // would otherwise be the proxy's).
    private void AddTarget(CoapMessage m)
    {
        if (_host != null)
        {
            m.AddOption(CoapOptionNumber.UriHost, _host, 0, _host.Length);
        }

        if (_request.Proxy != null)
        {
            m.AddUintOption(CoapOptionNumber.UriPort, (uint)CoapUri.Port(_request.Uri!));
            m.AddStringOption(CoapOptionNumber.ProxyScheme, "coap");
        }

        foreach (byte[] s in _path)
        {
            m.AddOption(CoapOptionNumber.UriPath, s, 0, s.Length);
        }

        foreach (byte[] q in _query)
        {
            m.AddOption(CoapOptionNumber.UriQuery, q, 0, q.Length);
        }
    }

    private void AddContentFormat(CoapMessage m)
    {
        if (_request.ContentFormat is int cf)
        {
            m.AddUintOption(CoapOptionNumber.ContentFormat, (uint)cf);
        }
    }
}
