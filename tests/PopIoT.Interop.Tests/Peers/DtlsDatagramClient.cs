using System.Net;
using System.Threading.Channels;
using PopIoT.Coap;

namespace PopIoT.Interop.Tests.Peers;

/// <summary>
/// PopIoT's DTLS client host (<see cref="DtlsCoapTransport"/> over a UDP socket, what every coaps:// request goes
/// through) used below CoAP: each <see cref="Send"/> is one application_data record, each record received is one
/// datagram. For peers that are not CoAP servers (gnutls-serv --echo) and for exact bytes both ways.
/// </summary>
internal sealed class DtlsDatagramClient : IDisposable, ICoapTransportSink
{
    private readonly DtlsCoapTransport _dtls;
    private readonly IPEndPoint _server;
    private readonly Channel<byte[]> _received = Channel.CreateUnbounded<byte[]>();
    private volatile string? _failure;

    public DtlsDatagramClient(IPEndPoint server, byte[] identity, byte[] psk)
    {
        _server = server;
        _dtls = new DtlsCoapTransport(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0), server), new DtlsCoapTransportOptions { Identity = identity, Psk = psk });
        _dtls.Start(this);
    }

    public IPEndPoint LocalEndPoint => _dtls.LocalEndPoint;

    public void Send(byte[] data) => _dtls.Send(_server, data);

    /// <summary>The next record's data from the server; a failed handshake throws with the host's reason.</summary>
    public async Task<byte[]> ReceiveAsync(TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("DTLS with " + _server + " failed: " + _failure);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("nothing from " + _server + " over DTLS within " + limit.TotalSeconds + " s" + (_failure == null ? string.Empty : ": " + _failure));
        }
    }

    public void Dispose() => _dtls.Dispose();

    void ICoapTransportSink.OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram) => _received.Writer.TryWrite(datagram.ToArray());

    void ICoapTransportSink.OnTimer()
    {
    }

    void ICoapTransportSink.OnUnreachable(IPEndPoint destination, string reason)
    {
        _failure = reason;
        _received.Writer.TryComplete();
    }
}
