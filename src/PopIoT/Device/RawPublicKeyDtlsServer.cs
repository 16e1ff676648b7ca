using System.Net;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using PopIoT.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Device;
using PopIoT.Dtls;

namespace PopIoT.Device;

/// <summary>
/// The simulated device's raw-public-key DTLS server (the coap_dtls profile's RPK mode, RFC 9202 §3.2; docs/ace-dtls.md,
/// "RPK mode (desktop)"), beside Core's PSK engine on the same coaps port. It sees each datagram before the runtime:
/// <list type="bullet">
/// <item>a datagram from a client with an RPK handshake or session goes to that client's <see cref="RawPublicKeySession"/>;</item>
/// <item>a ClientHello that offers TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 and no PSK suite (<see cref="DtlsClientHelloRoute"/>)
/// meets BouncyCastle's stateless cookie (<see cref="DtlsVerifier"/>, HelloVerifyRequest, RFC 6347 §4.2.1) first, and
/// only a ClientHello with a valid cookie gets state: a session and its thread, within a cap on concurrent handshakes;</item>
/// <item>everything else goes to the runtime (plain CoAP, and Core's PSK handshakes and sessions).</item>
/// </list>
/// The runtime reaches the sessions through <see cref="IRawPublicKeySessions"/> (sealing its answers, closing a session
/// whose token went). Lock order: the device's lock, then this object's; never the other way.
/// </summary>
public sealed partial class RawPublicKeyDtlsServer : IRawPublicKeySessions, IDisposable
{
    // RFC 6347 §4.2.1: the cookie secret changes now and then; a client caught by the change gets a new cookie.
    private static readonly TimeSpan CookieSecretLifetime = TimeSpan.FromMinutes(10);

    private readonly object _lock = new();
    private readonly Dictionary<IPEndPoint, RawPublicKeySession> _routes = [];
    private readonly RawPublicKeySession?[] _sessions;
    private readonly int _maxHandshakes;
    private DtlsVerifier _verifier;
    private DateTime _verifierSince = DateTime.UtcNow;
    private int _handshakes;
    private long _uses;
    private bool _disposed;

    internal RawPublicKeyDtlsServer(CoseKey key, int maxSessions, int maxHandshakes, int handshakeTimeoutMs, IRawPublicKeyDevice device, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (maxSessions < 1 || maxHandshakes < 1)
        {
            throw new ArgumentException("the RPK server needs at least one session and one handshake");
        }

        PrivateKey = DtlsRawPublicKey.PrivateKeyFromCoseKey(key);
        PublicKey = DtlsRawPublicKey.PublicKeyFromCoseKey(key);
        Crypto = new BcTlsCrypto(new SecureRandom());
        _verifier = new DtlsVerifier(Crypto);
        _sessions = new RawPublicKeySession?[maxSessions];
        _maxHandshakes = maxHandshakes;
        HandshakeTimeoutMs = handshakeTimeoutMs;
        Device = device;
        Logger = logger;
    }

    /// <summary>Cookie-verified ClientHellos dropped because <c>maxHandshakes</c> handshakes were running.</summary>
    public int HandshakesRefused { get; private set; }

    /// <summary>Finished handshakes closed at once because every session was kept (in use within the protection time, docs/ace-dtls.md).</summary>
    public int SessionsRefused { get; private set; }

    /// <summary>Sessions closed with close_notify to make room for a finished handshake (idle, or their token went).</summary>
    public int Evictions { get; private set; }

    /// <summary>The most RPK handshakes that ran at once so far (never above the cap).</summary>
    public int PeakHandshakes { get; private set; }

    /// <summary>RPK handshakes running now.</summary>
    public int Handshakes
    {
        get
        {
            lock (_lock)
            {
                return _handshakes;
            }
        }
    }

    /// <summary>Established RPK sessions now.</summary>
    public int SessionCount
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Count(s => s != null && s.IsEstablished);
            }
        }
    }

    /// <summary>The device's public key (what a client finds in rs_cnf).</summary>
    public ECPublicKeyParameters PublicKey { get; }

    /// <inheritdoc/>
    public int SessionCapacity => _sessions.Length;

    internal ECPrivateKeyParameters PrivateKey { get; }

    internal BcTlsCrypto Crypto { get; }

    internal int HandshakeTimeoutMs { get; }

    internal IRawPublicKeyDevice Device { get; }

    internal ILogger? Logger { get; }

    /// <inheritdoc/>
    public bool IsEstablished(int peer) => Find(peer) != null;

    /// <inheritdoc/>
    public bool Send(int peer, byte[] buffer, int offset, int count) => Find(peer)?.SendApplicationData(buffer, offset, count) ?? false;

    /// <inheritdoc/>
    public void Close(int peer) => Find(peer)?.Abort();

    /// <summary>Takes a datagram that belongs to the RPK server (see the class); false leaves it to the runtime.</summary>
    /// <param name="source">The sender.</param>
    /// <param name="datagram">The datagram.</param>
    /// <param name="via">The transport it came in on (answers go back out of it).</param>
    /// <returns>Whether it was taken.</returns>
    public bool TryTake(IPEndPoint source, ReadOnlySpan<byte> datagram, ICoapTransport via)
    {
        RawPublicKeySession? route;
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            _routes.TryGetValue(source, out route);
        }

        bool hello = DtlsClientHelloRoute.IsRawPublicKeyHello(datagram);
        if (route != null && !(hello && route.IsEstablished))
        {
            route.Enqueue(datagram);
            return true;
        }

        if (!hello)
        {
            return false;
        }

        // RFC 6347 §4.2.1: no state before the cookie verifies; the cookie covers the address and port.
        byte[] data = datagram.ToArray();
        DtlsRequest? request;
        try
        {
            request = Verifier().VerifyRequest(ClientId(source), data, 0, data.Length, new CookieSender(via, source));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A ClientHello BouncyCastle cannot read is dropped, whatever it throws: this is the socket's thread.
            Logger?.LogDebug("DTLS RPK ClientHello from {Client} dropped: {Reason}", source, e.Message);
            return true;
        }

        if (request != null)
        {
            if (route != null)
            {
                // RFC 6347 §4.2.8: a new ClientHello on an established association, whose sender proved with the cookie
                // that it is at that address (a client that restarted on the same port): the old session goes.
                Replace(route);
            }

            Begin(source, via, request);
        }

        return true;
    }

    /// <summary>Ends every session with close_notify and every handshake, and waits for their threads.</summary>
    public void Dispose()
    {
        RawPublicKeySession[] all;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            all = [.. _routes.Values];
        }

        foreach (RawPublicKeySession s in all)
        {
            s.Abort();
        }

        foreach (RawPublicKeySession s in all)
        {
            s.Join(TimeSpan.FromSeconds(5));
        }
    }

    internal void HandshakeEnded(RawPublicKeySession session)
    {
        lock (_lock)
        {
            _handshakes--;
        }
    }

    private static byte[] ClientId(IPEndPoint source)
    {
        byte[] address = source.Address.GetAddressBytes();
        byte[] id = new byte[address.Length + 2];
        address.CopyTo(id, 0);
        id[^2] = (byte)(source.Port >> 8);
        id[^1] = (byte)source.Port;
        return id;
    }

    private void Begin(IPEndPoint source, ICoapTransport via, DtlsRequest request)
    {
        lock (_lock)
        {
            if (_disposed || _routes.ContainsKey(source))
            {
                return;
            }

            if (_handshakes >= _maxHandshakes)
            {
                // A flood of cookie-verified hellos gets no more threads: the client retransmits later.
                HandshakesRefused++;
                return;
            }

            _handshakes++;
            PeakHandshakes = Math.Max(PeakHandshakes, _handshakes);
        }

        // Outside this lock (the device's lock comes first).
        int peer = Device.Admit(source);
        RawPublicKeySession? session = null;
        lock (_lock)
        {
            if (peer >= 0 && !_disposed && !_routes.ContainsKey(source))
            {
                session = new RawPublicKeySession(this, via, source, peer, request);
                _routes[source] = session;
            }
            else
            {
                _handshakes--;
            }
        }

        if (session == null)
        {
            Logger?.LogInformation("DTLS RPK handshake from {Client} refused: no peer entry (the table is full, or the client has a PSK session)", source);
            return;
        }

        session.Start();
    }

    private void Replace(RawPublicKeySession old)
    {
        lock (_lock)
        {
            if (_routes.TryGetValue(old.Client, out RawPublicKeySession? s) && s == old)
            {
                _routes.Remove(old.Client);
            }
        }

        Logger?.LogInformation("DTLS RPK session with {Client} replaced: a new ClientHello with a valid cookie came from its address (RFC 6347 §4.2.8)", old.Client);
        old.Abort();
    }

    private DtlsVerifier Verifier()
    {
        lock (_lock)
        {
            if (DateTime.UtcNow - _verifierSince > CookieSecretLifetime)
            {
                _verifier = new DtlsVerifier(Crypto);
                _verifierSince = DateTime.UtcNow;
            }

            return _verifier;
        }
    }

    // Where BouncyCastle's verifier sends the HelloVerifyRequest: back to the client, out of the transport it used.
    private sealed class CookieSender(ICoapTransport via, IPEndPoint client) : DatagramSender
    {
        public int GetSendLimit() => 1232 - 48;

        public void Send(byte[] buf, int off, int len) => via.Send(client, buf.AsSpan(off, len));

        public void Send(ReadOnlySpan<byte> buffer) => via.Send(client, buffer);
    }
}
