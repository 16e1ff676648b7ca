#nullable disable
using System;
using System.Collections.Generic;
using System.Formats.Cbor;
using System.Security.Cryptography;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;
using PopIoT.Core.Device;
using PopIoT.Core.Dtls;
using PopIoT.Core.Tests.Crypto;
using PopIoT.Core.Tests.Device;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>A coap_dtls token (RFC 9202 §3.3) for the tests.</summary>
internal sealed class DtlsTokenSpec
{
    public string Audience { get; set; } = AceTestSupport.Audience;
    public string Scope { get; set; } = "read";
    public long Exp { get; set; } = AceTestSupport.Start + 3600;
    public long Exi { get; set; } = -1;
    public byte[] Cti { get; set; }
    public int Profile { get; set; } = AceProfile.CoapDtls;
    public byte[] Kid { get; set; } = Convert.FromHexString("3d027833fc6267ce");
    public byte[] Psk { get; set; } = Convert.FromHexString("6162630405060708090a0b0c0d0e0f10");

    /// <summary>encrypt0-key (COSE_Key in an Encrypt0 token), mac0-enckey (Encrypted_COSE_Key in a Mac0), mac0-key (COSE_Key in clear in a Mac0: refused), mac0-kid (kid only: the PSK is derived).</summary>
    public string Form { get; set; } = "encrypt0-key";
}

/// <summary>
/// The one place the tests mint coap_dtls tokens, through Core's CWT and COSE writers (the shared desktop minter learns
/// the coap_dtls cnf forms on the AS's branch), and the independent recomputation of the RFC 9202 §3.3 derivation.
/// </summary>
internal static class AceDtlsSupport
{
    public static readonly byte[] DerivationKeyBytes = Convert.FromHexString("c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf");

    /// <summary>The RFC 9202 §3.3.2 example psk_identity.</summary>
    public static readonly byte[] Rfc9202Identity = Convert.FromHexString("A108A101A2010402483D027833FC6267CE");

    public static CoseKey DerivationKey()
    {
        var k = CoseKey.Symmetric(DerivationKeyBytes, 0, "as-kdk"u8.ToArray());
        k.SetKeyOperations([CoseKeyOperation.DeriveKey]);
        return k;
    }

    public static byte[] Mint(DtlsTokenSpec s)
    {
        ICryptoProvider p = AceTestSupport.Provider(4712);
        using var b = new CwtClaimsBuilder();
        b.SetIssuer("as.example.com");
        b.SetAudience(s.Audience);
        b.SetScope(s.Scope);
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

        if (s.Profile != 0)
        {
            b.SetAceProfile(s.Profile);
        }

        switch (s.Form)
        {
            case "encrypt0-key":
            {
                b.SetConfirmationKey(CoseKey.Symmetric(s.Psk, 0, s.Kid));
                using var issuer = new CwtIssuer(p, AceTestSupport.AsEncKey());
                return issuer.Create(b);
            }

            case "mac0-key":
            {
                b.SetConfirmationKey(CoseKey.Symmetric(s.Psk, 0, s.Kid));
                using var issuer = new CwtIssuer(p, AceTestSupport.AsMacKey());
                return issuer.Create(b);
            }

            case "mac0-kid":
            {
                b.SetConfirmationKid(s.Kid);
                using var issuer = new CwtIssuer(p, AceTestSupport.AsMacKey());
                return issuer.Create(b);
            }

            default:
            {
                using var kek = new CoseEncrypt0(p, AceTestSupport.AsEncKey());
                b.SetConfirmationEncryptedKey(CoseKey.Symmetric(s.Psk, 0, s.Kid), kek, null);
                using var issuer = new CwtIssuer(p, AceTestSupport.AsMacKey());
                return issuer.Create(b);
            }
        }
    }

    /// <summary>RFC 9202 §3.3's example derivation, recomputed with the platform's HKDF and System.Formats.Cbor (not Core's).</summary>
    public static byte[] DerivePsk(byte[] token, int length = 16)
    {
        var w = new CborWriter(CborConformanceMode.Canonical);
        w.WriteStartArray(3);
        w.WriteTextString("ACE-CoAP-DTLS-key-derivation");
        w.WriteInt32(length);
        w.WriteByteString(token);
        w.WriteEndArray();
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, DerivationKeyBytes, length, [], w.Encode());
    }

    /// <summary>The kid form of a psk_identity (RFC 9202 §3.3.2), written with System.Formats.Cbor.</summary>
    public static byte[] KidIdentity(byte[] kid)
    {
        var w = new CborWriter(CborConformanceMode.Canonical);
        w.WriteStartMap(1);
        w.WriteInt32(8);
        w.WriteStartMap(1);
        w.WriteInt32(1);
        w.WriteStartMap(2);
        w.WriteInt32(1);
        w.WriteInt32(4);
        w.WriteInt32(2);
        w.WriteByteString(kid);
        w.WriteEndMap();
        w.WriteEndMap();
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>A device runtime that serves the coap_dtls profile (and OSCORE beside it unless told otherwise).</summary>
    public static DeviceRuntimeRig Rig(bool oscore = false, int sessions = 4, int handshakes = 2, IDeviceStorage storage = null, ManualDeviceClock clock = null, int slots = 8, int seed = 5)
    {
        var ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { ServesDtls = true, ServesOscore = oscore, Slots = slots };
        var settings = new DeviceRuntimeSettings
        {
            Ace = ace,
            Dtls = new DtlsSettings { MaxSessions = sessions, MaxHandshakes = handshakes, MaxIdentityLength = 512, DatagramSize = 1232 },
        };
        var rig = new DeviceRuntimeRig(settings, storage, clock: clock, seed: seed);
        rig.Runtime.Engine.SetDtlsKeyDerivationKey(DerivationKey());
        return rig;
    }
}

/// <summary>
/// A DTLS client of the rig built on Core's engine in the client role: it handshakes with the device through the
/// rig's socket and sends CoAP requests over the session (tests of the RS side; BouncyCastle is the independent peer).
/// </summary>
internal sealed class DtlsRuntimeClient : IDtlsListener
{
    private const int Device = 0;
    private readonly DeviceRuntimeRig _rig;
    private readonly DtlsEngine _engine;
    private readonly Queue<byte[]> _received = new();
    private int _mid = 0x2000;

    public DtlsRuntimeClient(DeviceRuntimeRig rig, int address, int seed = 77)
    {
        _rig = rig;
        Address = address;
        _engine = new DtlsEngine(new DtlsSettings { MaxIdentityLength = 512 }, new ManagedCryptoProvider(new SeededRandomSource(seed + address)), null, this);
    }

    public int Address { get; }

    public bool Connected { get; private set; }

    public int ClosedAlert { get; private set; } = int.MinValue;

    /// <summary>Handshakes with the identity and key; true when it finished.</summary>
    public bool Connect(byte[] identity, byte[] psk)
    {
        ClosedAlert = int.MinValue;
        Assert.True(_engine.Connect(Device, ByteRange.Of(identity), ByteRange.Of(psk), _rig.Clock.MonotonicMilliseconds));
        Pump();
        return Connected;
    }

    /// <summary>Sends a CoAP request over the session and returns the response (null when none came).</summary>
    public CoapMessage Send(byte code, string path, byte[] payload = null, Action<CoapMessage> more = null)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = code, MessageId = _mid++ };
        m.SetToken([(byte)(_mid >> 8), (byte)_mid], 0, 2);
        m.AddUriPath(path);
        if (payload != null)
        {
            m.SetPayload(payload, 0, payload.Length);
        }

        more?.Invoke(m);
        return SendRaw(AceTestSupport.Serialize(m));
    }

    /// <summary>A request sealed into one record of the session, not sent (for measurements and replays).</summary>
    public byte[] Seal(byte code, string path)
    {
        var m = new CoapMessage { Type = CoapMessageType.NonConfirmable, Code = code, MessageId = _mid++ };
        m.SetToken([(byte)(_mid >> 8), (byte)_mid], 0, 2);
        m.AddUriPath(path);
        Assert.True(_engine.Send(Device, ByteRange.Of(AceTestSupport.Serialize(m)), _rig.Clock.MonotonicMilliseconds));
        byte[] buffer = new byte[2048];
        Assert.True(_engine.TryTakeOutgoing(buffer, 0, out int n, out _));
        return buffer.AsSpan(0, n).ToArray();
    }

    public CoapMessage SendRaw(byte[] coap)
    {
        _received.Clear();
        Assert.True(_engine.Send(Device, ByteRange.Of(coap), _rig.Clock.MonotonicMilliseconds), "no established session to send over");
        Pump();
        if (_received.Count == 0)
        {
            return null;
        }

        byte[] data = _received.Dequeue();
        var r = new CoapMessage();
        Assert.Equal(CoapParseError.None, r.Parse(data, 0, data.Length));
        return r;
    }

    /// <summary>Posts a token to /authz-info over the session (RFC 9202 §3.4).</summary>
    public CoapMessage PostToken(byte[] token) => Send(CoapCode.Post, "/authz-info", AuthzInfoRequest.Encode(token, null, null), m => m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor));

    /// <summary>Application data the device sent since the last request (notifications), parsed.</summary>
    public List<CoapMessage> TakeReceived()
    {
        var list = new List<CoapMessage>();
        while (_received.Count > 0)
        {
            byte[] data = _received.Dequeue();
            var r = new CoapMessage();
            Assert.Equal(CoapParseError.None, r.Parse(data, 0, data.Length));
            list.Add(r);
        }

        return list;
    }

    /// <summary>Moves datagrams both ways until neither side has anything to say; then lets the device take what it got.</summary>
    public void Pump()
    {
        byte[] buffer = new byte[2048];
        for (int round = 0; round < 50; round++)
        {
            bool moved = false;
            int queued = 0;
            while (_engine.TryTakeOutgoing(buffer, 0, out int n, out _))
            {
                _rig.Socket.Enqueue(Address, buffer.AsSpan(0, n).ToArray());
                queued++;
                moved = true;
            }

            int before = _rig.Socket.SentCount;
            for (int i = 0; i < Math.Max(1, queued); i++)
            {
                _rig.Runtime.RunOnce();
            }

            foreach (byte[] d in _rig.Socket.RawSince(before, Address))
            {
                _engine.Receive(ByteRange.Of(d), Device, default, _rig.Clock.MonotonicMilliseconds);
                moved = true;
            }

            if (!moved && _engine.OutgoingCount == 0)
            {
                return;
            }
        }
    }

    /// <summary>Feeds the device what it queued for this client without sending anything (e.g. after a tick).</summary>
    public void Collect(int since)
    {
        foreach (byte[] d in _rig.Socket.RawSince(since, Address))
        {
            _engine.Receive(ByteRange.Of(d), Device, default, _rig.Clock.MonotonicMilliseconds);
        }
    }

    public void OnConnected(int peer) => Connected = true;

    public void OnApplicationData(int peer, ByteRange data) => _received.Enqueue(data.Buffer.AsSpan(data.Offset, data.Count).ToArray());

    public void OnClosed(int peer, int alert)
    {
        Connected = false;
        ClosedAlert = alert;
    }
}
