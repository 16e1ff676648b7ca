using System;
using System.Net;
using System.Net.Sockets;

using PopIoT.Core.Device;

namespace PopIoT.Firmware;

/// <summary>
/// <see cref="IDatagramSocket"/> over nanoFramework's UDP socket (System.Net, nanoFramework.System.Net). The wait is
/// <c>Socket.Poll</c> in microseconds, then <c>ReceiveFrom</c>; a datagram longer than the room makes nanoFramework
/// throw after filling the buffer, which is a drop (RFC 7252 §4.6). The interpreter creates a new endpoint object per
/// received datagram and the address bytes are a new array: that is nanoFramework's API, the one allocation per
/// datagram on this path. Sending reuses the endpoint of the last destination.
/// </summary>
internal sealed class NanoUdpSocket : IDatagramSocket, IDisposable
{
    // Socket.Poll takes microseconds in an int: at most about 35 minutes.
    private const int MaxWaitMs = 2000000;

    private readonly Socket _socket;
    private readonly DatagramAddress _lastToAddress = new DatagramAddress();
    private EndPoint _remote = new IPEndPoint(IPAddress.Any, 0);
    private IPEndPoint _lastTo;

    /// <summary>Opens a UDP socket bound to a local port on every IPv4 address.</summary>
    /// <param name="port">The port (0: any).</param>
    public NanoUdpSocket(int port)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Any, port));
    }

    /// <inheritdoc/>
    public int Receive(byte[] buffer, int offset, int count, int timeoutMs, DatagramAddress from)
    {
        try
        {
            int wait = timeoutMs < 0 ? 0 : (timeoutMs > MaxWaitMs ? MaxWaitMs : timeoutMs);
            if (!_socket.Poll(wait * 1000, SelectMode.SelectRead))
            {
                return -1;
            }

            int n = _socket.ReceiveFrom(buffer, offset, count, SocketFlags.None, ref _remote);
            var ip = (IPEndPoint)_remote;
            byte[] address = ip.Address.GetAddressBytes();
            from.Set(address, 0, address.Length, ip.Port);
            return n;
        }
        catch (Exception)
        {
            // Too long for the buffer, or a socket error: nothing usable arrived.
            return -1;
        }
    }

    /// <inheritdoc/>
    public bool Send(DatagramAddress to, byte[] buffer, int offset, int count)
    {
        try
        {
            if (_lastTo == null || !_lastToAddress.SameAs(to))
            {
                byte[] address = new byte[to.AddressLength];
                Array.Copy(to.Address, 0, address, 0, to.AddressLength);
                _lastTo = new IPEndPoint(new IPAddress(address), to.Port);
                _lastToAddress.CopyFrom(to);
            }

            return _socket.SendTo(buffer, offset, count, SocketFlags.None, _lastTo) == count;
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose()
    {
        _socket.Close();
    }
}
