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
    private ICoapTransport? _transport;

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
    public void Start(ICoapTransport transport)
    {
        _transport = transport;
        transport.Start(this);
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
        ICoapTransport? t = _transport;
        if (t == null)
        {
            return false;
        }

        t.Send(ToEndPoint(to), buffer.AsSpan(offset, count));
        return true;
    }

    public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram)
    {
        lock (_pending)
        {
            _pending.Enqueue((source, datagram.ToArray()));
        }

        _pump();
    }

    public void OnTimer() => _pump();

    /// <summary>The endpoint of a device-side address.</summary>
    public static IPEndPoint ToEndPoint(DatagramAddress a) => new(new IPAddress(a.Address.AsSpan(0, a.AddressLength)), a.Port);
}
