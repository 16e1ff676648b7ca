using System.Net;
using Microsoft.Extensions.Logging;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;

namespace PopIoT.Coap;

/// <summary>
/// Binds one sans-IO <see cref="MessageLayer"/> to one <see cref="ICoapTransport"/> (DESIGN.md §3): datagrams in,
/// the outbox drained after every call, wake-ups at <see cref="MessageLayer.NextDeadline"/>. Everything touching the
/// layer runs under <see cref="Gate"/>, so clients on many threads can share it.
/// The layer names peers by index; this endpoint keeps at most <see cref="CoapSettings.MaxPeers"/> addresses
/// numbered. A new address beyond that evicts the least recently heard or used one that has nothing open (no exchange
/// in the layer, nothing <see cref="PeerInUse"/> claims); when every one is busy, the datagram is dropped and counted.
/// An index is never given to a second address, so state the layers still hold for an evicted peer (its duplicate
/// cache entries, a late separate response) can never reach someone else (docs/coap.md, "Peers").
/// </summary>
internal sealed class CoapEndpoint : ICoapTransportSink, ICoapExchangeListener, IDisposable
{
    private readonly ICoapTransport _transport;
    private readonly ILogger _logger;
    private readonly int _maxPeers;
    private readonly Dictionary<IPEndPoint, LinkedListNode<(IPEndPoint Address, int Index)>> _peerIndex = [];
    private readonly Dictionary<int, LinkedListNode<(IPEndPoint Address, int Index)>> _peers = [];

    // Least recently heard or used first.
    private readonly LinkedList<(IPEndPoint Address, int Index)> _recency = new();
    private readonly Dictionary<int, ClientExchange> _exchanges = [];
    private readonly Dictionary<(int Peer, int MessageId), int> _conSent = [];
    private readonly byte[] _rx = new byte[65536];
    private readonly byte[] _tx;
    private int _nextPeer;
    private long _scheduled = long.MaxValue;
    private bool _disposed;

    // start false: receiving starts later with Start, once the owner's wiring is done (a server must know its endpoint
    // before the first request arrives).
    public CoapEndpoint(ICoapTransport transport, CoapSettings settings, IRandomSource random, ICoapRequestHandler? handler, ILogger logger, bool start = true)
    {
        _transport = transport;
        _logger = logger;
        Layer = new MessageLayer(settings, random, handler!, this);
        _tx = new byte[settings.MaxMessageSize];
        _maxPeers = settings.MaxPeers;
        if (start)
        {
            _transport.Start(this);
        }
    }

    /// <summary>Starts receiving datagrams and wake-ups (once; for an endpoint made with start false).</summary>
    public void Start() => _transport.Start(this);

    /// <summary>Held while the layer (and everything that feeds it) is used.</summary>
    public object Gate { get; } = new();

    public MessageLayer Layer { get; }

    public ICoapTransport Transport => _transport;

    public long Now => _transport.NowMs;

    /// <summary>Told when a message this endpoint sent as a server (a notification) was reset or timed out.</summary>
    public Action<int, byte[], CoapExchangeFailure>? ServerMessageFailed { get; set; }

    /// <summary>Whether the server still holds state for a peer index (an observation), so its address must be kept.</summary>
    public Func<int, bool>? PeerInUse { get; set; }

    /// <summary>How many peer addresses are numbered now (at most <see cref="CoapSettings.MaxPeers"/>).</summary>
    public int PeerCountLocked => _peers.Count;

    /// <summary>Datagrams dropped because every numbered peer was busy and a new address had no room.</summary>
    public int PeersFullDrops { get; private set; }

    /// <summary>The address of a peer index, or null once the peer was evicted.</summary>
    public IPEndPoint? PeerAddress(int peer)
    {
        lock (Gate)
        {
            return _peers.TryGetValue(peer, out var node) ? node.Value.Address : null;
        }
    }

    /// <summary>The index of <paramref name="address"/>, numbering it if new; -1 when the table is full of busy peers.</summary>
    public int PeerIndexLocked(IPEndPoint address)
    {
        if (_peerIndex.TryGetValue(address, out var node))
        {
            _recency.Remove(node);
            _recency.AddLast(node);
            return node.Value.Index;
        }

        if (_peers.Count >= _maxPeers && !EvictIdlePeerLocked())
        {
            return -1;
        }

        // Skips an index still in use after the counter wraps, so no index ever names two live addresses.
        while (_peers.ContainsKey(_nextPeer))
        {
            _nextPeer = _nextPeer == int.MaxValue ? 0 : _nextPeer + 1;
        }

        node = _recency.AddLast((address, _nextPeer));
        _peerIndex.Add(address, node);
        _peers.Add(_nextPeer, node);
        _nextPeer = _nextPeer == int.MaxValue ? 0 : _nextPeer + 1;
        return node.Value.Index;
    }

    /// <summary>The index of a request's destination; throws when the table is full of busy peers.</summary>
    public int PeerForRequestLocked(IPEndPoint destination)
    {
        int peer = PeerIndexLocked(destination);
        return peer >= 0 ? peer : throw new CoapException("no room for another peer: all " + _maxPeers + " are busy", CoapExchangeFailure.Rejected);
    }

    private bool EvictIdlePeerLocked()
    {
        for (var node = _recency.First; node != null; node = node.Next)
        {
            int index = node.Value.Index;
            if (!Layer.HasOpenExchange(index) && PeerInUse?.Invoke(index) != true)
            {
                _recency.Remove(node);
                _peerIndex.Remove(node.Value.Address);
                _peers.Remove(index);
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Told of every datagram sent and received, one line each in libcoap's notation, retransmissions marked (what
    /// <c>popiot coap -v</c> prints); null for none.
    /// </summary>
    public Action<string>? Trace { get; set; }

    public void RegisterLocked(int handle, ClientExchange exchange) => _exchanges[handle] = exchange;

    /// <summary>RFC 1122 §4.1.3.3: the network refused a peer; every request waiting on it fails now, with that reason.</summary>
    public void OnUnreachable(IPEndPoint destination, string reason)
    {
        List<ClientExchange> failed = [];
        lock (Gate)
        {
            if (_disposed || !_peerIndex.TryGetValue(destination, out var node))
            {
                return;
            }

            Trace?.Invoke(destination + ": " + reason);
            foreach ((int handle, ClientExchange x) in _exchanges.ToArray())
            {
                if (x.Peer == node.Value.Index)
                {
                    Layer.Cancel(handle, Now);
                    _exchanges.Remove(handle);
                    failed.Add(x);
                }
            }

            foreach (ClientExchange x in failed)
            {
                x.Abort(new CoapException(x.Uri + ": " + reason + " from " + destination, CoapExchangeFailure.Rejected));
            }

            FlushLocked();
        }
    }

    public void UnregisterLocked(int handle) => _exchanges.Remove(handle);

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
            if (peer < 0)
            {
                PeersFullDrops++;
                _logger.LogDebug("datagram from {Peer} dropped: all {Max} peers are busy", source, _maxPeers);
                return;
            }

            if (Trace != null)
            {
                Trace("received from " + source + ": " + CoapTrace.Describe(_rx, n));
            }

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
            // A separate response that outlived its peer's eviction goes nowhere: the index is never reused.
            if (_peers.TryGetValue(peer, out var node))
            {
                if (Trace != null)
                {
                    TraceSend(node.Value.Address, peer, length);
                }

                _transport.Send(node.Value.Address, _tx.AsSpan(0, length));
            }
        }

        long deadline = Layer.NextDeadline;
        if (deadline != _scheduled)
        {
            _scheduled = deadline;
            _transport.ScheduleWake(deadline);
        }
    }

    // RFC 7252 §4.2: a CON sent again with the same Message ID is a retransmission; counted per peer and Message ID.
    private void TraceSend(IPEndPoint address, int peer, int length)
    {
        string what = CoapTrace.Describe(_tx, length);
        if (length >= 4 && (_tx[0] & 0x30) == 0)
        {
            var key = (peer, (_tx[2] << 8) | _tx[3]);
            _conSent.TryGetValue(key, out int sent);
            if (_conSent.Count >= 1024)
            {
                _conSent.Clear();
            }

            _conSent[key] = sent + 1;
            if (sent > 0)
            {
                Trace!("retransmission #" + sent.ToString(System.Globalization.CultureInfo.InvariantCulture) + " to " + address + ": " + what);
                return;
            }
        }

        Trace!("sent to " + address + ": " + what);
    }

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
            _logger.LogDebug("CoAP exchange with {Peer} failed: {Reason}", PeerAddress(peer), reason);
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
