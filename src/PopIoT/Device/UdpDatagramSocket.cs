using System.Net;
using System.Net.Sockets;
using PopIoT.Core.Device;

namespace PopIoT.Device;

/// <summary>
/// A blocking UDP <see cref="IDatagramSocket"/> on the desktop, the same shape as a board's (nanoFramework's
/// <c>UdpClient</c>): <see cref="DeviceRuntime.Run"/> waits in <see cref="Receive"/> until a datagram arrives or its
/// next timer is due. For a desktop host that runs the device's loop on a thread of its own, as a board's Main does;
/// the simulator uses <see cref="TransportDatagramSocket"/> so that its virtual clock never waits in real time.
/// </summary>
public sealed class UdpDatagramSocket : IDatagramSocket, IDisposable
{
    private readonly Socket _socket;
    private EndPoint _any;

    /// <summary>Binds a socket.</summary>
    /// <param name="bind">The address and port (0 for a free one).</param>
    public UdpDatagramSocket(IPEndPoint bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(bind);
        _any = new IPEndPoint(bind.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
    }

    /// <summary>The address bound.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <inheritdoc/>
    public int Receive(byte[] buffer, int offset, int count, int timeoutMs, DatagramAddress from)
    {
        ArgumentNullException.ThrowIfNull(from);
        try
        {
            // Poll counts microseconds in an int: a wait beyond about 35 minutes is cut, which only adds a turn.
            int microseconds = timeoutMs <= 0 ? 0 : (timeoutMs >= int.MaxValue / 1000 ? int.MaxValue : timeoutMs * 1000);
            if (!_socket.Poll(microseconds, SelectMode.SelectRead))
            {
                return -1;
            }

            int n = _socket.ReceiveFrom(buffer, offset, count, SocketFlags.None, ref _any);
            var source = (IPEndPoint)_any;
            byte[] address = source.Address.GetAddressBytes();
            from.Set(address, 0, address.Length, source.Port);
            return n;
        }
        catch (SocketException)
        {
            // RFC 7252 §4.6: a datagram longer than the buffer (MessageSize), or an ICMP error reported on this socket.
            return -1;
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
    }

    /// <inheritdoc/>
    public bool Send(DatagramAddress to, byte[] buffer, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(to);
        try
        {
            _socket.SendTo(buffer, offset, count, SocketFlags.None, TransportDatagramSocket.ToEndPoint(to));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _socket.Dispose();
}
