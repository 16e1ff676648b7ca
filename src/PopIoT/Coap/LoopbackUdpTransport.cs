using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace PopIoT.Coap;

/// <summary>
/// A server's transport on both loopback addresses, 127.0.0.1 and ::1, with one port number: a local server is then
/// reached at <c>coap://127.0.0.1/</c>, <c>coap://[::1]/</c> and <c>coap://localhost/</c> alike, and at no other
/// interface. Two sockets (a dual-stack socket cannot be bound to both loopbacks) feed one sink; a datagram leaves by
/// the socket of its destination's family, so a reply comes from the address the request was sent to. On a host
/// without IPv6 only the IPv4 socket is opened.
/// </summary>
public sealed class LoopbackUdpTransport : ICoapTransport
{
    private readonly UdpCoapTransport _v4;
    private readonly UdpCoapTransport? _v6;

    /// <summary>Binds 127.0.0.1 and ::1 to the same port.</summary>
    /// <param name="port">The port, or 0 for one that is free on both.</param>
    /// <param name="logger">Where to log, or null.</param>
    /// <exception cref="SocketException">A port in use on either address (or none free after a few tries for 0).</exception>
    public LoopbackUdpTransport(int port, ILogger? logger = null)
    {
        for (int attempt = 0; ; attempt++)
        {
            var v4 = new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, port), logger);
            try
            {
                _v6 = new UdpCoapTransport(new IPEndPoint(IPAddress.IPv6Loopback, v4.LocalEndPoint.Port), logger);
                _v4 = v4;
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable)
            {
                // No IPv6 here: IPv4 alone.
                _v4 = v4;
                return;
            }
            catch (SocketException e) when (port == 0 && attempt < 8 && e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                // The free IPv4 port is taken on ::1: try another.
                v4.Dispose();
            }
            catch
            {
                v4.Dispose();
                throw;
            }
        }
    }

    /// <summary>The IPv4 address and port.</summary>
    public IPEndPoint LocalEndPoint => _v4.LocalEndPoint;

    /// <summary>The IPv6 address and port, or null on a host without IPv6.</summary>
    public IPEndPoint? IPv6EndPoint => _v6?.LocalEndPoint;

    /// <inheritdoc/>
    public long NowMs => _v4.NowMs;

    /// <inheritdoc/>
    public void Start(ICoapTransportSink sink)
    {
        _v4.Start(sink);
        _v6?.Start(sink);
    }

    /// <inheritdoc/>
    public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
    {
        ArgumentNullException.ThrowIfNull(destination);
        (destination.AddressFamily == AddressFamily.InterNetworkV6 && _v6 != null ? _v6 : _v4).Send(destination, datagram);
    }

    /// <inheritdoc/>
    /// <remarks>One timer is enough: the IPv4 socket's loop wakes the sink for both.</remarks>
    public void ScheduleWake(long atMs) => _v4.ScheduleWake(atMs);

    /// <inheritdoc/>
    public void Dispose()
    {
        _v6?.Dispose();
        _v4.Dispose();
    }
}
