using System.Net;
using PopIoT.Coap;
using PopIoT.Core.Device;

namespace PopIoT.Device;

/// <summary>
/// The simulator's <see cref="IDatagramSocket"/> over an <see cref="ICoapTransport"/>: UDP (<see cref="UdpCoapTransport"/>)
/// or the lossy in-memory network (<see cref="LossyNetwork"/>). The transport pushes datagrams and wake-ups; they are
/// queued here and the host runs the device's loop (<see cref="DeviceRuntime.RunOnce"/>) for each, so
/// <see cref="Receive"/> never blocks: on a virtual clock no real time may pass for a virtual deadline.
/// </summary>
internal sealed class TransportDatagramSocket : IDatagramSocket, ICoapTransportSink
{
    private readonly Queue<(IPEndPoint From, byte[] Datagram)> _pending = new();
    private readonly Action _pump;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IPEndPoint, bool> _secureSenders = new();
    private ICoapTransport? _transport;
    private ICoapTransport? _secure;

    /// <summary>Creates the socket; <paramref name="pump"/> runs the device's loop when a datagram or a wake-up arrives.</summary>
    public TransportDatagramSocket(Action pump) => _pump = pump;

    public ICoapTransport? Transport => _transport;

    /// <summary>Whether a datagram waits to be received.</summary>
    public bool HasPending
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count > 0;
            }
        }
    }

    /// <summary>Attaches the transport and starts it (datagrams flow from now on).</summary>
    /// <summary>The coaps transport (the CoAP port + 1, like libcoap), or null when the device serves no DTLS.</summary>
    public ICoapTransport? SecureTransport => _secure;

    public void Start(ICoapTransport transport)
    {
        _transport = transport;
        transport.Start(this);
    }

    /// <summary>
    /// Also receives on a coaps transport (docs/firmware.md, "CoAP over DTLS"): its datagrams join the same queue (the
    /// runtime tells DTLS from CoAP by the first byte, RFC 7983 §7), and what the runtime sends to a client that spoke
    /// to it there goes back out of it, so the client sees the port it sent to.
    /// </summary>
    /// <param name="transport">The transport bound to the coaps port.</param>
    public void StartSecure(ICoapTransport transport)
    {
        _secure = transport;
        transport.Start(new SecureSink(this));
    }

    public int Receive(byte[] buffer, int offset, int count, int timeoutMs, DatagramAddress from)
    {
        (IPEndPoint From, byte[] Datagram) next;
        lock (_pending)
        {
            if (!_pending.TryDequeue(out next))
            {
                return -1;
            }
        }

        byte[] address = next.From.Address.GetAddressBytes();
        from.Set(address, 0, address.Length, next.From.Port);
        if (next.Datagram.Length > count)
        {
            // RFC 7252 §4.6: a datagram larger than the device's buffer is dropped, as a board's socket would truncate it.
            return -1;
        }

        next.Datagram.CopyTo(buffer, offset);
        return next.Datagram.Length;
    }

    public bool Send(DatagramAddress to, byte[] buffer, int offset, int count)
    {
        IPEndPoint destination = ToEndPoint(to);
        ICoapTransport? t = _secure != null && _secureSenders.ContainsKey(destination) ? _secure : _transport;
        if (t == null)
        {
            return false;
        }

        t.Send(destination, buffer.AsSpan(offset, count));
        return true;
    }

    /// <summary>The raw-public-key server that sees each datagram first (RFC 9202 §3.2), or null.</summary>
    public RawPublicKeyDtlsServer? RawPublicKeys { get; set; }

    public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram)
    {
        if (_transport != null && RawPublicKeys?.TryTake(source, datagram, _transport) == true)
        {
            return;
        }

        Enqueue(source, datagram);
    }

    private void Enqueue(IPEndPoint source, ReadOnlySpan<byte> datagram)
    {
        lock (_pending)
        {
            _pending.Enqueue((source, datagram.ToArray()));
        }

        _pump();
    }

    public void OnTimer() => _pump();

    private void OnSecureDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram)
    {
        // Bounded like every table of the simulator: a flood of senders forgets the oldest view, not the device's memory.
        if (_secureSenders.Count >= 4096)
        {
            _secureSenders.Clear();
        }

        _secureSenders[source] = true;
        if (_secure != null && RawPublicKeys?.TryTake(source, datagram, _secure) == true)
        {
            return;
        }

        Enqueue(source, datagram);
    }

    // The coaps transport's sink: the same queue, remembering who spoke there.
    private sealed class SecureSink(TransportDatagramSocket socket) : ICoapTransportSink
    {
        public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram) => socket.OnSecureDatagram(source, datagram);

        public void OnTimer() => socket._pump();
    }

    /// <summary>The endpoint of a device-side address.</summary>
    public static IPEndPoint ToEndPoint(DatagramAddress a) => new(new IPAddress(a.Address.AsSpan(0, a.AddressLength)), a.Port);
}
