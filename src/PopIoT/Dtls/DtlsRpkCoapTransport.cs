using System.Diagnostics;
using System.Net;
using System.Threading.Channels;

using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

using PopIoT.Coap;

namespace PopIoT.Dtls;

/// <summary>
/// CoAP over one DTLS 1.2 session in RPK mode (RFC 7252 §9, RFC 9202 §3.2, RFC 7250), through BouncyCastle's
/// <see cref="DtlsClientProtocol"/>: an <see cref="ICoapTransport"/>, so <see cref="CoapClient"/>'s retransmission,
/// block-wise transfer and Observe run over it unchanged. BouncyCastle's DTLS API blocks: the handshake and the receive
/// loop run on a dedicated thread of this session, and received datagrams reach the CoAP endpoint through a bounded
/// queue (<see cref="DtlsRpkClientOptions.ReceiveQueueCapacity"/>). The session talks to one server; the destination
/// of <see cref="Send"/> is that server. When the server ends the session (close_notify or an alert) the waiting CoAP
/// exchanges end with the reason (<see cref="ICoapTransportSink.OnUnreachable"/>). Dispose sends close_notify.
/// </summary>
public sealed class DtlsRpkCoapTransport : ICoapTransport
{
    private readonly UdpDatagramTransport _udp;
    private readonly DtlsTransport _dtls;
    private readonly DtlsRpkTlsClient _client;
    private readonly DtlsRpkClientOptions _options;
    private readonly Channel<byte[]> _received;
    private readonly ITimer _timer;
    private ICoapTransportSink? _sink;
    private Thread? _receiver;
    private Task? _delivery;
    private int _ended;
    private int _disposed;

    private DtlsRpkCoapTransport(UdpDatagramTransport udp, DtlsTransport dtls, DtlsRpkTlsClient client, DtlsRpkClientOptions options)
    {
        _udp = udp;
        _dtls = dtls;
        _client = client;
        _options = options;
        _received = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Math.Max(1, options.ReceiveQueueCapacity))
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
            SingleWriter = true,
        });
        _timer = TimeProvider.System.CreateTimer(_ => _sink?.OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The server this session is with.</summary>
    public IPEndPoint Server => _udp.Peer;

    /// <inheritdoc/>
    public IPEndPoint LocalEndPoint => _udp.LocalEndPoint;

    /// <inheritdoc/>
    public long NowMs => Stopwatch.GetTimestamp() * 1000 / Stopwatch.Frequency;

    /// <summary>Whether the session has ended (closed by either side, or failed).</summary>
    public bool IsClosed => Volatile.Read(ref _ended) != 0 || _client.Closed;

    /// <summary>Runs the handshake with <paramref name="server"/> on a thread of its own.</summary>
    /// <param name="server">The RS's DTLS address (coaps://host:port).</param>
    /// <param name="options">The keys and limits.</param>
    /// <param name="cancellationToken">Abandons the handshake.</param>
    /// <returns>The established session.</returns>
    /// <exception cref="DtlsRpkHandshakeException">The handshake failed; <see cref="DtlsRpkHandshakeException.ServerKeyRefused"/>
    /// tells when this side refused the server's key.</exception>
    public static Task<DtlsRpkCoapTransport> ConnectAsync(IPEndPoint server, DtlsRpkClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(options);
        var udp = new UdpDatagramTransport(server);
        var client = new DtlsRpkTlsClient(new BcTlsCrypto(), options, options.PublicKey);
        var done = new TaskCompletionSource<DtlsRpkCoapTransport>(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationTokenRegistration cancel = cancellationToken.Register(() => udp.Close());
        options.Trace?.Invoke("DTLS 1.2 handshake with coaps://" + server + " (RPK, client key " + DtlsRawPublicKey.Thumbprint(options.PublicKey) + ")");
        var thread = new Thread(() =>
        {
            try
            {
                DtlsTransport dtls = new DtlsClientProtocol().Connect(client, udp);
                done.TrySetResult(new DtlsRpkCoapTransport(udp, dtls, client, options));
            }
            catch (Exception e)
            {
                // Anything BouncyCastle throws (alerts, timeouts, the socket, a malformed peer) ends this handshake,
                // never the process: this thread has no caller to catch it.
                udp.Close();
                done.TrySetException(cancellationToken.IsCancellationRequested
                    ? new OperationCanceledException(cancellationToken)
                    : new DtlsRpkHandshakeException(server, Describe(client, e), client.ServerKeyRefused, e));
            }
            finally
            {
                cancel.Dispose();
            }
        })
        { IsBackground = true, Name = "DTLS RPK handshake " + server };
        thread.Start();
        return done.Task;
    }

    /// <inheritdoc/>
    public void Start(ICoapTransportSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (Interlocked.CompareExchange(ref _sink, sink, null) != null)
        {
            throw new InvalidOperationException("Already started.");
        }

        _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "DTLS RPK session " + Server };
        _receiver.Start();
        _delivery = Task.Run(DeliverAsync);
    }

    /// <inheritdoc/>
    public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
    {
        if (IsClosed)
        {
            // Each exchange started after the end hears of it at once rather than timing out.
            Unreachable("the DTLS session with " + Server + " is closed");
            return;
        }

        try
        {
            _dtls.Send(datagram);
        }
        catch (Exception e) when (e is IOException or TlsException or InvalidOperationException)
        {
            Ended("the DTLS session with " + Server + " failed: " + e.Message);
        }
    }

    /// <inheritdoc/>
    public void ScheduleWake(long atMs)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        long due = atMs == long.MaxValue ? -1 : Math.Max(0, atMs - NowMs);
        try
        {
            _timer.Change(due < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(due), Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _ended, 1);
        try
        {
            // RFC 5246 §7.2.1: close_notify before the transport goes.
            _dtls.Close();
        }
        catch (Exception e) when (e is IOException or TlsException)
        {
        }

        _udp.Close();
        _timer.Dispose();
        _received.Writer.TryComplete();
        _receiver?.Join(TimeSpan.FromSeconds(2));
    }

    private static string Describe(DtlsRpkTlsClient client, Exception e) =>
        client.Failure
        ?? (client.AlertReceived >= 0 ? "the server sent the alert " + AlertDescription.GetText((short)client.AlertReceived) : null)
        ?? (e is TlsTimeoutException ? "no answer within the handshake timeout" : e.Message);

    private void ReceiveLoop()
    {
        byte[] buffer = new byte[_dtls.GetReceiveLimit()];
        while (Volatile.Read(ref _ended) == 0 && !_client.Closed)
        {
            int n;
            try
            {
                n = _dtls.Receive(buffer, 0, buffer.Length, 500);
            }
            catch (Exception e)
            {
                // As for the handshake: whatever BouncyCastle throws ends the session, not the process.
                Ended("the DTLS session with " + Server + " failed: " + e.Message);
                return;
            }

            if (n >= 0)
            {
                // DropWrite: when the endpoint falls behind, the newest datagram is dropped; CoAP retransmits.
                _received.Writer.TryWrite(buffer.AsSpan(0, n).ToArray());
            }
        }

        if (_client.Closed)
        {
            Ended("the resource server closed the DTLS session" + (_client.AlertReceived >= 0 ? " (" + AlertDescription.GetText((short)_client.AlertReceived) + ")" : string.Empty));
        }
    }

    private async Task DeliverAsync()
    {
        await foreach (byte[] datagram in _received.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            _sink!.OnDatagram(Server, datagram);
        }
    }

    // Once: the exchanges waiting on the server end with the reason (never on the caller's thread).
    private void Ended(string reason)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0 || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        _options.Trace?.Invoke(reason);
        Unreachable(reason);
    }

    private void Unreachable(string reason)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            ThreadPool.QueueUserWorkItem(_ => _sink?.OnUnreachable(Server, reason));
        }
    }
}
