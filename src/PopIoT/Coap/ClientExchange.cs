using System.Runtime.InteropServices;
using System.Threading.Channels;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Oscore;

namespace PopIoT.Coap;

/// <summary>
/// One application request carried over one or more CoAP exchanges: Block1 for a large body (RFC 7959 §2.5), Block2
/// for a large response (RFC 7959 §2.4), and for an observation the stream of notifications (RFC 7641 §3). Runs under
/// the endpoint's gate, driven by the layer's callbacks; the application waits on <see cref="Completion"/> or reads
/// <see cref="Notifications"/>.
/// </summary>
internal sealed partial class ClientExchange
{
    private readonly CoapEndpoint _endpoint;
    private readonly int _peer;
    private readonly CoapRequest _request;
    private readonly byte[] _body;
    private readonly byte[][] _path;
    private readonly byte[][] _query;
    private readonly byte[]? _host;
    private readonly byte[]? _proxyUri;
    private readonly bool _observe;
    private int _b1Szx;
    private int _b1Offset;
    private int _b1InFlight;
    private bool _b1Done;
    private int _b2Szx = -1;
    private MemoryStream? _b2Body;
    private int _handle = -1;
    private bool _finished;
    private byte[]? _observeToken;
    private byte[]? _token;
    private readonly OscoreClientSession? _oscore;
    private readonly OscoreExchange? _oscoreExchange;
    private OuterBlockwiseClient? _outer;
    private byte[]? _echo;
    private bool _echoAnswered;
    private int _lastBlock2Num;
    private bool _lastFirst;
    private uint? _outerObserve;

    public ClientExchange(CoapEndpoint endpoint, int peer, CoapRequest request, int defaultSzx, bool observe, OscoreClientSession? oscore = null)
    {
        _oscore = oscore;
        _oscoreExchange = oscore == null ? null : new OscoreExchange();
        _endpoint = endpoint;
        _peer = peer;
        _request = request;
        _observe = observe;
        _body = MemoryMarshal.TryGetArray(request.Payload, out ArraySegment<byte> seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length
            ? seg.Array : request.Payload.ToArray();
        Uri uri = request.Uri!;
        _path = CoapUri.PathSegments(uri).Select(System.Text.Encoding.UTF8.GetBytes).ToArray();
        _query = CoapUri.Query(uri).Select(System.Text.Encoding.UTF8.GetBytes).ToArray();
        // RFC 7252 §6.4 step 5: Uri-Host only when the host is not an IP literal; through a proxy always, since the
        // datagram's destination is the proxy's, not the origin's (§5.7.2).
        _host = CoapUri.TryGetLiteral(uri, out _) && request.Proxy == null ? null : System.Text.Encoding.UTF8.GetBytes(uri.IdnHost.Trim('[', ']'));
        if (request.Proxy != null)
        {
            // RFC 8613 §4.1.3.3: under OSCORE the Proxy-Uri is decomposed, so that Uri-Path and Uri-Query are Inner.
            _proxyUri = request.ProxySchemeForm || oscore != null ? null : System.Text.Encoding.UTF8.GetBytes(uri.AbsoluteUri);
        }
        _b1Szx = request.BlockSize is int size ? BlockSzx(size) : defaultSzx;
        if (request.BlockSize is int early)
        {
            _b2Szx = BlockSzx(early);
        }

        _b1Done = _body.Length <= BlockOption.Size(_b1Szx);
        if (observe)
        {
            Notifications = Channel.CreateUnbounded<CoapResponse>(new UnboundedChannelOptions { SingleReader = true });
        }
    }

    /// <summary>The peer index the requests go to.</summary>
    public int Peer => _peer;

    /// <summary>The request's URI, for messages.</summary>
    public Uri? Uri => _request.Uri;

    public TaskCompletionSource<CoapResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Channel<CoapResponse>? Notifications { get; }

    public static int BlockSzx(int size) => size switch
    {
        16 => 0, 32 => 1, 64 => 2, 128 => 3, 256 => 4, 512 => 5, 1024 => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(size), "Block size must be a power of two from 16 to 1024 (RFC 7959 §2.2)."),
    };

    /// <summary>Whether an observation is still registered with the layer (notifications may still come).</summary>
    public bool IsObservingLocked => _observe && _handle >= 0 && _endpoint.Layer.IsOpen(_handle);

    /// <summary>Sends the first request.</summary>
    public void StartLocked() => SendLocked(0, true);

    /// <summary>Cancels the exchange in the layer (an observation then gets Reset on its next notification, RFC 7641 §3.6).</summary>
    public void CancelLocked(Exception reason)
    {
        if (_handle >= 0)
        {
            _endpoint.Layer.Cancel(_handle, _endpoint.Now);
            _endpoint.UnregisterLocked(_handle);
            _endpoint.FlushLocked();
        }

        Abort(reason);
    }

    /// <summary>RFC 7641 §3.6: deregister proactively with a GET carrying Observe 1 and the same token (best effort).</summary>
    public void DeregisterLocked()
    {
        if (_observeToken == null || _oscore != null)
        {
            // Under OSCORE a deregistration would need a fresh protected request; the Reset that answers the next
            // notification ends the observation instead (RFC 7641 §3.6, RFC 8613 §4.1.3.5).
            return;
        }

        CoapMessage m = Build(0, false);
        m.Type = CoapMessageType.NonConfirmable;
        m.SetUintOption(CoapOptionNumber.Observe, 1);
        m.SetToken(_observeToken, 0, _observeToken.Length);
        _endpoint.Layer.SendRequest(_peer, m, _endpoint.Now, out _);
        _endpoint.FlushLocked();
    }

    public void Abort(Exception reason)
    {
        _finished = true;
        if (reason is OperationCanceledException oce)
        {
            Completion.TrySetCanceled(oce.CancellationToken);
        }
        else
        {
            Completion.TrySetException(reason);
        }

        Notifications?.Writer.TryComplete(reason is OperationCanceledException ? null : reason);
    }

    public void OnFailedLocked(CoapExchangeFailure reason)
    {
        _handle = -1;
        Abort(reason switch
        {
            CoapExchangeFailure.Timeout => new CoapTimeoutException("no response from " + _request.Uri + " after the RFC 7252 retransmissions", true),
            CoapExchangeFailure.Reset => new CoapException(_request.Uri + " answered with Reset", reason),
            _ => new CoapException(_request.Uri + ": exchange failed (" + reason + ")", reason),
        });
    }

    public void OnResponseLocked(CoapMessage m)
    {
        if (_finished)
        {
            return;
        }

        if (_oscore != null)
        {
            if (!OuterLocked(m))
            {
                return;
            }

            // The verified response points into the processor's buffers: read it under the session's lock.
            lock (_oscore.Gate)
            {
                if (VerifyLocked(m))
                {
                    OnPlainResponseLocked(m);
                }
            }

            return;
        }

        OnPlainResponseLocked(m);
    }

    private void OnPlainResponseLocked(CoapMessage m)
    {
        bool observing = _observe && _endpoint.Layer.IsOpen(_handle);
        if (!observing)
        {
            _handle = -1;
        }

        if (!_b1Done)
        {
            // RFC 7959 §2.3, §2.5: 2.31 Continue asks for the next block, possibly smaller.
            if (m.Code == CoapCode.Continue && m.TryGetUint(CoapOptionNumber.Block1, out uint b1) && BlockOption.IsValid(b1))
            {
                _b1Offset += _b1InFlight;
                _b1Szx = Math.Min(_b1Szx, BlockOption.Szx(b1));
                if (_b1Offset < _body.Length)
                {
                    SendLocked(0, false);
                    return;
                }
            }

            _b1Done = true;
        }

        // RFC 7959 §2.4: a Block2 response with M set asks the client to fetch the next block (not for notifications:
        // RFC 7959 §2.6 lets the first block of a large notification stand for it here).
        bool lastBlock = false;
        if (!observing && CoapCode.ClassOf(m.Code) == 2 && m.TryGetUint(CoapOptionNumber.Block2, out uint b2) && BlockOption.IsValid(b2))
        {
            lastBlock = true;
            long offset = BlockOption.Offset(b2);
            _b2Body ??= new MemoryStream();
            if (offset != _b2Body.Length)
            {
                Abort(new CoapException(_request.Uri + ": Block2 out of order (offset " + offset + ", expected " + _b2Body.Length + ")", CoapExchangeFailure.Rejected));
                return;
            }

            _b2Body.Write(m.PayloadBuffer ?? [], m.PayloadOffset, m.PayloadLength);
            if (BlockOption.More(b2))
            {
                if (_b2Body.Length > 16 * 1024 * 1024)
                {
                    Abort(new CoapException(_request.Uri + ": response body over 16 MiB", CoapExchangeFailure.Rejected));
                    return;
                }

                _b2Szx = BlockOption.Szx(b2);
                SendLocked((int)(_b2Body.Length >> (_b2Szx + 4)), false);
                return;
            }
        }

        // Only the last block of the transfer completes the assembled body; any other final response (an error such as
        // 4.08 in the middle of a transfer) stands with its own payload, never the blocks received before it.
        byte[] payload = lastBlock && _b2Body != null ? _b2Body.ToArray() : (m.PayloadLength == 0 ? [] : m.PayloadBuffer.AsSpan(m.PayloadOffset, m.PayloadLength).ToArray());
        _b2Body = null;
        CoapResponse response = ToResponse(m, payload, _outerObserve);
        if (Notifications != null)
        {
            Notifications.Writer.TryWrite(response);
            if (!observing)
            {
                // RFC 7641 §3.2: a response without Observe (or an error) ends the observation.
                _finished = true;
                Notifications.Writer.TryComplete();
            }

            return;
        }

        _finished = true;
        Completion.TrySetResult(response);
    }

    private static CoapResponse ToResponse(CoapMessage m, byte[] payload, uint? outerObserve)
    {
        int? cf = m.TryGetUint(CoapOptionNumber.ContentFormat, out uint f) ? (int)f : null;
        var r = new CoapResponse(CoapCode.IsResponse(m.Code) ? m.Code : CoapCode.InternalServerError, payload, cf);
        for (int i = 0; i < m.OptionCount; i++)
        {
            int number = m.GetOptionNumber(i);
            byte[] value = number == CoapOptionNumber.Observe && outerObserve is uint o
                ? ObserveValue(o)
                : m.GetOptionBuffer(i).AsSpan(m.GetOptionOffset(i), m.GetOptionLength(i)).ToArray();
            r.Options.Add(new CoapOptionValue(number, value));
        }

        return r;
    }

    private static byte[] ObserveValue(uint v)
    {
        byte[] b = new byte[CoapOption.UintLength(v)];
        CoapOption.WriteUint(v, b, 0);
        return b;
    }

    private void SendLocked(int block2Num, bool first)
    {
        CoapMessage m = Build(block2Num, first);
        if (_token != null)
        {
            // RFC 7959 §2.3 lets each block request carry its own token; some servers (node coap) key their Block1
            // reassembly by token, so all requests of one transfer share the first one's.
            m.SetToken(_token, 0, _token.Length);
        }

        _lastBlock2Num = block2Num;
        _lastFirst = first;
        if (_oscore != null)
        {
            if (_echo != null)
            {
                // RFC 9175 §2.3: the Echo value goes back once, in the repeated request (class E, RFC 8613 §4.1).
                m.AddOption(CoapOptionNumber.Echo, _echo, 0, _echo.Length);
                _echo = null;
            }

            OscoreStatus protect;
            lock (_oscore.Gate)
            {
                // The layer serializes the request inside SendRequest, before the processor's buffers are reused.
                protect = _oscore.Protect(m, _oscoreExchange!);
                if (protect == OscoreStatus.Ok)
                {
                    // RFC 8613 §4.1.3.4.2: Outer blocks cut the protected message, so keep it (its bytes live in the processor).
                    _outer ??= _oscore.NewOuterBlockwise();
                    if (_outer.Start(m, _oscore.OuterSzx, _oscore.OuterSzx, _oscore.MaxMessageSize))
                    {
                        var outgoing = new CoapMessage(CoapMessage.DefaultOptionCapacity + 3, 16);
                        _outer.FillNext(outgoing);
                        SendProtectedLocked(outgoing, first);
                    }
                    else
                    {
                        protect = OscoreStatus.MessageTooLarge;
                    }
                }
            }

            if (protect == OscoreStatus.SequenceNumberNotReserved)
            {
                // RFC 8613 Appendix B.1.1: nothing went out; the store itself keeps what failed.
                Abort(new CoapException(_request.Uri + ": nothing sent: the OSCORE Sender Sequence Number could not be durably reserved", CoapExchangeFailure.Rejected));
            }
            else if (protect != OscoreStatus.Ok)
            {
                Abort(new CoapException(_request.Uri + ": cannot protect the request with OSCORE (" + protect + ")", CoapExchangeFailure.Rejected));
            }

            return;
        }

        SendProtectedLocked(m, first);
    }
}
