using System;
using System.Security.Cryptography;

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

using PopIoT.Core;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;

namespace PopIoT.Benchmarks;

/// <summary>
/// The resource-server engine (DESIGN.md §8) in process with the platform provider:
/// <list type="bullet">
/// <item>Request: one OSCORE-protected GET /temp through <see cref="AceResourceServer"/> (parse, context lookup,
/// replay check, decrypt, token lifetime and scope check, resource, protect the 2.05, serialize). Floor: raw platform
/// AES-CCM decrypting a same-size request and encrypting a same-size response. The RS context's replay window is
/// reset before each call so the same datagram can be reused; the check still runs.</item>
/// <item>RequestManaged: the same GET through an engine with the managed provider (a board's path: every context
/// shares one re-keyable AES-CCM, so each request loads two keys). Floor: one keyed managed AES-CCM on the same sizes.</item>
/// <item>AuthzInfo: a POST /authz-info with nonce1 (validate the Mac0 token and its Encrypted_COSE_Key, scope, store,
/// derive a fresh OSCORE context, answer 2.01). The same token is re-posted, so the slot is reused. Floor: raw HMAC
/// over the token plus the three HKDF-SHA256 derivations of RFC 8613 §3.2.1 on the same inputs.</item>
/// </list>
/// Setup prints the sizes of the minted tokens per protection and of the /authz-info exchange.
/// Run: <c>dotnet run -c Release --project tests/PopIoT.Benchmarks -- --filter '*Ace*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class AceBenchmarks
{
    private const string Audience = "tempSensor4711";
    private static readonly byte[] AsMac = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static readonly byte[] AsEnc = Convert.FromHexString("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
    private static readonly byte[] Ms = Convert.FromHexString("f9af838368e353e78888e1426bd94e6f");

    private readonly CoapMessage _request = new();
    private readonly CoapMessage _response = new();
    private readonly byte[] _wire = new byte[1024];
    private readonly byte[] _mac = new byte[32];
    private readonly byte[] _okm = new byte[16];
    private readonly byte[] _info = new byte[SecurityContextDerivation.MaxInfoLength];
    private AceResourceServer _server = null!;
    private AceResourceServer _managedServer = null!;
    private byte[] _managedGet = Array.Empty<byte>();
    private ReplayWindow _managedRsWindow = null!;
    private PopIoT.Core.Crypto.AesCcm _managedCcm = null!;
    private byte[] _get = Array.Empty<byte>();
    private byte[] _post = Array.Empty<byte>();
    private byte[] _token = Array.Empty<byte>();
    private byte[] _masterSalt = Array.Empty<byte>();
    private ReplayWindow _rsWindow = null!;
    private IncrementalHash _hmac = null!;
    private System.Security.Cryptography.AesCcm _ccm = null!;
    private readonly byte[] _nonce = new byte[13];
    private readonly byte[] _cipher = new byte[16];
    private readonly byte[] _plain = new byte[16];
    private readonly byte[] _respPlain = new byte[16];
    private readonly byte[] _respCipher = new byte[16];
    private readonly byte[] _tag = new byte[8];
    private readonly byte[] _aad = new byte[12];

    /// <summary>Sets up the engine, a client context, the datagrams and the floors; prints the sizes.</summary>
    [GlobalSetup]
    public void Setup()
    {
        ICryptoProvider p = PlatformCryptoProvider.Instance;
        var macKey = CoseKey.Symmetric(AsMac, CoseAlgorithm.Hmac256_64.Id, "as-mac"u8.ToArray());
        var encKey = CoseKey.Symmetric(AsEnc, CoseAlgorithm.AesCcm16_64_128.Id, "as-enc"u8.ToArray());
        // AuthzInfoPost posts the same token from one peer over and over: the /authz-info rate limits are off so it
        // measures validation and derivation, not a 4.29 refusal.
        _server = new AceResourceServer(new AceRsSettings(Audience, "coap://as.example.com/token") { AuthzInfoPeerBurst = 0, AuthzInfoBurst = 0 }, p);
        _server.SetMac0Key(macKey);
        _server.SetEncrypt0Key(encKey);
        _server.SetCnfDecryptionKey(encKey);
        _server.AddProtectedResource("/temp", CoapMethods.Get, new Temperature());
        _server.AddScope("read", "/temp", CoapMethods.Get);
        _server.Tick(1_700_000_000);

        byte[] mac0 = Mint(p, macKey, encKey, "mac0");
        byte[] encrypt0 = Mint(p, macKey, encKey, "encrypt0");
        byte[] nested = Mint(p, macKey, encKey, "nested");
        _token = mac0;
        byte[] nonce1 = [1, 2, 3, 4, 5, 6, 7, 8];
        byte[] clientId = [0x41];
        _post = Post(AuthzInfoRequest.Encode(mac0, nonce1, clientId));
        int responseLength = Handle(_post);
        if (_response.Code != CoapCode.Created || !AuthzInfoResponse.TryParse(_response.PayloadBuffer, _response.PayloadOffset, _response.PayloadLength, out byte[] n2, out byte[] sid))
        {
            throw new InvalidOperationException("token refused: " + _server.LastDecision);
        }

        Console.WriteLine($"// SIZE token Mac0 (HMAC 256/64) + cnf Encrypted_COSE_Key: {mac0.Length} bytes");
        Console.WriteLine($"// SIZE token Encrypt0 (AES-CCM-16-64-128) + cnf OSCORE_Input_Material: {encrypt0.Length} bytes");
        Console.WriteLine($"// SIZE token Encrypt0 around Mac0 + cnf OSCORE_Input_Material: {nested.Length} bytes");
        Console.WriteLine($"// SIZE /authz-info exchange (Mac0 token): request datagram {_post.Length} bytes, 2.01 response {responseLength} bytes");

        SecurityContext client = AceOscoreSetup.CreateClientContext(p, new AceOscoreInput(Ms, null, null, 0, 32), nonce1, n2, clientId, sid);
        _get = ProtectedGet(client);
        Handle(_get);
        // A view of the slot's window, taken once (each ReplayWindow call makes one).
        _rsWindow = _request.Security!.Exchange.Context!.ReplayWindow;
        if (_server.LastDecision.Kind != AceDecisionKind.RequestAllowed)
        {
            throw new InvalidOperationException("request refused: " + _server.LastDecision);
        }

        // The device path: the managed provider, whose contexts share one re-keyable AES-CCM (two key loads per request).
        var managed = new ManagedCryptoProvider(PlatformRandomSource.Instance);
        _managedServer = new AceResourceServer(new AceRsSettings(Audience, "coap://as.example.com/token"), managed);
        _managedServer.SetMac0Key(macKey);
        _managedServer.SetCnfDecryptionKey(encKey);
        _managedServer.AddProtectedResource("/temp", CoapMethods.Get, new Temperature());
        _managedServer.AddScope("read", "/temp", CoapMethods.Get);
        _managedServer.Tick(1_700_000_000);
        Handle(_managedServer, _post);
        if (_response.Code != CoapCode.Created || !AuthzInfoResponse.TryParse(_response.PayloadBuffer, _response.PayloadOffset, _response.PayloadLength, out byte[] mn2, out byte[] msid))
        {
            throw new InvalidOperationException("token refused (managed): " + _managedServer.LastDecision);
        }

        _managedGet = ProtectedGet(AceOscoreSetup.CreateClientContext(managed, new AceOscoreInput(Ms, null, null, 0, 32), nonce1, mn2, clientId, msid));
        Handle(_managedServer, _managedGet);
        _managedRsWindow = _request.Security!.Exchange.Context!.ReplayWindow;
        if (_managedServer.LastDecision.Kind != AceDecisionKind.RequestAllowed)
        {
            throw new InvalidOperationException("request refused (managed): " + _managedServer.LastDecision);
        }

        byte[] managedKey = new byte[16];
        RandomNumberGenerator.Fill(managedKey);
        _managedCcm = new PopIoT.Core.Crypto.AesCcm(managedKey, 0, 16, 8, 2);
        _managedCcm.Encrypt(new ByteRange(_nonce, 0, 13), new ByteRange(_plain, 0, 6), _cipher, 0, _tag, 0, ByteRange.Of(_aad));

        Console.WriteLine($"// SIZE protected GET /temp: request {_get.Length} bytes");

        byte[] salt = new byte[AceOscoreSetup.MaxMasterSaltLength];
        int sl = AceOscoreSetup.BuildMasterSalt(default(ByteRange), new ByteRange(nonce1, 0, 8), new ByteRange(n2, 0, 8), salt, 0);
        _masterSalt = salt.AsSpan(0, sl).ToArray();
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, AsMac);
        byte[] key = new byte[16];
        RandomNumberGenerator.Fill(key);
        _ccm = new System.Security.Cryptography.AesCcm(key);
        _ccm.Encrypt(_nonce, _plain.AsSpan(0, 6), _cipher.AsSpan(0, 6), _tag, _aad);
    }

    /// <summary>Floor for a request: raw AES-CCM decrypt of a same-size request and encrypt of a same-size response.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Request")]
    public int RawAesCcm()
    {
        _ccm.Decrypt(_nonce, _cipher.AsSpan(0, 6), _tag, _plain.AsSpan(0, 6), _aad);
        _ccm.Encrypt(_nonce, _respPlain.AsSpan(0, 9), _respCipher.AsSpan(0, 9), _tag, _aad);
        _ccm.Encrypt(_nonce, _plain.AsSpan(0, 6), _cipher.AsSpan(0, 6), _tag, _aad);
        return _plain[0];
    }

    /// <summary>One protected GET through the engine (requests/second = 1 / mean).</summary>
    [Benchmark]
    [BenchmarkCategory("Request")]
    public int ProtectedRequest()
    {
        _rsWindow.Reset();
        return Handle(_get);
    }

    /// <summary>Floor for a request on a board: the managed AES-CCM (one keyed object) on the same sizes.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("RequestManaged")]
    public int RawManagedAesCcm()
    {
        _managedCcm.Decrypt(new ByteRange(_nonce, 0, 13), new ByteRange(_cipher, 0, 6), _tag, 0, _plain, 0, ByteRange.Of(_aad));
        _managedCcm.Encrypt(new ByteRange(_nonce, 0, 13), new ByteRange(_respPlain, 0, 9), _respCipher, 0, _tag, 0, ByteRange.Of(_aad));
        _managedCcm.Encrypt(new ByteRange(_nonce, 0, 13), new ByteRange(_plain, 0, 6), _cipher, 0, _tag, 0, ByteRange.Of(_aad));
        return _plain[0];
    }

    /// <summary>One protected GET through an engine with the managed provider (shared re-keyable AES-CCM).</summary>
    [Benchmark]
    [BenchmarkCategory("RequestManaged")]
    public int ProtectedRequestManaged()
    {
        _managedRsWindow.Reset();
        return Handle(_managedServer, _managedGet);
    }

    /// <summary>Floor for /authz-info: HMAC-SHA256 over the token plus the three HKDF derivations of RFC 8613 §3.2.1.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("AuthzInfo")]
    public int RawHmacAndHkdf()
    {
        _hmac.AppendData(_token);
        _hmac.GetHashAndReset(_mac);
        int n = SecurityContextDerivation.EncodeInfo(ByteRange.Of([0x41]), default, 10, true, 16, _info, 0);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Ms, _okm, _masterSalt, _info.AsSpan(0, n));
        n = SecurityContextDerivation.EncodeInfo(ByteRange.Of([0x00]), default, 10, true, 16, _info, 0);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Ms, _okm, _masterSalt, _info.AsSpan(0, n));
        n = SecurityContextDerivation.EncodeInfo(ByteRange.Of([]), default, 10, false, 13, _info, 0);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Ms, _okm.AsSpan(0, 13), _masterSalt, _info.AsSpan(0, n));
        return _okm[0];
    }

    /// <summary>POST /authz-info with nonces: validate, store (same slot), derive, answer 2.01.</summary>
    [Benchmark]
    [BenchmarkCategory("AuthzInfo")]
    public int AuthzInfoPost() => Handle(_post);

    /// <summary>Releases the keyed objects.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _server.Dispose();
        _managedServer.Dispose();
        _managedCcm.Dispose();
        _hmac.Dispose();
        _ccm.Dispose();
    }

    private static byte[] ProtectedGet(SecurityContext client)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 1 };
        m.AddUriPath("/temp");
        var e = new OscoreExchange();
        new OscoreProcessor().ProtectRequest(m, client, false, e);
        byte[] get = new byte[m.GetSerializedLength()];
        m.Serialize(get, 0, get.Length);
        return get;
    }

    private int Handle(byte[] datagram) => Handle(_server, datagram);

    private int Handle(AceResourceServer server, byte[] datagram)
    {
        _request.Parse(datagram, 0, datagram.Length);
        _response.Reset();
        _response.Type = CoapMessageType.Acknowledgement;
        _response.MessageId = _request.MessageId;
        _response.CopyTokenFrom(_request);
        server.HandleRequest(1, _request, _response);
        return _response.Serialize(_wire, 0, _wire.Length);
    }

    private static byte[] Post(byte[] payload)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post, MessageId = 2 };
        m.SetToken([0xA1], 0, 1);
        m.AddUriPath("/authz-info");
        m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor);
        m.SetPayload(payload, 0, payload.Length);
        byte[] d = new byte[m.GetSerializedLength()];
        m.Serialize(d, 0, d.Length);
        return d;
    }

    private static byte[] Mint(ICryptoProvider p, CoseKey macKey, CoseKey encKey, string protection)
    {
        using var b = new CwtClaimsBuilder();
        b.SetIssuer("as.example.com");
        b.SetAudience(Audience);
        b.SetScope("read");
        b.SetExpiration(1_800_000_000);
        b.SetAceProfile(AceProfile.CoapOscore);
        if (protection == "mac0")
        {
            using var kek = new CoseEncrypt0(p, encKey);
            b.SetConfirmationEncryptedKey(CoseKey.Symmetric(Ms, CoseAlgorithm.AesCcm16_64_128.Id, [0x01]), kek, null);
            using var issuer = new CwtIssuer(p, macKey);
            return issuer.Create(b);
        }

        b.SetConfirmationOscore([0x01], Ms, 0, 0, 0, null, null);
        using var outer = new CwtIssuer(p, encKey);
        if (protection == "encrypt0")
        {
            return outer.Create(b);
        }

        using var inner = new CwtIssuer(p, macKey);
        return outer.CreateNested(inner, b, null);
    }

    private sealed class Temperature : ICoapRequestHandler
    {
        private readonly byte[] _value = "22.5 C"u8.ToArray();

        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
        {
            response.Code = CoapCode.Content;
            response.SetPayload(_value, 0, _value.Length);
            return CoapHandlerResult.Respond;
        }
    }
}
