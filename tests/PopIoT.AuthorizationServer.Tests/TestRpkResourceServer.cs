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

/// <summary>
/// An RPK resource server for the gateway's tests (RFC 9202 §3.2.1), written here from BouncyCastle's
/// <see cref="DtlsServerProtocol"/> directly, apart from the project's DTLS glue and gateway: tokens come to /authz-info
/// on plain CoAP (port P) and are read with Core's <see cref="CwtValidator"/>; coaps:// on P + 1 accepts a handshake only
/// when the client's raw public key is the cnf key of a token it holds, and presents its own key (the one registered as
/// rs_cnf, or another one to play an impostor). CoAP over the sessions is served by a <see cref="CoapServer"/> on a
/// transport that moves datagrams to and from the BouncyCastle sessions.
/// </summary>
internal sealed partial class TestRpkResourceServer : IDisposable
{
    public const int BigSize = 3 * 1024;

    private readonly ResourceServerRecord _rs;
    private readonly string _asUri;
    private readonly IReadOnlyList<CoseKey> _keys;
    private readonly AsKeySelection _selection;
    private readonly ECPrivateKeyParameters _presentedPrivate;
    private readonly ECPublicKeyParameters _presentedPublic;
    private readonly ConcurrentDictionary<string, byte> _clientKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<IPEndPoint, Peer> _peers = new();
    private CoapServer _plain = new();
    private readonly CoapServer _secure = new();
    private readonly Socket _socket;
    private readonly SessionTransport _sessions;
    private readonly Thread _receiver;
    private volatile bool _stopped;
    private int _handshakes;
    private int _handshakesFailed;
    private int _posted;
    private int _updates;
    private int _requests;

    /// <summary>Starts the RS with a fresh P-256 key pair.</summary>
    /// <param name="register">Registers the RS at the AS with its public key (rs_cnf) and returns the registration.</param>
    /// <param name="asUri">The AS, for the creation hints.</param>
    /// <param name="impostor">Present a key other than <see cref="PublicCoseKey"/> in the handshake.</param>
    public TestRpkResourceServer(Func<byte[], ResourceServerRecord> register, string asUri, bool impostor = false)
    {
        _asUri = asUri;
        (ECPrivateKeyParameters d, ECPublicKeyParameters q) = NewKeyPair();
        PublicCoseKey = CoseKeyOf(q);
        (_presentedPrivate, _presentedPublic) = impostor ? NewKeyPair() : (d, q);
        _rs = register(PublicCoseKey);
        Assert.Equal(CoseError.None, CoseKeySet.Decode(AuthorizationServerRegistry.KeysForResourceServer(_rs), out _keys));
        _selection = AsKeyPurposes.Select(_keys, _rs.Protection);
        _plain.Map("/authz-info", CoapMethods.Post, (req, _) => ValueTask.FromResult(TakeToken(req.Payload.ToArray(), null)));
        _plain.Map("/temp", CoapMethods.Get, (_, _) => ValueTask.FromResult(Hints()));
        _plain.Map("/big", CoapMethods.Get, (_, _) => ValueTask.FromResult(Hints()));
        _secure.Map("/authz-info", CoapMethods.Post, (req, _) => ValueTask.FromResult(TakeToken(req.Payload.ToArray(), SessionOf(req))));
        _secure.Map("/temp", CoapMethods.Get | CoapMethods.Put, (req, _) => ValueTask.FromResult(Serve(req, "21.5"u8.ToArray())));
        _secure.Map("/big", CoapMethods.Get, (req, _) => ValueTask.FromResult(Serve(req, Big)));

        // coaps on the next port (RFC 7252 §6.1, §6.2: 5683 and 5684).
        for (int attempt = 0; ; attempt++)
        {
            IPEndPoint plainAt = _plain.Start(new IPEndPoint(IPAddress.Loopback, 0));
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, plainAt.Port + 1));
                _socket = socket;
                Plain = new Uri("coap://127.0.0.1:" + plainAt.Port);
                Secure = new Uri("coaps://127.0.0.1:" + (plainAt.Port + 1));
                break;
            }
            catch (SocketException) when (attempt < 20)
            {
                socket.Dispose();
                _plain.Dispose();
                _plain = new CoapServer();
                _plain.Map("/authz-info", CoapMethods.Post, (req, _) => ValueTask.FromResult(TakeToken(req.Payload.ToArray(), null)));
                _plain.Map("/temp", CoapMethods.Get, (_, _) => ValueTask.FromResult(Hints()));
                _plain.Map("/big", CoapMethods.Get, (_, _) => ValueTask.FromResult(Hints()));
            }
        }

        _sessions = new SessionTransport(this);
        _secure.Start(_sessions);
        _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "test RPK RS" };
        _receiver.Start();
    }

    public static byte[] Big { get; } = Enumerable.Range(0, BigSize).Select(i => (byte)('a' + (i % 26))).ToArray();

    /// <summary>The RS's public key as the COSE_Key registered as rs_cnf.</summary>
    public byte[] PublicCoseKey { get; }

    public Uri Plain { get; }

    public Uri Secure { get; }

    public int Handshakes => Volatile.Read(ref _handshakes);

    public int HandshakesFailed => Volatile.Read(ref _handshakesFailed);

    public int TokensPosted => Volatile.Read(ref _posted);

    public int Updates => Volatile.Read(ref _updates);

    /// <summary>Requests received over DTLS sessions.</summary>
    public int SessionRequests => Volatile.Read(ref _requests);

    /// <summary>Drops every client key, as after a reboot: requests on old sessions get 4.01 with hints.</summary>
    public void Forget() => _clientKeys.Clear();

    public void Dispose()
    {
        _stopped = true;
        _socket.Dispose();
        foreach (Peer p in _peers.Values)
        {
            p.Close();
        }

        _receiver.Join(TimeSpan.FromSeconds(2));
        _secure.Dispose();
        _plain.Dispose();
        foreach (CoseKey k in _keys)
        {
            k.Dispose();
        }
    }

    private static (ECPrivateKeyParameters, ECPublicKeyParameters) NewKeyPair()
    {
        var g = new ECKeyPairGenerator();
        g.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, new SecureRandom()));
        var pair = g.GenerateKeyPair();
        return ((ECPrivateKeyParameters)pair.Private, (ECPublicKeyParameters)pair.Public);
    }

    private static byte[] CoseKeyOf(ECPublicKeyParameters q)
    {
        var p = q.Q.Normalize();
        using CoseKey key = CoseKey.Ec2P256(BigIntegers.AsUnsignedByteArray(32, p.AffineXCoord.ToBigInteger()), BigIntegers.AsUnsignedByteArray(32, p.AffineYCoord.ToBigInteger()), null!, CoseAlgorithm.ES256.Id, null!);
        return key.Encode();
    }

    // x || y in hex: how this RS names a client's key.
    private static string Name(ECPublicKeyParameters q)
    {
        var p = q.Q.Normalize();
        return Convert.ToHexString(BigIntegers.AsUnsignedByteArray(32, p.AffineXCoord.ToBigInteger())) + Convert.ToHexString(BigIntegers.AsUnsignedByteArray(32, p.AffineYCoord.ToBigInteger()));
    }

    private Peer? SessionOf(CoapRequest request) => request.RemoteEndPoint is IPEndPoint ep && _peers.TryGetValue(ep, out Peer? p) ? p : null;

    private CoapResponse Serve(CoapRequest request, byte[] body)
    {
        Interlocked.Increment(ref _requests);
        Peer? peer = SessionOf(request);
        if (peer?.ClientKey == null || !_clientKeys.ContainsKey(peer.ClientKey))
        {
            return Hints();
        }

        // The test grants GET only (RFC 9202 §3.4: 4.05 for a method outside the scope).
        return request.Method == CoapCode.Get ? new CoapResponse(CoapCode.Content, body, CoapContentFormat.TextPlain) : new CoapResponse(CoapCode.MethodNotAllowed);
    }

    // The project's /authz-info body, { 1 access_token: bstr }; over a session the token must bind the session's key (§4).
    private CoapResponse TakeToken(byte[] body, Peer? session)
    {
        byte[] token;
        try
        {
            var r = new CborReader(body);
            if (r.ReadStartMap() != 1 || r.ReadInt64() != AceParameters.AccessToken)
            {
                return new CoapResponse(CoapCode.BadRequest);
            }

            token = r.ReadByteString();
        }
        catch (CborException)
        {
            return new CoapResponse(CoapCode.BadRequest);
        }

        using var validator = new CwtValidator(PlatformCryptoProvider.Instance, new TestClock(), _rs.Audience);
        validator.TokenProtection = AsKeyPurposes.CoseTagOf(_rs.Protection);
        if (_rs.Protection == TokenProtection.Mac0)
        {
            validator.SetMac0Key(_selection.TokenKey);
        }
        else
        {
            validator.SetEncrypt0Key(_selection.TokenKey);
        }

        using CwtValidationResult v = validator.Validate(token);
        CwtConfirmation c = v.Confirmation;
        if (!v.IsValid || v.Claims.AceProfile != AceProfile.CoapDtls || c.Method != CnfMethod.CoseKey || c.KeyType != CoseKeyType.Ec2 || c.XLength != 32 || c.YLength != 32)
        {
            return new CoapResponse(CoapCode.Unauthorized);
        }

        string name = Convert.ToHexString(c.Buffer.AsSpan(c.XOffset, 32)) + Convert.ToHexString(c.Buffer.AsSpan(c.YOffset, 32));
        if (session != null)
        {
            if (session.ClientKey != name)
            {
                return new CoapResponse(CoapCode.Unauthorized);
            }

            Interlocked.Increment(ref _updates);
            return new CoapResponse(CoapCode.Created);
        }

        _clientKeys[name] = 0;
        Interlocked.Increment(ref _posted);
        return new CoapResponse(CoapCode.Created);
    }

    private CoapResponse Hints()
    {
        byte[] buffer = new byte[256];
        var w = new CborWriter(buffer);
        AsCreationHints.Encode(_asUri, _rs.Audience, null!, 0, 0, w);
        return new CoapResponse(CoapCode.Unauthorized, buffer.AsSpan(0, w.BytesWritten).ToArray(), CoapContentFormat.AceCbor);
    }
}
