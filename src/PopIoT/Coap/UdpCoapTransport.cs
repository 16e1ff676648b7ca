using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PopIoT.Coap;

/// <summary>
/// A UDP socket (IPv4, IPv6, or dual-stack when bound to <see cref="IPAddress.IPv6Any"/>) with an async receive loop and
/// a timer loop. A socket connected to one peer (as libcoap's client sessions are) hears only that peer, and the ICMP
/// errors about it (port or host unreachable) reach the sink as <see cref="ICoapTransportSink.OnUnreachable"/>; on an
/// unconnected socket the kernel does not report them (Linux udp(7)), and receive errors are logged and the loop goes on.
/// </summary>
public sealed class UdpCoapTransport : ICoapTransport
{
    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wakeChanged = new(0, 1);
    private readonly Dictionary<SocketAddress, IPEndPoint> _sources = [];
    private readonly Dictionary<IPEndPoint, SocketAddress> _destinations = [];
    private readonly IPEndPoint? _peer;
    private long _wakeAt = long.MaxValue;
    private ICoapTransportSink? _sink;
    private TaskCompletionSource? _receiverDone;
    private Task? _receiveLoop;
    private Task? _timerLoop;

    /// <summary>Binds a socket.</summary>
    /// <param name="bind">The local address and port (0 for an ephemeral port).</param>
    /// <param name="logger">Where to log, or null.</param>
    public UdpCoapTransport(IPEndPoint bind, ILogger? logger = null)
        : this(bind, null, logger)
    {
    }

    /// <summary>Binds a socket and connects it to one peer, whose unreachability the sink is then told of.</summary>
    /// <param name="bind">The local address and port (0 for an ephemeral port).</param>
    /// <param name="peer">The only peer this socket talks to, or null for any.</param>
    /// <param name="logger">Where to log, or null.</param>
    public UdpCoapTransport(IPEndPoint bind, IPEndPoint? peer, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(bind);
        _logger = logger ?? NullLogger.Instance;
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (bind.Address.Equals(IPAddress.IPv6Any))
            {
                _socket.DualMode = true;
            }

            _socket.ReceiveBufferSize = 1 << 20;
            _socket.SendBufferSize = 1 << 20;
            _socket.Bind(bind);
            if (peer != null)
            {
                _socket.Connect(Map(peer));
                _peer = peer;
            }
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <inheritdoc/>
    public IPEndPoint LocalEndPoint { get; }

    /// <inheritdoc/>
    public long NowMs => Stopwatch.GetTimestamp() * 1000 / Stopwatch.Frequency;

    /// <inheritdoc/>
    public void Start(ICoapTransportSink sink)
    {
        if (_sink != null)
        {
            throw new InvalidOperationException("Already started.");
        }

        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        // A dedicated thread blocked in ReceiveFrom answers a datagram without a thread-pool hop (lower latency than
        // an async receive, whose continuation is queued); the public API above stays async.
        var receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "CoAP UDP " + LocalEndPoint };
        var done = new TaskCompletionSource();
        _receiveLoop = done.Task;
        _receiverDone = done;
        receiver.Start();
        _timerLoop = Task.Run(TimerLoopAsync);
    }

    /// <inheritdoc/>
    public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
    {
        try
        {
            // Serialized addresses are cached: sending allocates nothing per datagram.
            SocketAddress? address;
            lock (_destinations)
            {
                if (!_destinations.TryGetValue(destination, out address))
                {
                    address = Map(destination).Serialize();
                    if (_destinations.Count < 4096)
                    {
                        _destinations.Add(destination, address);
                    }
                }
            }

            if (_peer != null && destination.Equals(_peer))
            {
                _socket.Send(datagram, SocketFlags.None);
            }
            else
            {
                _socket.SendTo(datagram, SocketFlags.None, address);
            }
        }
        catch (SocketException e) when (_peer != null && Unreachable(e) is string reason)
        {
            // The error of an earlier datagram, reported on this send; the sink hears of it off this thread (the
            // transport never calls its sink back synchronously).
            ThreadPool.QueueUserWorkItem(_ => _sink?.OnUnreachable(_peer, reason));
        }
        catch (SocketException e)
        {
            // UDP is unreliable anyway: CON retransmission recovers, NON is best effort (RFC 7252 §2.1).
            _logger.LogDebug("UDP send to {Destination} failed: {Error}", destination, e.SocketErrorCode);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc/>
    public void ScheduleWake(long atMs)
    {
        long old = Interlocked.Exchange(ref _wakeAt, atMs);
        if (atMs < old)
        {
            try
            {
                if (_wakeChanged.CurrentCount == 0)
                {
                    _wakeChanged.Release();
                }
            }
            catch (SemaphoreFullException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _stop.Cancel();
        _socket.Dispose();
        try
        {
            Task.WaitAll([_receiveLoop ?? Task.CompletedTask, _timerLoop ?? Task.CompletedTask], TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
        _wakeChanged.Dispose();
    }

    private void ReceiveLoop()
    {
        try
        {
            ReceiveUntilClosed();
        }
        finally
        {
            _receiverDone!.TrySetResult();
        }
    }

    private void ReceiveUntilClosed()
    {
        byte[] buffer = new byte[65536];
        var from = new SocketAddress(_socket.AddressFamily);
        while (!_stop.IsCancellationRequested)
        {
            int received;
            try
            {
                received = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e) when (_peer != null && Unreachable(e) is string reason)
            {
                _logger.LogDebug("UDP peer {Peer} unreachable: {Error}", _peer, e.SocketErrorCode);
                try
                {
                    _sink!.OnUnreachable(_peer, reason);
                }
                catch (Exception failure)
                {
                    _logger.LogError(failure, "CoAP endpoint failed on an unreachable peer");
                }

                continue;
            }
            catch (SocketException e)
            {
                _logger.LogDebug("UDP receive error {Error}; continuing", e.SocketErrorCode);
                continue;
            }

            IPEndPoint source = Source(from);
            try
            {
                _sink!.OnDatagram(source, buffer.AsSpan(0, received));
            }
            catch (Exception e)
            {
                // DESIGN.md §2: nothing a datagram does may stop the loop.
                _logger.LogError(e, "CoAP endpoint failed on a datagram from {Source}", source);
            }
        }
    }

    // The peer's IPEndPoint, made once per address (IPv4-mapped IPv6 addresses of a dual-stack socket shown as IPv4).
    private IPEndPoint Source(SocketAddress from)
    {
        if (_sources.TryGetValue(from, out IPEndPoint? known))
        {
            return known;
        }

        var source = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(from);
        if (source.Address.IsIPv4MappedToIPv6)
        {
            source = new IPEndPoint(source.Address.MapToIPv4(), source.Port);
        }

        if (_sources.Count < 4096)
        {
            var copy = new SocketAddress(from.Family, from.Size);
            from.Buffer.CopyTo(copy.Buffer);
            _sources.Add(copy, source);
        }

        return source;
    }

    // The ICMP errors a connected UDP socket reports (RFC 1122 §4.1.3.3; Linux udp(7): ECONNREFUSED, EHOSTUNREACH...).
    private static string? Unreachable(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused or SocketError.ConnectionReset => "connection refused (ICMP port unreachable)",
        SocketError.HostUnreachable => "host unreachable (ICMP)",
        SocketError.NetworkUnreachable => "network unreachable (ICMP)",
        _ => null,
    };

    private IPEndPoint Map(IPEndPoint destination) =>
        _socket.AddressFamily == AddressFamily.InterNetworkV6 && destination.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(destination.Address.MapToIPv6(), destination.Port)
            : destination;

    private async Task TimerLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            long at = Interlocked.Read(ref _wakeAt);
            long wait = at == long.MaxValue ? -1 : at - NowMs;
            if (wait <= 0 && at != long.MaxValue)
            {
                Interlocked.CompareExchange(ref _wakeAt, long.MaxValue, at);
                try
                {
                    _sink!.OnTimer();
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "CoAP endpoint failed on a timer");
                }

                continue;
            }

            try
            {
                await _wakeChanged.WaitAsync(wait < 0 ? Timeout.Infinite : (int)Math.Min(wait, int.MaxValue), _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }
}
