using System.Net;
using PopIoT.Core;
using PopIoT.Core.Crypto;
using PopIoT.Core.Dtls;
using PopIoT.Crypto;

namespace PopIoT.Coap;

/// <summary>
/// CoAP over DTLS (RFC 7252 §9): an <see cref="ICoapTransport"/> that carries each CoAP datagram as one DTLS
/// application_data record over an inner transport (a UDP socket, or a <see cref="LossyNetwork"/> node with its virtual
/// clock), through the portable <see cref="DtlsEngine"/>, the same engine a board runs. As a server (with
/// <see cref="DtlsCoapTransportOptions.PskStore"/>) it accepts PSK handshakes; as a client (with an identity and a key)
/// the first datagram to a destination without a session starts a handshake, and the datagrams wait (bounded) until it
/// completes. A handshake that fails ends the CoAP exchanges waiting on that destination at once with the reason
/// (<see cref="ICoapTransportSink.OnUnreachable"/>). Peers are numbered in a bounded table (docs/dtls.md, "Hosts").
/// </summary>
public sealed class DtlsCoapTransport : ICoapTransport, IDtlsListener
{
    private readonly ICoapTransport _inner;
    // RFC 6347 §4.1: type, version, epoch, sequence number, length.
    private const int RecordHeader = 13;

    private readonly DtlsEngine _engine;
    private readonly DtlsCoapTransportOptions _options;
    private readonly byte[]? _identity;
    private readonly byte[]? _psk;
    private readonly object _lock = new();
    private readonly DtlsPeerTable _peers;
    private readonly byte[] _in = new byte[65536];
    private readonly byte[] _out;

    // Filled by the engine's callbacks under _lock and handed to the sink after it is released: the sink takes the
    // endpoint's lock, and the endpoint calls Send with that lock held, so calling the sink under _lock could deadlock.
    private readonly List<(IPEndPoint Source, byte[] Data)> _received = [];
    private readonly List<(IPEndPoint Destination, string Reason)> _failed = [];
    private ICoapTransportSink? _sink;
    private long _sinkWakeAt = long.MaxValue;
    private bool _disposed;

    /// <summary>Wraps <paramref name="inner"/>, which the transport owns from now on.</summary>
    /// <param name="inner">The datagram transport.</param>
    /// <param name="options">The credentials and sizes.</param>
    public DtlsCoapTransport(ICoapTransport inner, DtlsCoapTransportOptions options)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if ((options.Identity == null) != (options.Psk == null))
        {
            throw new ArgumentException("A DTLS client needs both a PSK identity and a PSK.", nameof(options));
        }

        if (options.Identity == null && options.PskStore == null)
        {
            throw new ArgumentException("Give a PSK store (server), an identity and a PSK (client), or both.", nameof(options));
        }

        if (options.MaxQueuedPerPeer < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxQueuedPerPeer must be at least 1.");
        }

        DtlsSettings settings = options.Settings ?? DtlsCoapTransportOptions.ForHost();
        settings.Validate();
        if (options.Identity != null && (options.Identity.Length < 1 || options.Identity.Length > settings.MaxIdentityLength))
        {
            throw new ArgumentException("The PSK identity must have 1 to " + settings.MaxIdentityLength + " bytes.", nameof(options));
        }

        if (options.Psk != null && (options.Psk.Length < 1 || options.Psk.Length > settings.MaxPskLength))
        {
            throw new ArgumentException("The PSK must have 1 to " + settings.MaxPskLength + " bytes.", nameof(options));
        }

        _identity = options.Identity?.ToArray();
        _psk = options.Psk?.ToArray();
        IRandomSource random = options.Random ?? PlatformRandomSource.Instance;
        _engine = new DtlsEngine(settings, new ManagedCryptoProvider(random), options.PskStore, this);

        // One entry more than the engine has sessions: a datagram from a new address always finds an entry without one.
        _peers = new DtlsPeerTable(settings.MaxSessions + 1, options.MaxQueuedPerPeer);
        _out = new byte[settings.DatagramSize];
    }

    /// <inheritdoc/>
    public IPEndPoint LocalEndPoint => _inner.LocalEndPoint;

    /// <inheritdoc/>
    public long NowMs => _inner.NowMs;

    /// <summary>The engine's counters (records dropped, authentication failures, cookies sent...), read under the lock.</summary>
    /// <typeparam name="T">The value read.</typeparam>
    /// <param name="read">Reads the engine.</param>
    /// <returns>The value.</returns>
    public T Inspect<T>(Func<DtlsEngine, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        lock (_lock)
        {
            return read(_engine);
        }
    }

    /// <summary>Whether a session with <paramref name="peer"/> is established.</summary>
    /// <param name="peer">The address.</param>
    /// <returns>True once its handshake finished, until it closes.</returns>
    public bool IsEstablished(IPEndPoint peer)
    {
        lock (_lock)
        {
            int p = _peers.Find(peer);
            return p >= 0 && _engine.IsEstablished(p);
        }
    }

    /// <inheritdoc/>
    public void Start(ICoapTransportSink sink)
    {
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _inner.Start(new InnerSink(this));
    }

    /// <inheritdoc/>
    public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            long now = _inner.NowMs;
            int p = _peers.Acquire(destination, now, _engine);
            if (_engine.IsEstablished(p))
            {
                // RFC 7252 §9.1: one CoAP message per record; a message larger than a record is dropped like an oversized datagram.
                datagram.CopyTo(_in);
                _engine.Send(p, new ByteRange(_in, 0, Math.Min(datagram.Length, _in.Length)), now);
            }
            else if (_identity != null)
            {
                _peers.Enqueue(p, datagram);
                if (!_peers.IsConnecting(p))
                {
                    _peers.SetConnecting(p, true);
                    if (!_engine.Connect(p, ByteRange.Of(_identity), ByteRange.Of(_psk), now))
                    {
                        Fail(p, "no DTLS handshake slot is free (" + _engine.Settings.MaxHandshakes + " in progress)");
                    }
                    else
                    {
                        _peers.Claim(p);
                    }
                }
            }

            // A server without a session for the destination has no keys to send with: the datagram is dropped.
            FlushLocked(now);
        }
    }

    /// <inheritdoc/>
    public void ScheduleWake(long atMs)
    {
        lock (_lock)
        {
            _sinkWakeAt = atMs;
            if (!_disposed)
            {
                RescheduleLocked(_inner.NowMs);
            }
        }
    }

    /// <summary>Sends close_notify to every peer (RFC 5246 §7.2.1), erases the keys and closes the inner transport.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            long now = _inner.NowMs;
            for (int p = 0; p < _peers.Capacity; p++)
            {
                _peers.SetConnecting(p, false);
                if (_engine.IsEstablished(p))
                {
                    _engine.Close(p, now);
                }
            }

            _failed.Clear();
            FlushLocked(now);
            _disposed = true;
            _engine.Dispose();
            if (_psk != null)
            {
                Array.Clear(_psk);
            }

            Array.Clear(_in);
            Array.Clear(_out);
        }

        _inner.Dispose();
    }

    void IDtlsListener.OnConnected(int peer)
    {
        _peers.Claim(peer);
        _peers.SetConnecting(peer, false);
        long now = _inner.NowMs;
        while (_peers.TryDequeue(peer, out byte[]? datagram))
        {
            _engine.Send(peer, ByteRange.Of(datagram), now);
        }
    }

    void IDtlsListener.OnApplicationData(int peer, ByteRange data)
    {
        IPEndPoint? source = _peers.Address(peer);
        if (source != null)
        {
            var copy = new byte[data.Count];
            Array.Copy(data.Buffer, data.Offset, copy, 0, data.Count);
            _received.Add((source, copy));
        }
    }

    void IDtlsListener.OnClosed(int peer, int alert)
    {
        bool waiting = _peers.IsConnecting(peer);
        bool heard = _peers.Heard(peer);
        _peers.Release(peer);
        if (waiting && !_disposed)
        {
            // RFC 6347 §4.1.2.7: a Finished under another key fails authentication and is dropped silently, so a wrong
            // PSK shows as a server that answered the first flights and then went quiet.
            Fail(peer, alert == DtlsAlert.Timeout && heard
                ? "the server answered but did not complete the handshake within " + DtlsAlertText.Seconds(_engine.Settings.HandshakeTimeoutMs) + " s: most likely a wrong PSK"
                : DtlsAlertText.Describe(alert, _engine.Settings.HandshakeTimeoutMs));
        }
    }

    private void Fail(int peer, string why)
    {
        _peers.SetConnecting(peer, false);
        _peers.ClearQueue(peer);
        IPEndPoint? destination = _peers.Address(peer);
        if (destination != null)
        {
            _failed.Add((destination, "DTLS handshake with " + destination + " failed: " + why));
        }
    }

    private void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram)
    {
        (IPEndPoint, byte[])[] received;
        (IPEndPoint, string)[] failed;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            long now = _inner.NowMs;
            int p = _peers.Acquire(source, now, _engine);
            if (_peers.IsConnecting(p))
            {
                _peers.MarkHeard(p);
            }

            int n = Math.Min(datagram.Length, _in.Length);
            datagram[..n].CopyTo(_in);
            _engine.Receive(new ByteRange(_in, 0, n), p, ByteRange.Of(_peers.AddressBytes(p)), now);
            FlushLocked(now);
            received = TakeReceived();
            failed = TakeFailed();
        }

        Deliver(received, failed);
    }

    private void OnTimer()
    {
        (IPEndPoint, byte[])[] received;
        (IPEndPoint, string)[] failed;
        bool wake;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            long now = _inner.NowMs;
            if (now >= _engine.NextDeadline)
            {
                _engine.Poll(now);
            }

            wake = now >= _sinkWakeAt;
            if (wake)
            {
                _sinkWakeAt = long.MaxValue;
            }

            received = TakeReceived();
            failed = TakeFailed();
            FlushLocked(now);
        }

        Deliver(received, failed);
        if (wake)
        {
            _sink?.OnTimer();
        }
    }

    private void OnUnreachable(IPEndPoint destination, string reason)
    {
        (IPEndPoint, byte[])[] received;
        lock (_lock)
        {
            int p = _peers.Find(destination);
            if (p >= 0 && _peers.IsConnecting(p))
            {
                // The network says nobody listens: end the handshake now rather than at its timeout.
                _peers.SetConnecting(p, false);
                _peers.ClearQueue(p);
                _engine.Close(p, _inner.NowMs);
                FlushLocked(_inner.NowMs);
            }

            received = TakeReceived();
        }

        Deliver(received, []);
        _sink?.OnUnreachable(destination, reason);
    }

    private void Deliver((IPEndPoint Source, byte[] Data)[] received, (IPEndPoint Destination, string Reason)[] failed)
    {
        ICoapTransportSink? sink = _sink;
        if (sink == null)
        {
            return;
        }

        foreach ((IPEndPoint source, byte[] data) in received)
        {
            sink.OnDatagram(source, data);
        }

        foreach ((IPEndPoint destination, string reason) in failed)
        {
            sink.OnUnreachable(destination, reason);
        }
    }

    private (IPEndPoint, byte[])[] TakeReceived()
    {
        if (_received.Count == 0)
        {
            return [];
        }

        var all = _received.ToArray();
        _received.Clear();
        return all;
    }

    private (IPEndPoint, string)[] TakeFailed()
    {
        if (_failed.Count == 0)
        {
            return [];
        }

        var all = _failed.ToArray();
        _failed.Clear();
        return all;
    }

    /// <summary>Sends what the engine queued and asks the inner transport for the next wake-up.</summary>
    private void FlushLocked(long now)
    {
        while (_engine.TryTakeOutgoing(_out, 0, out int length, out int peer))
        {
            IPEndPoint? to = _peers.Address(peer);
            if (to == null)
            {
                continue;
            }

            // RFC 6347 §4.2.1: the server answers a verified ClientHello with its ServerHello; from then on the
            // engine holds a session for this peer, so its table entry must not be handed to another address.
            if (IsServerHello(_out, length))
            {
                _peers.Claim(peer);
            }

            _inner.Send(to, _out.AsSpan(0, length));
        }

        RescheduleLocked(now);
    }

    private void RescheduleLocked(long now)
    {
        long at = Math.Min(_sinkWakeAt, _engine.NextDeadline);
        if (_failed.Count > 0 || _received.Count > 0)
        {
            at = now;
        }

        _inner.ScheduleWake(at);
    }

    // The first record: handshake (22), epoch 0, and its first message a server_hello (2) (RFC 6347 §4.1, §4.2.2).
    private static bool IsServerHello(byte[] d, int length) =>
        length > RecordHeader && d[0] == DtlsContentType.Handshake && d[3] == 0 && d[4] == 0 && d[RecordHeader] == DtlsHandshakeType.ServerHello;

    private sealed class InnerSink(DtlsCoapTransport owner) : ICoapTransportSink
    {
        public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram) => owner.OnDatagram(source, datagram);

        public void OnTimer() => owner.OnTimer();

        public void OnUnreachable(IPEndPoint destination, string reason) => owner.OnUnreachable(destination, reason);
    }
}
