using System.Net;
using Microsoft.Extensions.Logging;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;

namespace PopIoT.Coap;

/// <summary>
/// Binds one sans-IO <see cref="MessageLayer"/> to one <see cref="ICoapTransport"/> (DESIGN.md §3): datagrams in,
/// the outbox drained after every call, wake-ups at <see cref="MessageLayer.NextDeadline"/>. Everything touching the
/// layer runs under <see cref="Gate"/>, so clients on many threads can share it.
/// </summary>
internal sealed class CoapEndpoint : ICoapTransportSink, ICoapExchangeListener, IDisposable
{
    private readonly ICoapTransport _transport;
    private readonly ILogger _logger;
    private readonly List<IPEndPoint> _peers = [];
    private readonly Dictionary<IPEndPoint, int> _peerIndex = [];
    private readonly Dictionary<int, ClientExchange> _exchanges = [];
    private readonly byte[] _rx = new byte[65536];
    private readonly byte[] _tx;
    private long _scheduled = long.MaxValue;
    private bool _disposed;

    public CoapEndpoint(ICoapTransport transport, CoapSettings settings, IRandomSource random, ICoapRequestHandler? handler, ILogger logger)
    {
        _transport = transport;
        _logger = logger;
        Layer = new MessageLayer(settings, random, handler!, this);
        _tx = new byte[settings.MaxMessageSize];
        _transport.Start(this);
    }

    /// <summary>Held while the layer (and everything that feeds it) is used.</summary>
    public object Gate { get; } = new();

    public MessageLayer Layer { get; }

    public ICoapTransport Transport => _transport;

    public long Now => _transport.NowMs;

    /// <summary>
    /// The server's work that must precede every request it handles (a device's token lifetimes, RFC 9200 §5.10.3),
    /// called under the gate before each datagram reaches the layer.
    /// </summary>
    public Action? Housekeeping { get; set; }

    /// <summary>Told when a message this endpoint sent as a server (a notification) was reset or timed out.</summary>
    public Action<int, byte[], CoapExchangeFailure>? ServerMessageFailed { get; set; }

    public IPEndPoint PeerAddress(int peer)
    {
        lock (Gate)
        {
            return _peers[peer];
        }
    }

    public int PeerIndexLocked(IPEndPoint address)
    {
        if (!_peerIndex.TryGetValue(address, out int index))
        {
            index = _peers.Count;
            _peers.Add(address);
            _peerIndex.Add(address, index);
        }

        return index;
    }

    public void RegisterLocked(int handle, ClientExchange exchange) => _exchanges[handle] = exchange;

    public void UnregisterLocked(int handle) => _exchanges.Remove(handle);

    public int OpenExchangesLocked => _exchanges.Count;

    public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram)
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }

            int n = Math.Min(datagram.Length, _rx.Length);
            datagram[..n].CopyTo(_rx);
            int peer = PeerIndexLocked(source);
            RunHousekeepingLocked();
            Layer.Receive(_rx, 0, n, peer, Now);
            FlushLocked();
        }
    }

    public void OnTimer()
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }

            _scheduled = long.MaxValue;
            Layer.Poll(Now);
            FlushLocked();
        }
    }

    /// <summary>Sends what the layer queued and re-arms the timer; call after every use of the layer.</summary>
    public void FlushLocked()
    {
        while (Layer.TryTakeOutgoing(_tx, 0, out int length, out int peer))
        {
            _transport.Send(_peers[peer], _tx.AsSpan(0, length));
        }

        long deadline = Layer.NextDeadline;
        if (deadline != _scheduled)
        {
            _scheduled = deadline;
            _transport.ScheduleWake(deadline);
        }
    }

    /// <summary>Runs <see cref="Housekeeping"/> now (under the gate); call <see cref="FlushLocked"/> after.</summary>
    public void RunHousekeepingLocked() => Housekeeping?.Invoke();

    public void OnResponse(int exchange, int peer, CoapMessage response)
    {
        if (_exchanges.TryGetValue(exchange, out ClientExchange? x))
        {
            if (!Layer.IsOpen(exchange))
            {
                _exchanges.Remove(exchange);
            }

            x.OnResponseLocked(response);
        }
    }

    public void OnFailed(int exchange, int peer, byte[] token, int tokenOffset, int tokenLength, CoapExchangeFailure reason)
    {
        if (exchange >= 0 && _exchanges.Remove(exchange, out ClientExchange? x))
        {
            _logger.LogDebug("CoAP exchange with {Peer} failed: {Reason}", _peers[peer], reason);
            x.OnFailedLocked(reason);
            return;
        }

        ServerMessageFailed?.Invoke(peer, token.AsSpan(tokenOffset, tokenLength).ToArray(), reason);
    }

    public void Dispose()
    {
        List<ClientExchange> open;
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            open = [.. _exchanges.Values];
            _exchanges.Clear();
        }

        _transport.Dispose();
        foreach (ClientExchange x in open)
        {
            x.Abort(new ObjectDisposedException("CoapClient"));
        }
    }
}
