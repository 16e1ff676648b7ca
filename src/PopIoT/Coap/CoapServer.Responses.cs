using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using PopIoT.Core;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Coap;

/// <summary>The response part of the server: running a handler, answering later (RFC 7252 §5.2.2) under the request's
/// own security binding (RFC 8613 §8.3), and filling the wire response with its Block2 slice (RFC 7959 §2.4).</summary>
public sealed partial class CoapServer
{
    private static CoapResponse Result(ValueTask<CoapResponse> done)
    {
        try
        {
            return done.Result;
        }
        catch (Exception)
        {
            return new CoapResponse(CoapCode.InternalServerError);
        }
    }

    private ValueTask<CoapResponse> Invoke(Entry entry, CoapRequest request)
    {
        Interlocked.Increment(ref _requests);
        try
        {
            return entry.Handler(request, _stopping.Token);
        }
        catch (Exception e)
        {
            // DESIGN.md §2: no exception escapes; the client gets 5.00.
            _logger.LogWarning(e, "CoAP handler for {Path} threw", entry.Resource!.Path);
            return ValueTask.FromResult(new CoapResponse(CoapCode.InternalServerError));
        }
    }

    private async Task RespondLaterAsync(CoapEndpoint endpoint, Entry entry, int peer, CoapMessage shadow, bool con, ValueTask<CoapResponse> pending, RequestSecurity? binding)
    {
        CoapResponse r;
        try
        {
            r = await pending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "CoAP handler for {Path} failed", entry.Resource!.Path);
            r = new CoapResponse(CoapCode.InternalServerError);
        }

        lock (endpoint.Gate)
        {
            var m = new CoapMessage();
            m.CopyTokenFrom(shadow);
            Fill(entry, peer, shadow, m, r, out _);
            _logger.LogDebug("{Peer} {Method} {Path} -> {Code}{Protection} (separate response)", endpoint.PeerAddress(peer), MethodName(shadow.Code), entry.Resource!.Path, r.CodeText, binding != null ? " under OSCORE" : string.Empty);

            // RFC 7959 §2.6: a separate response goes in blocks too, and its later blocks come from this one result
            // (a POST such as /token must not run again for them).
            _blockBodies.Remember(peer, entry.Index, shadow.Code, m, r, endpoint.Now);
            if (binding != null && _oscoreProcessor!.ProtectResponse(m, binding.Exchange, _options.OscoreFreshPartialIv) != OscoreStatus.Ok)
            {
                // Nothing protected can be sent (RFC 8613 §7.2.1 exhausted, or too large): a plain 5.00 says so.
                m.ClearOptions();
                m.SetPayload(null, 0, 0);
                m.Code = CoapCode.InternalServerError;
            }

            m.Type = con ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable;
            endpoint.Layer.Send(peer, m, endpoint.Now, out _);
            endpoint.FlushLocked();
        }
    }

    // `-v` of `coap serve` and `device simulate`: one line per request a handler answered (never a payload or a key).
    private void LogRequest(CoapRequest request, CoapResponse response, bool oscore)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug("{Peer} {Method} {Path} -> {Code}{Protection}", request.RemoteEndPoint, MethodName(request.Method), request.Path, response.CodeText, oscore ? " under OSCORE" : string.Empty);
        }
    }

    private static string MethodName(byte method) => method is >= 1 and <= 7
        ? ((string[])["GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "iPATCH"])[method - 1]
        : CoapResponse.FormatCode(method);

    // Code, options, Observe registration and the Block2 slice of the body (RFC 7959 §2.4) into the wire response.
    private void Fill(Entry? entry, int peer, CoapMessage request, CoapMessage response, CoapResponse r, out byte[]? body)
    {
        response.Code = r.Code;
        if (entry != null && entry.Resource!.Observable && r.IsSuccess)
        {
            // RFC 7641 §4.1: only a successful response registers the observer (or confirms the deregistration).
            _observers.HandleRequest(peer, entry.Index, request, response);
        }

        if (r.ContentFormat is int cf)
        {
            response.SetUintOption(CoapOptionNumber.ContentFormat, (uint)cf);
        }

        foreach (CoapOptionValue o in r.Options)
        {
            if (o.Number is not (CoapOptionNumber.ContentFormat or CoapOptionNumber.Observe or CoapOptionNumber.Block2 or CoapOptionNumber.Size2))
            {
                response.AddOption(o.Number, o.Value, 0, o.Value.Length);
            }
        }

        body = MemoryMarshal.TryGetArray(r.Payload, out ArraySegment<byte> seg) ? seg.Array : r.Payload.ToArray();
        int offset = MemoryMarshal.TryGetArray(r.Payload, out seg) ? seg.Offset : 0;
        if (r.Payload.Length > 0 || request.HasOption(CoapOptionNumber.Block2))
        {
            BlockwiseStatus s = Block2Slicer.Fill(body ?? [], offset, r.Payload.Length, request, response, _options.MaxSzx);
            if (s == BlockwiseStatus.Error)
            {
                response.ClearOptions();
                response.SetPayload(null, 0, 0);
            }
        }
    }
}
