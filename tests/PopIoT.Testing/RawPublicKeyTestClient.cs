using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Org.BouncyCastle.X509;
using PopIoT.Core.Cose;
using BcHash = Org.BouncyCastle.Tls.HashAlgorithm;

namespace PopIoT.Testing;

/// <summary>
/// An independent DTLS 1.2 raw-public-key client (RFC 7250, RFC 9202 §3.2) built in the tests from BouncyCastle's
/// <see cref="DtlsClientProtocol"/> alone: its key pair comes from the platform's ECDsa, its certificate and signer from
/// BouncyCastle's own classes, so nothing of PopIoT's DTLS or key glue is on the client's side of the handshake.
/// TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 on P-256 only; the server's raw public key is checked against the one expected.
/// </summary>
public sealed class RawPublicKeyTestClient : IDisposable
{
    private readonly ECDsa _key;

    /// <summary>Makes a fresh P-256 key pair.</summary>
    public RawPublicKeyTestClient()
    {
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    }

    /// <summary>The client's public key as a COSE_Key (the token's cnf, RFC 8747 §3.2).</summary>
    public CoseKey PublicCoseKey
    {
        get
        {
            ECParameters p = _key.ExportParameters(false);
            return CoseKey.Ec2P256(p.Q.X!, p.Q.Y!, null, 0, null);
        }
    }

    /// <summary>A key pair as an EC2 COSE_Key with its private part d (e.g. the device's --rpk-key).</summary>
    public static CoseKey NewKeyPair(out byte[] x, out byte[] y)
    {
        using ECDsa k = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = k.ExportParameters(true);
        x = p.Q.X!;
        y = p.Q.Y!;
        return CoseKey.Ec2P256(p.Q.X!, p.Q.Y!, p.D!, 0, null);
    }

    /// <summary>Opens a session to <paramref name="server"/>; throws when the handshake fails (the alert in the exception).</summary>
    /// <param name="server">The device's coaps endpoint.</param>
    /// <param name="expectedServerX">The device's public key's x (rs_cnf), or null to accept any.</param>
    /// <param name="timeoutMs">The handshake's overall timeout.</param>
    /// <returns>The session.</returns>
    public Session Connect(IPEndPoint server, byte[]? expectedServerX, int timeoutMs = 15000) => Connect(server, expectedServerX, timeoutMs, int.MaxValue);

    /// <summary>As <see cref="Connect(IPEndPoint, byte[], int)"/>, from a given local port (a client restarted on its old port).</summary>
    public Session ConnectFrom(int localPort, IPEndPoint server, byte[]? expectedServerX, int timeoutMs = 15000) => Connect(server, expectedServerX, timeoutMs, int.MaxValue, localPort);

    /// <summary>
    /// A flooder's handshake: it answers the HelloVerifyRequest (so the server takes state for it) and then hears nothing
    /// more, holding the server's handshake until one side's timeout; always ends with an exception.
    /// </summary>
    /// <param name="server">The device's coaps endpoint.</param>
    /// <param name="timeoutMs">This side's handshake timeout.</param>
    public void ConnectAndStall(IPEndPoint server, int timeoutMs) => Connect(server, null, timeoutMs, 1).Dispose();

    private Session Connect(IPEndPoint server, byte[]? expectedServerX, int timeoutMs, int datagramsHeard, int localPort = 0)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localPort != 0)
            {
                socket.Bind(new IPEndPoint(server.Address, localPort));
            }

            socket.Connect(server);
            var crypto = new BcTlsCrypto(new SecureRandom());
            AsymmetricKeyParameter priv = PrivateKeyFactory.CreateKey(_key.ExportPkcs8PrivateKey());
            AsymmetricKeyParameter pub = PublicKeyFactory.CreateKey(_key.ExportSubjectPublicKeyInfo());
            var client = new Client(crypto, priv, pub, expectedServerX, timeoutMs);
            DtlsTransport dtls = new DtlsClientProtocol().Connect(client, new SocketTransport(socket, datagramsHeard));
            return new Session(socket, dtls);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();

    /// <summary>An open session: CoAP messages in and out, over one UDP socket.</summary>
    public sealed class Session(Socket socket, DtlsTransport dtls) : IDisposable
    {
        /// <summary>The client's own address (what a spoofer would copy).</summary>
        public IPEndPoint LocalEndPoint => (IPEndPoint)socket.LocalEndPoint!;

        /// <summary>Sends one datagram's plaintext over the session.</summary>
        public void Send(byte[] message) => dtls.Send(message, 0, message.Length);

        /// <summary>The next plaintext within the wait, or null; throws once the server closed the session.</summary>
        public byte[]? Receive(int waitMs)
        {
            byte[] buffer = new byte[1500];
            int n = dtls.Receive(buffer, 0, buffer.Length, waitMs);
            return n < 0 ? null : buffer[..n];
        }

        /// <summary>Sends raw bytes in the clear from the session's own socket (an attacker on the path, or a confused client).</summary>
        public void SendRaw(byte[] datagram) => socket.Send(datagram);

        /// <summary>Goes away without close_notify (a client that crashed): the socket is closed, the server is not told.</summary>
        public void Abandon() => socket.Dispose();

        /// <summary>Closes with close_notify.</summary>
        public void Dispose()
        {
            try
            {
                dtls.Close();
            }
            catch (IOException)
            {
            }

            socket.Dispose();
        }
    }

    private sealed class Client(TlsCrypto crypto, AsymmetricKeyParameter priv, AsymmetricKeyParameter pub, byte[]? expectedServerX, int timeoutMs)
        : DefaultTlsClient(crypto)
    {
        public override int GetHandshakeTimeoutMillis() => timeoutMs;

        public override bool RequiresExtendedMasterSecret() => true;

        public override TlsAuthentication GetAuthentication() => new Authentication(this);

        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

        protected override int[] GetSupportedCipherSuites() => [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8];

        protected override IList<int> GetSupportedGroups(IList<int> namedGroupRoles) => [NamedGroup.secp256r1];

        protected override short[] GetAllowedClientCertificateTypes() => [CertificateType.RawPublicKey];

        protected override short[] GetAllowedServerCertificateTypes() => [CertificateType.RawPublicKey];

        protected override CertificateStatusRequest? GetCertificateStatusRequest() => null;

        protected override IList<CertificateStatusRequestItemV2>? GetMultiCertStatusRequest() => null;

        private sealed class Authentication(Client outer) : TlsAuthentication
        {
            public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
            {
                Org.BouncyCastle.Tls.Certificate c = serverCertificate.Certificate;
                if (c.CertificateType != CertificateType.RawPublicKey || c.Length != 1)
                {
                    throw new TlsFatalAlert(AlertDescription.unsupported_certificate);
                }

                // RFC 9202 §3.2.1: the RS's key must be the one the AS gave (rs_cnf).
                var info = SubjectPublicKeyInfo.GetInstance(c.GetCertificateAt(0).GetEncoded());
                var key = (ECPublicKeyParameters)PublicKeyFactory.CreateKey(info);
                byte[] x = key.Q.Normalize().AffineXCoord.GetEncoded();
                if (outer.ExpectedServerX != null && !x.AsSpan().SequenceEqual(outer.ExpectedServerX))
                {
                    throw new TlsFatalAlert(AlertDescription.bad_certificate);
                }
            }

            public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest)
            {
                var bc = (BcTlsCrypto)outer.Crypto;
                var rawKey = new BcTlsRawKeyCertificate(bc, SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(outer.Pub));
                var certificate = new Org.BouncyCastle.Tls.Certificate(CertificateType.RawPublicKey, null, [new CertificateEntry(rawKey, null)]);
                return new BcDefaultTlsCredentialedSigner(
                    new TlsCryptoParameters(outer.Context), bc, outer.Priv, certificate, SignatureAndHashAlgorithm.GetInstance(BcHash.sha256, SignatureAlgorithm.ecdsa));
            }
        }

        private AsymmetricKeyParameter Pub => pub;

        private byte[]? ExpectedServerX => expectedServerX;

        private AsymmetricKeyParameter Priv => priv;

        private TlsClientContext Context => m_context;
    }

    // BouncyCastle's DatagramTransport over a connected UDP socket.
    private sealed class SocketTransport(Socket socket, int datagramsHeard) : DatagramTransport
    {
        private int _heard;

        public int GetReceiveLimit() => 1500;

        public int GetSendLimit() => 1500 - 48;

        public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

        public int Receive(Span<byte> buffer, int waitMillis)
        {
            try
            {
                if (!socket.Poll(Math.Max(1, waitMillis) * 1000, SelectMode.SelectRead))
                {
                    return -1;
                }

                int n = socket.Receive(buffer);
                return ++_heard > datagramsHeard ? -1 : n;
            }
            catch (SocketException)
            {
                // ICMP port unreachable from a device that went away.
                return -1;
            }
        }

        public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

        public void Send(ReadOnlySpan<byte> buffer) => socket.Send(buffer);

        public void Close()
        {
        }
    }
}
