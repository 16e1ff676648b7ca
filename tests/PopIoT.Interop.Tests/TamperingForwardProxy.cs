using System.Net;
using System.Net.Sockets;
using PopIoT.Core.Coap;

namespace PopIoT.Interop.Tests;

/// <summary>
/// A forward proxy of the tests' own (RFC 7252 §5.7.2) that forwards each request to the origin named by its Uri-Host
/// and Uri-Port, without its Proxy-Scheme, and relays the origin's messages back, keeping Message IDs and tokens. It
/// flips one bit of the first payload byte of every request and/or response it relays: for an OSCORE message that byte
/// is ciphertext (RFC 8613 §5), so it plays the attacker of RFC 8613 §12.1 who sits on the path.
/// </summary>
internal sealed class TamperingForwardProxy : IDisposable
{
    private readonly UdpClient _downstream = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly UdpClient _upstream = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly bool _flipRequests;
    private readonly bool _flipResponses;
    private readonly Task _down;
    private readonly Task _up;
    private IPEndPoint? _client;
    private IPEndPoint? _origin;
    private int _flipped;

    public TamperingForwardProxy(bool flipRequests, bool flipResponses)
    {
        _flipRequests = flipRequests;
        _flipResponses = flipResponses;
        _down = Task.Run(DownstreamAsync);
        _up = Task.Run(UpstreamAsync);
    }

    public int Port => ((IPEndPoint)_downstream.Client.LocalEndPoint!).Port;

    /// <summary>How many payloads were changed.</summary>
    public int Flipped => Volatile.Read(ref _flipped);

    /// <summary>How many requests carried Proxy-Scheme and how many Proxy-Uri.</summary>
    public int ProxySchemeRequests { get; private set; }

    public int ProxyUriRequests { get; private set; }

    public void Dispose()
    {
        _stop.Cancel();
        _downstream.Dispose();
        _upstream.Dispose();
        try
        {
            Task.WaitAll([_down, _up], 5000);
        }
        catch (AggregateException)
        {
            // the sockets were closed under the loops
        }

        _stop.Dispose();
    }

    private async Task DownstreamAsync()
    {
        var m = new CoapMessage();
        var buffer = new byte[2048];
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult r;
            try
            {
                r = await _downstream.ReceiveAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _client = r.RemoteEndPoint;
            if (m.Parse(r.Buffer, 0, r.Buffer.Length) != CoapParseError.None)
            {
                continue;
            }

            if (CoapCode.IsRequest(m.Code))
            {
                ProxySchemeRequests += m.HasOption(CoapOptionNumber.ProxyScheme) ? 1 : 0;
                ProxyUriRequests += m.HasOption(CoapOptionNumber.ProxyUri) ? 1 : 0;
                _origin = Origin(m);
                m.RemoveOption(CoapOptionNumber.ProxyScheme);
                if (_flipRequests)
                {
                    Flip(m.PayloadBuffer, m.PayloadOffset, m.PayloadLength);
                }

                int n = m.Serialize(buffer, 0, buffer.Length);
                await _upstream.SendAsync(buffer.AsMemory(0, n), _origin);
            }
            else if (_origin != null)
            {
                // The client's ACK or Reset for a separate response goes back to the origin as it is.
                await _upstream.SendAsync(r.Buffer, _origin);
            }
        }
    }

    private async Task UpstreamAsync()
    {
        var m = new CoapMessage();
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult r;
            try
            {
                r = await _upstream.ReceiveAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (_flipResponses && m.Parse(r.Buffer, 0, r.Buffer.Length) == CoapParseError.None && m.PayloadLength > 0)
            {
                // The payload is the datagram's tail (RFC 7252 §3).
                Flip(r.Buffer, r.Buffer.Length - m.PayloadLength, m.PayloadLength);
            }

            if (_client != null)
            {
                await _downstream.SendAsync(r.Buffer, _client);
            }
        }
    }

    private void Flip(byte[] buffer, int offset, int length)
    {
        if (length > 0)
        {
            buffer[offset] ^= 0x01;
            Interlocked.Increment(ref _flipped);
        }
    }

    // RFC 7252 §6.5 read backwards: the origin is Uri-Host (an IP literal here) and Uri-Port, 5683 by default.
    private static IPEndPoint Origin(CoapMessage m)
    {
        int host = m.FindOption(CoapOptionNumber.UriHost);
        IPAddress address = host < 0
            ? IPAddress.Loopback
            : IPAddress.Parse(System.Text.Encoding.UTF8.GetString(m.GetOptionBuffer(host), m.GetOptionOffset(host), m.GetOptionLength(host)));
        return new IPEndPoint(address, m.TryGetUint(CoapOptionNumber.UriPort, out uint port) ? (int)port : 5683);
    }
}
