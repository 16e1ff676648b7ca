using PopIoT.Core;
#nullable disable
using System;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Crypto;

namespace PopIoT.Core.Tests.Ace;

/// <summary>What the test AS puts in a token (defaults: the happy path of DESIGN.md §2).</summary>
internal sealed class TokenSpec
{
    public string Audience { get; set; } = AceTestSupport.Audience;
    public string Scope { get; set; } = "read";
    public byte[] AifScope { get; set; }
    public long Exp { get; set; } = AceTestSupport.Start + 3600;
    public long Exi { get; set; } = -1;
    public byte[] Cti { get; set; }
    public int Profile { get; set; } = AceProfile.CoapOscore;
    public byte[] Id { get; set; } = [0x01];
    public byte[] MasterSecret { get; set; } = Convert.FromHexString("f9af838368e353e78888e1426bd94e6f");
    public byte[] Salt { get; set; }
    public byte[] ContextId { get; set; }
    public int Alg { get; set; }
    public byte[] Cnonce { get; set; }

    /// <summary>encrypt0 (osc in an Encrypt0), mac0 (Encrypted_COSE_Key in a Mac0), nested (Encrypt0 around Mac0, osc), mac0-osc (osc in clear: refused), mac0-kid (cnf kid, for updates).</summary>
    public string Protection { get; set; } = "encrypt0";
}

/// <summary>The AS keys, the token minting, and the resource layout the tests share.</summary>
internal static class AceTestSupport
{
    public const string Audience = "tempSensor4711";
    public const string AsUri = "coap://as.example.com/token";
    public const long Start = 1_700_000_000;

    public static readonly byte[] AsMacKeyBytes = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    public static readonly byte[] AsEncKeyBytes = Convert.FromHexString("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");

    public static CoseKey AsMacKey() => CoseKey.Symmetric(AsMacKeyBytes, CoseAlgorithm.Hmac256_64.Id, "as-mac"u8.ToArray());

    public static CoseKey AsEncKey() => CoseKey.Symmetric(AsEncKeyBytes, 10, "as-enc"u8.ToArray());

    public static ICryptoProvider Provider(int seed = 9203) => new ManagedCryptoProvider(new SeededRandomSource(seed));

    public static byte[] Mint(TokenSpec s, CoseKey macKey = null, CoseKey encKey = null)
    {
        ICryptoProvider p = Provider(4711);
        macKey ??= AsMacKey();
        encKey ??= AsEncKey();
        using var b = new CwtClaimsBuilder();
        b.SetIssuer("as.example.com");
        b.SetAudience(s.Audience);
        if (s.AifScope != null)
        {
            b.SetScopeEncoded(s.AifScope);
        }
        else if (s.Scope != null)
        {
            b.SetScope(s.Scope);
        }

        if (s.Exp > 0)
        {
            b.SetExpiration(s.Exp);
        }

        if (s.Exi >= 0)
        {
            b.SetExi(s.Exi);
        }

        if (s.Cti != null)
        {
            b.SetCti(s.Cti);
        }

        if (s.Cnonce != null)
        {
            b.SetCnonce(s.Cnonce);
        }

        if (s.Profile != 0)
        {
            b.SetAceProfile(s.Profile);
        }

        switch (s.Protection)
        {
            case "encrypt0":
            {
                b.SetConfirmationOscore(s.Id, s.MasterSecret, 0, 0, s.Alg, s.Salt, s.ContextId);
                using var issuer = new CwtIssuer(p, encKey);
                return issuer.Create(b);
            }

            case "nested":
            {
                b.SetConfirmationOscore(s.Id, s.MasterSecret, 0, 0, s.Alg, s.Salt, s.ContextId);
                using var outer = new CwtIssuer(p, encKey);
                using var inner = new CwtIssuer(p, macKey);
                return outer.CreateNested(inner, b, null);
            }

            case "mac0-osc":
            {
                b.SetConfirmationOscore(s.Id, s.MasterSecret, 0, 0, s.Alg, s.Salt, s.ContextId);
                using var issuer = new CwtIssuer(p, macKey);
                return issuer.Create(b);
            }

            case "mac0-kid":
            {
                // RFC 9203 §4.1 access-rights update: cnf { kid: id } naming the OSCORE_Input_Material already held.
                b.SetConfirmationKid(s.Id);
                using var issuer = new CwtIssuer(p, macKey);
                return issuer.Create(b);
            }

            default:
            {
                var pop = CoseKey.Symmetric(s.MasterSecret, 10, s.Id);
                using var kek = new CoseEncrypt0(p, encKey);
                b.SetConfirmationEncryptedKey(pop, kek, null);
                using var issuer = new CwtIssuer(p, macKey);
                return issuer.Create(b);
            }
        }
    }

    /// <summary>An AIF scope (RFC 9237): [[path, methods], ...].</summary>
    public static byte[] Aif(params (string Path, int Methods)[] entries)
    {
        var w = new System.Formats.Cbor.CborWriter();
        w.WriteStartArray(entries.Length);
        foreach (var (path, methods) in entries)
        {
            w.WriteStartArray(2);
            w.WriteTextString(path);
            w.WriteUInt32((uint)methods);
            w.WriteEndArray();
        }

        w.WriteEndArray();
        return w.Encode();
    }

    public static byte[] Serialize(CoapMessage m)
    {
        byte[] b = new byte[m.GetSerializedLength()];
        m.Serialize(b, 0, b.Length);
        return b;
    }
}

/// <summary>A resource that answers with a fixed code and payload and counts its calls.</summary>
internal sealed class TestResource : ICoapRequestHandler
{
    private readonly byte[] _payload;

    public TestResource(byte code, string payload)
    {
        Code = code;
        _payload = System.Text.Encoding.ASCII.GetBytes(payload);
    }

    public byte Code { get; }

    public int Calls { get; private set; }

    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
    {
        Calls++;
        response.Code = request.Code == CoapCode.Get ? Code : CoapCode.Changed;
        response.SetPayload(_payload, 0, _payload.Length);
        return CoapHandlerResult.Respond;
    }
}

/// <summary>Collects decisions as log lines (what the desktop device prints).</summary>
internal sealed class DecisionLog : IAceDecisionListener
{
    public System.Collections.Generic.List<string> Lines { get; } = new();

    public System.Collections.Generic.List<AceRsError> Errors { get; } = new();

    public void OnDecision(AceDecision decision)
    {
        Lines.Add(decision.ToString());
        Errors.Add(decision.Error);
    }
}

/// <summary>The engine with the demo resources (/temp, /led, /config, /hello) and a message loop without a network.</summary>
internal sealed class AceRig
{
    private readonly CoapMessage _request = new();
    private readonly CoapMessage _response = new();
    private readonly byte[] _wire = new byte[2048];
    private int _mid;

    public AceRig(AceRsSettings settings = null, ICryptoProvider provider = null, bool log = false)
    {
        settings ??= new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri);
        Settings = settings;
        Server = new AceResourceServer(settings, provider ?? AceTestSupport.Provider());
        Server.SetEncrypt0Key(AceTestSupport.AsEncKey());
        Server.SetMac0Key(AceTestSupport.AsMacKey());
        Server.SetCnfDecryptionKey(AceTestSupport.AsEncKey());
        Temp = new TestResource(CoapCode.Content, "22.5 C");
        Led = new TestResource(CoapCode.Content, "on");
        Config = new TestResource(CoapCode.Content, "cfg");
        Hello = new TestResource(CoapCode.Content, "hello");
        Server.AddProtectedResource("/temp", CoapMethods.Get, Temp);
        Server.AddProtectedResource("/led", CoapMethods.Get | CoapMethods.Put, Led);
        Server.AddProtectedResource("/config", CoapMethods.Put | CoapMethods.Get, Config);
        Server.AddUnprotectedResource("/hello", CoapMethods.Get, Hello);
        Server.AddScope("read", "/temp", CoapMethods.Get);
        Server.AddScope("read", "/led", CoapMethods.Get);
        Server.AddScope("write", "/led", CoapMethods.Put);
        Server.AddScope("admin", "/config", CoapMethods.Put | CoapMethods.Get);
        if (log)
        {
            Log = new DecisionLog();
            Server.Listener = Log;
        }

        Server.Tick(settings.HasClock ? AceTestSupport.Start : 0);
    }

    public AceRsSettings Settings { get; }

    public AceResourceServer Server { get; }

    public TestResource Temp { get; }

    public TestResource Led { get; }

    public TestResource Config { get; }

    public TestResource Hello { get; }

    public DecisionLog Log { get; }

    /// <summary>The security binding the engine attached to the request it handled last (null: unprotected).</summary>
    public RequestSecurity Security => _request.Security;

    /// <summary>Sends a datagram to the engine and returns the serialized response.</summary>
    public byte[] Exchange(int peer, byte[] datagram)
    {
        if (_request.Parse(datagram, 0, datagram.Length) != CoapParseError.None)
        {
            throw new InvalidOperationException("request does not parse");
        }

        _response.Reset();
        _response.Type = CoapMessageType.Acknowledgement;
        _response.MessageId = _request.MessageId;
        _response.CopyTokenFrom(_request);
        Server.HandleRequest(peer, _request, _response);
        int n = _response.Serialize(_wire, 0, _wire.Length);
        byte[] r = new byte[n];
        Array.Copy(_wire, r, n);
        return r;
    }

    /// <summary>Sends a datagram and returns the response code, without allocating (for the allocation tests).</summary>
    public byte ExchangeCode(int peer, byte[] datagram)
    {
        _request.Parse(datagram, 0, datagram.Length);
        _response.Reset();
        _response.Type = CoapMessageType.Acknowledgement;
        _response.MessageId = _request.MessageId;
        _response.CopyTokenFrom(_request);
        Server.HandleRequest(peer, _request, _response);
        _response.Serialize(_wire, 0, _wire.Length);
        return _response.Code;
    }

    public CoapMessage Send(int peer, CoapMessage request)
    {
        request.MessageId = ++_mid & 0xFFFF;
        var m = new CoapMessage();
        byte[] r = Exchange(peer, AceTestSupport.Serialize(request));
        m.Parse(r, 0, r.Length);
        return m;
    }

    public CoapMessage PostAuthzInfo(int peer, byte[] payload, bool contentFormat = true)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Post };
        m.SetToken([0xA1], 0, 1);
        m.AddUriPath("/authz-info");
        if (contentFormat)
        {
            m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor);
        }

        m.SetPayload(payload, 0, payload.Length);
        return Send(peer, m);
    }

    public static AceRsError Reason(CoapMessage response)
    {
        Xunit.Assert.True(AceErrorResponse.TryParse(response.PayloadBuffer, response.PayloadOffset, response.PayloadLength, out _, out string d));
        return Enum.Parse<AceRsError>(d);
    }
}

/// <summary>A client of the ACE OSCORE profile built only from the Core client helpers (what the desktop reuses).</summary>
internal sealed class AceTestClient
{
    private readonly OscoreProcessor _processor = new();
    private readonly OscoreExchange _exchange = new();
    private readonly ICryptoProvider _provider = AceTestSupport.Provider(77);
    private readonly int _peer;

    public AceTestClient(int peer, TokenSpec spec, byte[] clientId = null)
    {
        _peer = peer;
        Spec = spec;
        Token = AceTestSupport.Mint(spec);
        ClientId = clientId ?? [(byte)(0x40 + peer)];
    }

    public TokenSpec Spec { get; }

    public int Peer => _peer;

    public byte[] Token { get; set; }

    public byte[] ClientId { get; }

    public byte[] Nonce1 { get; private set; }

    public SecurityContext Context { get; private set; }

    public CoapMessage LastResponse { get; private set; }

    /// <summary>Posts the token with a fresh nonce1, and on 2.01 derives the context (RFC 9203 §4.1–§4.3).</summary>
    public byte Post(AceRig rig)
    {
        Nonce1 = new byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(Nonce1);
        CoapMessage r = rig.PostAuthzInfo(_peer, AuthzInfoRequest.Encode(Token, Nonce1, ClientId));
        LastResponse = r;
        if (r.Code == CoapCode.Created)
        {
            Xunit.Assert.True(AuthzInfoResponse.TryParse(r.PayloadBuffer, r.PayloadOffset, r.PayloadLength, out byte[] n2, out byte[] serverId));
            Context = AceOscoreSetup.CreateClientContext(_provider, new AceOscoreInput(Spec.MasterSecret, Spec.Salt, Spec.ContextId, Spec.Alg, 32), Nonce1, n2, ClientId, serverId);
        }

        return r.Code;
    }

    /// <summary>Builds a protected request (serialized), without sending it.</summary>
    public byte[] Protect(byte method, string path, string payload = null, int mid = 1) =>
        ProtectBytes(method, path, payload == null ? null : System.Text.Encoding.ASCII.GetBytes(payload), mid);

    /// <summary>Builds a protected request with a binary payload (Content-Format ace+cbor when given).</summary>
    public byte[] ProtectBytes(byte method, string path, byte[] payload, int mid = 1)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = method, MessageId = mid };
        m.SetToken([0x7, (byte)_peer], 0, 2);
        m.AddUriPath(path);
        if (payload != null)
        {
            m.SetPayload(payload, 0, payload.Length);
        }

        if (_processor.ProtectRequest(m, Context, false, _exchange) != OscoreStatus.Ok)
        {
            throw new InvalidOperationException("protect failed");
        }

        return AceTestSupport.Serialize(m);
    }

    /// <summary>Sends a protected request and returns the inner code of a protected response, or the outer code of an unprotected one.</summary>
    public byte Request(AceRig rig, byte method, string path, string payload = null)
    {
        return Receive(rig.Exchange(_peer, Protect(method, path, payload)));
    }

    public byte Receive(byte[] datagram)
    {
        var r = new CoapMessage();
        r.Parse(datagram, 0, datagram.Length);
        LastResponse = r;
        if (!r.HasOption(CoapOptionNumber.Oscore))
        {
            return r.Code;
        }

        if (_processor.UnprotectResponse(r, _exchange) != OscoreStatus.Ok)
        {
            throw new InvalidOperationException("response does not verify");
        }

        return r.Code;
    }
}
