using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;
using PopIoT.Crypto;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The coap_dtls profile (RFC 9202 §3.3, PSK mode) against <c>popiot device simulate --profile dtls</c> in its own
/// process over UDP, with BouncyCastle's DTLS 1.2 client (an implementation nobody here wrote) as the client: the token
/// is posted to /authz-info in the clear, the handshake names it by the RFC's kid form, and GET /temp is served over the
/// session; a handshake without the token's key fails.
/// </summary>
public sealed class DeviceDtlsProcessTests
{
    // COSE_Keys: {1: 4, 3: 4 (HMAC 256/64), -1: 32 bytes} verifies the Mac0 tokens; {1: 4, 3: 10 (AES-CCM-16-64-128),
    // -1: 16 bytes} unwraps the Encrypted_COSE_Key in their cnf (RFC 8747 §3.3).
    private const string MacKey = "a301040304205820" + "1111111111111111111111111111111111111111111111111111111111111111";
    private const string AeadKey = "a30104030a2050" + "22222222222222222222222222222222";
    private static readonly byte[] Kid = Convert.FromHexString("3d027833fc6267ce");
    private static readonly byte[] Psk = Convert.FromHexString("00112233445566778899aabbccddeeff");

    [Fact]
    public async Task BouncyCastle_handshakes_with_the_rfc_9202_kid_identity_and_gets_temp_from_a_device_process()
    {
        using PopiotProcess device = PopiotProcess.Start(
            "listening on", false, "device", "simulate", "--audience", "sensor-d", "--as-key", MacKey, "--as-key", AeadKey, "--port", "0", "--profile", "dtls", "--duration", "60");
        Match m = Regex.Match(device.Out, @"listening on coap://127\.0\.0\.1:(\d+) .*coaps on coaps://127\.0\.0\.1:(\d+)");
        Assert.True(m.Success, device.Out);
        int coapPort = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        int coapsPort = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);

        // RFC 9202 §3.3.1: the token goes to /authz-info in the clear first; 2.01.
        byte[] token = MintDtlsToken("sensor-d", "read");
        await using (var client = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromSeconds(5) }))
        {
            CoapResponse posted = await client.PostAsync(new Uri("coap://127.0.0.1:" + coapPort + "/authz-info"), AuthzInfoRequest.Encode(token, null, null), CoapContentFormat.AceCbor);
            Assert.True(posted.Code == CoapCode.Created, posted.Code.ToString(CultureInfo.InvariantCulture) + device.Out);
        }

        // RFC 9202 §3.3.2: the kid form of the psk_identity, exactly the RFC's 17 bytes for this kid.
        byte[] identity = Convert.FromHexString("A108A101A2010402483D027833FC6267CE");
        byte[] reply = await Task.Run(() => BouncyCastleGet(coapsPort, identity, Psk, "/temp"));
        var response = new CoapMessage();
        Assert.Equal(CoapParseError.None, response.Parse(reply, 0, reply.Length));
        Assert.True(response.Code == CoapCode.Content, "code " + response.Code + "; " + device.Out);
        Assert.Equal("21.5", Encoding.UTF8.GetString(response.PayloadBuffer, response.PayloadOffset, response.PayloadLength));

        // Without the token's key the handshake fails (a captured identity is of no use).
        Assert.ThrowsAny<Exception>(() => BouncyCastleGet(coapsPort, identity, new byte[16], "/temp", handshakeTimeoutMs: 8000));
        Assert.Contains("RequestAllowed", device.Out, StringComparison.Ordinal);
    }

    // A Mac0 coap_dtls token whose cnf is an Encrypted_COSE_Key holding the PSK and its kid (RFC 8747 §3.3), minted with
    // Core's CWT writers (the shared minter learns the coap_dtls forms on the AS's branch).
    private static byte[] MintDtlsToken(string audience, string scope)
    {
        ICryptoProvider crypto = PlatformCryptoProvider.Instance;
        CoseKey.Decode(Convert.FromHexString(MacKey), 0, MacKey.Length / 2, out CoseKey mac);
        CoseKey.Decode(Convert.FromHexString(AeadKey), 0, AeadKey.Length / 2, out CoseKey aead);
        using var b = new CwtClaimsBuilder();
        b.SetIssuer("as.example");
        b.SetAudience(audience);
        b.SetScope(scope);
        b.SetExpiration(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 600);
        b.SetAceProfile(AceProfile.CoapDtls);
        using var kek = new CoseEncrypt0(crypto, aead);
        b.SetConfirmationEncryptedKey(CoseKey.Symmetric(Psk, 0, Kid), kek, null);
        using var issuer = new CwtIssuer(crypto, mac);
        return issuer.Create(b);
    }

    // BouncyCastle's DtlsClientProtocol over a UDP socket connected to the device's coaps port: one CoAP GET, its reply.
    private static byte[] BouncyCastleGet(int port, byte[] identity, byte[] psk, string path, int handshakeTimeoutMs = 20000)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        var client = new Psk9202Client(new BcTlsCrypto(new SecureRandom()), identity, psk, handshakeTimeoutMs);
        DtlsTransport dtls = new DtlsClientProtocol().Connect(client, new SocketTransport(socket));
        try
        {
            var get = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 0x4242 };
            get.SetToken([0x01, 0x02], 0, 2);
            get.AddUriPath(path);
            byte[] wire = new byte[256];
            int n = get.Serialize(wire, 0, wire.Length);
            dtls.Send(wire, 0, n);
            byte[] buffer = new byte[1500];
            int r = dtls.Receive(buffer, 0, buffer.Length, 10_000);
            Assert.True(r > 0, "no reply over the session");
            return buffer[..r];
        }
        finally
        {
            dtls.Close();
        }
    }

    // BouncyCastle's DatagramTransport over a connected UDP socket.
    private sealed class SocketTransport(Socket socket) : DatagramTransport
    {
        public int GetReceiveLimit() => 1500;

        public int GetSendLimit() => 1500 - 48;

        public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

        public int Receive(Span<byte> buffer, int waitMillis)
        {
            if (!socket.Poll(Math.Max(1, waitMillis) * 1000, SelectMode.SelectRead))
            {
                return -1;
            }

            return socket.Receive(buffer);
        }

        public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

        public void Send(ReadOnlySpan<byte> buffer) => socket.Send(buffer);

        public void Close()
        {
        }
    }

    private sealed class Psk9202Client(Org.BouncyCastle.Tls.Crypto.TlsCrypto crypto, byte[] identity, byte[] psk, int handshakeTimeoutMs)
        : PskTlsClient(crypto, new BasicTlsPskIdentity(identity, psk))
    {
        public override bool RequiresExtendedMasterSecret() => true;

        public override int GetHandshakeTimeoutMillis() => handshakeTimeoutMs;

        // RFC 9202 §3.3: TLS_PSK_WITH_AES_128_CCM_8, DTLS 1.2.
        protected override int[] GetSupportedCipherSuites() => [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8];

        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();
    }
}
