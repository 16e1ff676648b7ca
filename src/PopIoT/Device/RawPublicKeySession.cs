using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Tls;
using PopIoT.Coap;

namespace PopIoT.Device;

/// <summary>
/// One client of the device's raw-public-key server (RFC 9202 §3.2; docs/ace-dtls.md, "RPK mode (desktop)"): the
/// <see cref="DatagramTransport"/> BouncyCastle's blocking DTLS stack reads from, fed by the device's socket through a
/// bounded queue (a flood fills it and is dropped, never the memory), and the thread that runs the handshake and then
/// hands each record's plaintext to the device's runtime under the session's peer number.
/// </summary>
internal sealed class RawPublicKeySession : DatagramTransport
{
    // Datagrams waiting for the session's thread; more are dropped (the peer retransmits, DTLS tolerates loss).
    private const int QueueCapacity = 32;

    private readonly RawPublicKeyDtlsServer _server;
    private readonly ICoapTransport _via;
    private readonly DtlsRequest _request;
    private readonly ConcurrentQueue<byte[]> _queue = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly Thread _thread;
    private volatile bool _closed;
    private volatile DtlsTransport? _dtls;
    private byte[]? _clientKey;
    private long _lastUsed;

    public RawPublicKeySession(RawPublicKeyDtlsServer server, ICoapTransport via, IPEndPoint client, int peer, DtlsRequest request)
    {
        _server = server;
        _via = via;
        Client = client;
        Peer = peer;
        _request = request;
        _thread = new Thread(Run) { IsBackground = true, Name = "popiot rpk " + client };
    }

    /// <summary>The client's address and port.</summary>
    public IPEndPoint Client { get; }

    /// <summary>The runtime's peer number for the client.</summary>
    public int Peer { get; }

    /// <summary>Whether the handshake finished and the session is bound (until it closes).</summary>
    public bool IsEstablished => _dtls != null && !_closed;

    /// <summary>When the session last carried a request, in the server's order of use (for the eviction's choice).</summary>
    public long LastUsed
    {
        get => Interlocked.Read(ref _lastUsed);
        set => Interlocked.Exchange(ref _lastUsed, value);
    }

    /// <summary>Datagrams dropped because the queue was full.</summary>
    public int Dropped { get; private set; }

    public void Start() => _thread.Start();

    /// <summary>Waits for the thread to end (after <see cref="Abort"/>).</summary>
    public bool Join(TimeSpan timeout) => _thread.Join(timeout);

    /// <summary>A datagram from the client, for the session's thread.</summary>
    public void Enqueue(ReadOnlySpan<byte> datagram)
    {
        if (_closed || _queue.Count >= QueueCapacity)
        {
            Dropped++;
            return;
        }

        _queue.Enqueue(datagram.ToArray());
        _available.Release();
    }

    /// <summary>Seals one CoAP message into the session (the runtime's send, under the device's lock).</summary>
    public bool SendApplicationData(byte[] buffer, int offset, int count)
    {
        DtlsTransport? dtls = _dtls;
        if (dtls == null || _closed)
        {
            return false;
        }

        try
        {
            dtls.Send(buffer, offset, count);
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Ends the session with close_notify (or the handshake, with no alert); the thread then ends.</summary>
    public void Abort()
    {
        DtlsTransport? dtls = _dtls;
        if (dtls != null && !_closed)
        {
            try
            {
                dtls.Close();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                // The transport is gone already.
            }
        }

        Close();
    }

    /// <summary>Called by the handshake with the client's key: whether a token has it in cnf (RFC 9202 §3.2.1).</summary>
    public bool KeyOffered(ECPublicKeyParameters key)
    {
        _clientKey = Coordinates(key);
        return _server.Device.Offered(Peer, _clientKey);
    }

    public int GetReceiveLimit() => 1500;

    // DESIGN.md §5a: MTU-sized records (a CoAP message and its record overhead within an IPv6 minimum MTU).
    public int GetSendLimit() => 1232 - 48;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (_closed)
        {
            throw new IOException("the session's transport is closed");
        }

        if (!_available.Wait(Math.Max(1, waitMillis)) || !_queue.TryDequeue(out byte[]? datagram))
        {
            if (_closed)
            {
                throw new IOException("the session's transport is closed");
            }

            return -1;
        }

        int n = Math.Min(datagram.Length, buffer.Length);
        datagram.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (!_closed)
        {
            _via.Send(Client, buffer);
        }
    }

    public void Close()
    {
        _closed = true;

        // Wakes a Receive that waits.
        _available.Release();
    }

    // x ‖ y, 32 bytes each (RFC 9202 §3.2: the key as Core compares it with the token's cnf).
    private static byte[] Coordinates(ECPublicKeyParameters key)
    {
        var q = key.Q.Normalize();
        byte[] xy = new byte[64];
        q.AffineXCoord.GetEncoded().CopyTo(xy, 0);
        q.AffineYCoord.GetEncoded().CopyTo(xy, 32);
        return xy;
    }

    private void Run()
    {
        ILogger? log = _server.Logger;
        var server = new RawPublicKeyTlsServer(_server.Crypto, _server.PrivateKey, _server.PublicKey, this, _server.HandshakeTimeoutMs);
        bool established = false;
        try
        {
            DtlsTransport dtls;
            try
            {
                dtls = new DtlsServerProtocol().Accept(server, this, _request);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Any failure of the handshake, whatever BouncyCastle throws for a hostile peer, ends it and no more.
                string alert = e is TlsFatalAlert fatal ? AlertDescription.GetText(fatal.AlertDescription) : server.AlertRaised >= 0 ? AlertDescription.GetText(server.AlertRaised) : "none";
                log?.LogInformation("DTLS RPK handshake from {Client} failed (alert {Alert}): {Reason}", Client, alert, server.Refusal ?? e.Message);
                return;
            }
            finally
            {
                _server.HandshakeEnded(this);
            }

            _dtls = dtls;
            if (!_server.Established(this) || _clientKey == null || !_server.Device.Connected(Peer, _clientKey))
            {
                // Every session is in use (none may be evicted), or the token went during the handshake.
                log?.LogInformation("DTLS RPK session with {Client} closed at once: every session is in use, or no token has its key", Client);
                Abort();
                return;
            }

            established = true;
            log?.LogInformation("DTLS RPK session with {Client} established (peer {Peer})", Client, Peer);
            byte[] buffer = new byte[dtls.GetReceiveLimit()];
            while (!_closed)
            {
                int n = dtls.Receive(buffer, 0, buffer.Length, 1000);
                if (n >= 0)
                {
                    _server.Used(this);
                    _server.Device.Deliver(Peer, buffer, n);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // close_notify from the client (BouncyCastle closes the transport), our own close, or a fatal record error;
            // anything else must not end the process either (an exception on this thread would).
            log?.LogDebug("DTLS RPK session with {Client} ended: {Reason}", Client, e.Message);
        }
        finally
        {
            _closed = true;
            _server.Ended(this);
            if (established && !_server.HasOtherSession(Peer, this))
            {
                _server.Device.Closed(Peer);
            }
        }
    }
}
