using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Org.BouncyCastle.Utilities;
using Org.BouncyCastle.X509;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Cwt;
using PopIoT.Cose;
using PopIoT.Crypto;
using PopIoT.Device;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>The DTLS side of <see cref="TestRpkResourceServer"/>: BouncyCastle's server per client address.</summary>
internal sealed partial class TestRpkResourceServer
{
    private void ReceiveLoop()
    {
        byte[] buffer = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (!_stopped)
        {
            int n;
            try
            {
                n = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stopped)
                {
                    return;
                }

                continue;
            }

            var source = (IPEndPoint)from;
            Peer peer = _peers.GetOrAdd(source, s => new Peer(this, s));
            peer.Incoming.TryAdd(buffer.AsSpan(0, n).ToArray());
        }
    }

    // One client address: its datagrams, its BouncyCastle handshake and session on a thread of their own.
    private sealed class Peer : DatagramTransport
    {
        private readonly TestRpkResourceServer _server;
        private readonly IPEndPoint _address;
        private volatile bool _closed;
        private DtlsTransport? _session;

        public Peer(TestRpkResourceServer server, IPEndPoint address)
        {
            _server = server;
            _address = address;
            new Thread(Run) { IsBackground = true, Name = "test RPK RS peer " + address }.Start();
        }

        public BlockingCollection<byte[]> Incoming { get; } = new(64);

        public string? ClientKey { get; set; }

        public bool Ended { get; set; }

        public int GetReceiveLimit() => 1500;

        public int GetSendLimit() => 1500;

        public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

        public int Receive(Span<byte> buffer, int waitMillis)
        {
            if (_closed)
            {
                throw new IOException("closed");
            }

            if (!Incoming.TryTake(out byte[]? d, waitMillis > 0 ? waitMillis : 100))
            {
                return -1;
            }

            d.CopyTo(buffer);
            return d.Length;
        }

        public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

        public void Send(ReadOnlySpan<byte> buffer)
        {
            if (!_closed)
            {
                try
                {
                    _server._socket.SendTo(buffer, SocketFlags.None, _address);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
            }
        }

        public void SendApplication(ReadOnlySpan<byte> datagram)
        {
            try
            {
                _session?.Send(datagram);
            }
            catch (Exception e) when (e is IOException or TlsException)
            {
            }
        }

        public void Close()
        {
            _closed = true;
        }

        private void Run()
        {
            var tls = new RpkTlsServer(_server, this, new BcTlsCrypto());
            try
            {
                _session = new DtlsServerProtocol().Accept(tls, this);
            }
            catch (Exception)
            {
                // Any failure of this peer's handshake (on this thread) is counted, never thrown.
                Interlocked.Increment(ref _server._handshakesFailed);
                _server._peers.TryRemove(_address, out _);
                return;
            }

            Interlocked.Increment(ref _server._handshakes);
            byte[] buffer = new byte[1500];
            while (!_closed && !Ended)
            {
                int n;
                try
                {
                    n = _session.Receive(buffer, 0, buffer.Length, 200);
                }
                catch (Exception)
                {
                    break;
                }

                if (n >= 0)
                {
                    _server._sessions.Deliver(_address, buffer.AsSpan(0, n).ToArray());
                }
            }

            _server._peers.TryRemove(_address, out _);
        }
    }

    // BouncyCastle's server with raw public keys both ways and the one suite of RFC 9202 §3.2 / RFC 7925 §4.4.
    private sealed class RpkTlsServer(TestRpkResourceServer server, Peer peer, BcTlsCrypto crypto) : DefaultTlsServer(crypto)
    {
        public override CertificateRequest GetCertificateRequest() =>
            new([ClientCertificateType.ecdsa_sign], [new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa)], null);

        // RFC 9202 §3.2.1: the client's raw public key must be the cnf key of a token this RS holds.
        public override void NotifyClientCertificate(Certificate clientCertificate)
        {
            if (clientCertificate.IsEmpty || clientCertificate.CertificateType != CertificateType.RawPublicKey)
            {
                throw new TlsFatalAlert(AlertDescription.bad_certificate);
            }

            var key = (ECPublicKeyParameters)PublicKeyFactory.CreateKey(clientCertificate.GetCertificateAt(0).GetEncoded());
            string name = Name(key);
            if (!server._clientKeys.ContainsKey(name))
            {
                throw new TlsFatalAlert(AlertDescription.access_denied, "no token binds this client key");
            }

            peer.ClientKey = name;
        }

        public override void NotifyAlertReceived(short alertLevel, short alertDescription)
        {
            if (alertDescription == AlertDescription.close_notify || alertLevel == AlertLevel.fatal)
            {
                peer.Ended = true;
            }
        }

        protected override ProtocolVersion[] GetSupportedVersions() => [ProtocolVersion.DTLSv12];

        protected override int[] GetSupportedCipherSuites() => [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8];

        protected override short[] GetAllowedClientCertificateTypes() => [CertificateType.RawPublicKey];

        protected override TlsCredentialedSigner GetECDsaSignerCredentials()
        {
            var entry = new CertificateEntry(new BcTlsRawKeyCertificate(crypto, SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(server._presentedPublic)), null);
            return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(m_context), crypto, server._presentedPrivate,
                new Certificate(CertificateType.RawPublicKey, null, [entry]), new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
        }
    }

    // The CoapServer's side: datagrams from the sessions in, responses out over the session of their destination.
    private sealed class SessionTransport(TestRpkResourceServer server) : ICoapTransport
    {
        private ICoapTransportSink? _sink;
        private ITimer? _timer;

        public IPEndPoint LocalEndPoint => (IPEndPoint)server._socket.LocalEndPoint!;

        public long NowMs => Environment.TickCount64;

        public void Start(ICoapTransportSink sink)
        {
            _sink = sink;
            _timer = TimeProvider.System.CreateTimer(_ => _sink.OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public void Deliver(IPEndPoint source, byte[] datagram) => _sink?.OnDatagram(source, datagram);

        public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
        {
            if (server._peers.TryGetValue(destination, out Peer? peer))
            {
                peer.SendApplication(datagram);
            }
        }

        public void ScheduleWake(long atMs) =>
            _timer?.Change(atMs == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, atMs - NowMs)), Timeout.InfiniteTimeSpan);

        public void Dispose() => _timer?.Dispose();
    }
}
