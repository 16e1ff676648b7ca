using System.Net;
using System.Net.Sockets;

using Org.BouncyCastle.Tls;

namespace PopIoT.Dtls;

/// <summary>
/// BouncyCastle's blocking datagram interface over a UDP socket connected to one peer: the socket hears only that peer,
/// and an ICMP port unreachable for it ends a receive with an <see cref="IOException"/> that names it (Linux udp(7)), so a
/// handshake with a port nobody serves fails at once instead of timing out.
/// </summary>
internal sealed class UdpDatagramTransport : DatagramTransport
{
    // RFC 7252 §4.6: CoAP messages fit one IP packet; a DTLS record of one is well below this.
    private const int Limit = 1500 - 28;

    private readonly Socket _socket;
    private volatile bool _closed;

    /// <summary>Binds an ephemeral port of <paramref name="peer"/>'s family and connects to <paramref name="peer"/>.</summary>
    /// <param name="peer">The DTLS server.</param>
    public UdpDatagramTransport(IPEndPoint peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        _socket = new Socket(peer.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            IPAddress any = peer.AddressFamily == AddressFamily.InterNetworkV6
                ? (IPAddress.IsLoopback(peer.Address) ? IPAddress.IPv6Loopback : IPAddress.IPv6Any)
                : (IPAddress.IsLoopback(peer.Address) ? IPAddress.Loopback : IPAddress.Any);
            _socket.Bind(new IPEndPoint(any, 0));
            _socket.Connect(peer);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        Peer = peer;
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>The connected peer.</summary>
    public IPEndPoint Peer { get; }

    /// <summary>The local address and port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <inheritdoc/>
    public int GetReceiveLimit() => Limit;

    /// <inheritdoc/>
    public int GetSendLimit() => Limit;

    /// <inheritdoc/>
    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    /// <inheritdoc/>
    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (_closed)
        {
            // A handshake in progress ends at once rather than at its timeout.
            throw new IOException("the datagram transport to " + Peer + " is closed");
        }

        try
        {
            // As a socket timeout, 0 means no limit; it is waited for in slices so that Close ends the wait.
            long deadline = waitMillis > 0 ? Environment.TickCount64 + waitMillis : long.MaxValue;
            while (!_closed)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return -1;
                }

                if (_socket.Poll((int)Math.Min(left, 250) * 1000, SelectMode.SelectRead))
                {
                    return _socket.Receive(buffer, SocketFlags.None);
                }
            }

            throw new IOException("the datagram transport to " + Peer + " is closed");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.HostUnreachable or SocketError.NetworkUnreachable)
        {
            throw new IOException(Peer + " cannot be reached (" + e.SocketErrorCode + ", ICMP unreachable)", e);
        }
        catch (ObjectDisposedException e)
        {
            throw new IOException("the datagram transport to " + Peer + " is closed", e);
        }
    }

    /// <inheritdoc/>
    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    /// <inheritdoc/>
    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (_closed)
        {
            return;
        }

        try
        {
            _socket.Send(buffer, SocketFlags.None);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.HostUnreachable or SocketError.NetworkUnreachable)
        {
            throw new IOException(Peer + " cannot be reached (" + e.SocketErrorCode + ", ICMP unreachable)", e);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc/>
    public void Close()
    {
        _closed = true;
        _socket.Dispose();
    }
}
