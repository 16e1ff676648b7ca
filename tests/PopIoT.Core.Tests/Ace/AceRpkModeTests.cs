#nullable disable
using System;
using System.Collections.Generic;
using System.Formats.Cbor;
using System.Security.Cryptography;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Device;
using PopIoT.Core.Dtls;
using PopIoT.Core.Tests.Device;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// The coap_dtls profile's RPK mode in Core (RFC 9202 §3.2), with the host's raw-public-key DTLS replaced by a recorder
/// (<see cref="HostSessions"/>; the desktop's BouncyCastle side is tested in PopIoT.Tests): which cnf keys are taken,
/// the key found and bound only through the host's handshake, never handed out as a PSK, requests over the session
/// authorised by its token, updates over the session, and the session closed when its token goes.
/// </summary>
[Collection(AceSerialCollection.Name)]
public class AceRpkModeTests
{
    private static readonly byte[] X = Fill(32, 0x31);
    private static readonly byte[] Y = Fill(32, 0x32);
    private static readonly DatagramAddress Host9 = Address(9);

    [Fact]
    public void A_posted_token_binds_the_session_of_the_key_in_its_cnf_and_its_scope_decides_each_request()
    {
        (DeviceRuntimeRig rig, HostSessions host) = Rig();
        Assert.Equal(CoapCode.Created, Post(rig, 2, Token(Key(X, Y), "read")).Code);

        int peer = rig.Runtime.AdmitRawPublicKeyPeer(Host9);
        Assert.True(rig.Runtime.RawPublicKeyOffered(peer, Xy(X, Y)));
        Assert.Equal(AceDecisionKind.RawPublicKeyAccepted, rig.Runtime.Engine.LastDecision.Kind);
        host.Open(peer);
        Assert.True(rig.Runtime.RawPublicKeyConnected(peer, Xy(X, Y)));

        Assert.Equal(CoapCode.Content, host.Request(rig.Runtime, peer, CoapCode.Get, "temp").Code);
        Assert.Equal(CoapCode.MethodNotAllowed, host.Request(rig.Runtime, peer, CoapCode.Put, "led").Code);
        Assert.Equal(CoapCode.Forbidden, host.Request(rig.Runtime, peer, CoapCode.Put, "config").Code);
        Assert.False(rig.Peripherals.LedOn);

        // Nothing went out in the clear: every answer went through the host's session.
        Assert.Empty(rig.Socket.SentSince(0, 9));
    }

    [Fact]
    public void Another_key_finds_nothing_and_binds_nothing()
    {
        (DeviceRuntimeRig rig, HostSessions host) = Rig();
        Assert.Equal(CoapCode.Created, Post(rig, 2, Token(Key(X, Y), "read")).Code);
        int peer = rig.Runtime.AdmitRawPublicKeyPeer(Host9);
        byte[] otherY = Fill(32, 0x33);

        Assert.False(rig.Runtime.RawPublicKeyOffered(peer, Xy(X, otherY)));
        Assert.Equal(AceDecisionKind.RawPublicKeyRefused, rig.Runtime.Engine.LastDecision.Kind);
        Assert.Equal(AceRsError.RpkKeyUnknown, rig.Runtime.Engine.LastDecision.Error);
        host.Open(peer);
        Assert.False(rig.Runtime.RawPublicKeyConnected(peer, Xy(X, otherY)));
        Assert.Equal(CoapCode.Unauthorized, host.Request(rig.Runtime, peer, CoapCode.Get, "temp").Code);

        // Not 64 bytes: no key at all.
        Assert.False(rig.Runtime.RawPublicKeyOffered(peer, new ByteRange(new byte[63], 0, 63)));
    }

    [Theory]
    [InlineData("d", "ConfirmationInvalid")]
    [InlineData("no-y", "ConfirmationInvalid")]
    [InlineData("p384", "RpkKeyInvalid")]
    [InlineData("short-x", "RpkKeyInvalid")]
    [InlineData("alg-eddsa", "RpkKeyInvalid")]
    [InlineData("okp", "RpkKeyInvalid")]
    public void A_cnf_key_that_is_not_a_public_p256_key_is_refused_with_its_reason(string form, string reason)
    {
        (DeviceRuntimeRig rig, _) = Rig();
        byte[] key = form switch
        {
            "d" => Key(X, Y, d: Fill(32, 7)),
            "no-y" => Key(X, null),
            "p384" => Key(Fill(48, 1), Fill(48, 2), crv: 2),
            "short-x" => Key(Fill(31, 1), Y),
            "alg-eddsa" => Key(X, Y, alg: -8),
            _ => Okp(X),
        };
        CoapMessage r = Post(rig, 2, Token(key, "read"));
        Assert.Equal(CoapCode.BadRequest, r.Code);
        Assert.Equal(reason, AceRig.Reason(r).ToString());
        Assert.Equal(0, rig.Runtime.Engine.ActiveSlots);
    }

    [Fact]
    public void An_rpk_token_at_a_psk_only_device_is_refused_as_rpk_not_served()
    {
        (DeviceRuntimeRig rig, _) = Rig(rpk: false);
        CoapMessage r = Post(rig, 2, Token(Key(X, Y), "read"));
        Assert.Equal(CoapCode.BadRequest, r.Code);
        Assert.Equal(AceRsError.RpkNotServed, AceRig.Reason(r));
        Assert.Equal(AceErrorCode.UnsupportedPopKey, AceRsErrors.GetAceErrorCode(AceRsError.RpkNotServed));
        Assert.Throws<InvalidOperationException>(() => rig.Runtime.RawPublicKeySessions = new HostSessions());
    }

    [Fact]
    public void An_rpk_slot_is_never_a_psk_neither_by_its_kid_nor_as_a_token_identity()
    {
        (DeviceRuntimeRig rig, _) = Rig();
        byte[] kid = [0x3d, 0x02];
        byte[] token = Token(Key(X, Y, kid: kid), "read");
        Assert.Equal(CoapCode.Created, Post(rig, 2, token).Code);

        // The slot keeps SHA-256(x ‖ y), which anyone can compute from the public key: it must never serve as a PSK.
        byte[] keyId = SHA256.HashData(Xy(X, Y).Buffer);
        var byKid = new DtlsRuntimeClient(rig, 3);
        Assert.False(byKid.Connect(AceDtlsSupport.KidIdentity(kid), keyId));
        Assert.Equal(AceRsError.PskIdentityInvalid, rig.Runtime.Engine.LastDecision.Error);
        var byToken = new DtlsRuntimeClient(rig, 4);
        Assert.False(byToken.Connect(token, keyId[..16]));
        Assert.Equal(AceRsError.UnsupportedConfirmation, rig.Runtime.Engine.LastDecision.Error);
        Assert.Equal(0, rig.Runtime.Dtls.SessionCount);
    }

    [Fact]
    public void Rights_are_updated_over_the_session_only_and_the_session_closes_when_its_token_expires()
    {
        (DeviceRuntimeRig rig, HostSessions host) = Rig();
        Assert.Equal(CoapCode.Created, Post(rig, 2, Token(Key(X, Y), "read", exp: AceTestSupport.Start + 100)).Code);
        int peer = Connect(rig, host);

        // RFC 9202 §3.4: in the clear, a new token for a held key is refused; over the session it updates the rights.
        byte[] write = Token(Key(X, Y), "write", exp: AceTestSupport.Start + 200);
        Assert.Equal(AceRsError.UpdateNotProtected, AceRig.Reason(Post(rig, 2, write)));
        Assert.Equal(CoapCode.Created, host.Request(rig.Runtime, peer, CoapCode.Post, "authz-info", AuthzInfoRequest.Encode(write, null, null)).Code);
        Assert.Equal(CoapCode.Changed, host.Request(rig.Runtime, peer, CoapCode.Put, "led", "on"u8.ToArray()).Code);

        // A token for another key over this session changes nothing.
        byte[] admin = Token(Key(X, Fill(32, 0x34)), "admin");
        Assert.Equal(AceRsError.UpdateFromWrongContext, AceRig.Reason(host.Request(rig.Runtime, peer, CoapCode.Post, "authz-info", AuthzInfoRequest.Encode(admin, null, null))));

        // The updated token ends at Start + 200: the tick after it closes the host's session.
        rig.Clock.Advance(150_000);
        rig.Runtime.Tick();
        Assert.Empty(host.Closed);
        rig.Clock.Advance(60_000);
        rig.Runtime.Tick();
        Assert.Equal([peer], host.Closed);
        Assert.Equal(0, rig.Runtime.Engine.ActiveSlots);
    }

    [Fact]
    public void A_second_session_with_the_same_key_takes_the_binding_and_the_first_is_closed()
    {
        (DeviceRuntimeRig rig, HostSessions host) = Rig();
        Assert.Equal(CoapCode.Created, Post(rig, 2, Token(Key(X, Y), "read")).Code);
        int first = Connect(rig, host);
        int second = rig.Runtime.AdmitRawPublicKeyPeer(Address(10));
        host.Open(second);
        Assert.True(rig.Runtime.RawPublicKeyConnected(second, Xy(X, Y)));
        rig.Runtime.Tick();
        Assert.Equal([first], host.Closed);
        Assert.Equal(CoapCode.Content, host.Request(rig.Runtime, second, CoapCode.Get, "temp").Code);
    }

    [Fact]
    public void A_slot_whose_session_is_in_use_is_kept_from_eviction_as_a_psk_slot_is()
    {
        (DeviceRuntimeRig rig, HostSessions host) = Rig(slots: 1);
        Assert.Equal(CoapCode.Created, Post(rig, 2, Token(Key(X, Y), "read")).Code);
        int peer = Connect(rig, host);
        Assert.Equal(CoapCode.Content, host.Request(rig.Runtime, peer, CoapCode.Get, "temp").Code);

        // docs/ace-rs.md, "Admission": the session proved possession just now, so a new token finds the table full.
        CoapMessage full = Post(rig, 3, Token(Key(X, Fill(32, 0x35)), "read"));
        Assert.Equal(CoapCode.ServiceUnavailable, full.Code);
        Assert.Equal(AceRsError.TableFull, AceRig.Reason(full));
        Assert.Equal(CoapCode.Content, host.Request(rig.Runtime, peer, CoapCode.Get, "temp").Code);

        // Once it idled past the protection time, the new token evicts it, and the session, whose token went, is closed
        // (RFC 9202 §3.4).
        rig.Clock.Advance((AceRsSettings.DefaultEvictionProtectionSeconds + 1) * 1000L);
        Assert.Empty(host.Closed);
        Assert.Equal(CoapCode.Created, Post(rig, 3, Token(Key(X, Fill(32, 0x35)), "read")).Code);
        Assert.Equal([peer], host.Closed);
        Assert.Equal(1, rig.Runtime.Engine.Evictions);
    }

    [Fact]
    public void An_observation_over_the_session_is_notified_through_it_and_ends_with_the_session()
    {
        (DeviceRuntimeRig rig, HostSessions host) = Rig();
        Assert.Equal(CoapCode.Created, Post(rig, 2, Token(Key(X, Y), "read")).Code);
        int peer = Connect(rig, host);
        CoapMessage registered = host.Request(rig.Runtime, peer, CoapCode.Get, "temp", observe: true);
        Assert.Equal(CoapCode.Content, registered.Code);
        Assert.Equal(1, rig.Runtime.ObserverCount);

        // RFC 7641 §4.2 over the session (RFC 9200 §5.10.2: the token still grants GET /temp).
        rig.Peripherals.CentiCelsius = 2300;
        int before = host.SentCount;
        Assert.Equal(1, rig.Runtime.NotifyObservers("/temp"));
        Assert.Equal(before + 1, host.SentCount);
        Assert.Empty(rig.Socket.SentSince(0, 9));

        // The host's session ends: the observation goes with it.
        host.Close(peer);
        rig.Runtime.RawPublicKeySessionClosed(peer);
        Assert.Equal(0, rig.Runtime.ObserverCount);
    }

    [Fact]
    public void The_settings_tie_rpk_mode_to_the_dtls_profile_and_a_room_for_the_key_id()
    {
        var s = new AceRsSettings("a", "coap://as") { ServesRpk = true };
        Assert.Contains("ServesDtls", Assert.Throws<ArgumentException>(s.Validate).Message, StringComparison.Ordinal);
        s.ServesDtls = true;
        s.MaxPskLength = 16;
        Assert.Contains("MaxPskLength", Assert.Throws<ArgumentException>(s.Validate).Message, StringComparison.Ordinal);
        s.MaxPskLength = 32;
        s.Validate();
        Assert.True(s.ServesRpk && s.ServesDtls && s.ServesOscore);
        Assert.False(new AceRsSettings("a", "coap://as").ServesRpk);
    }

    private static int Connect(DeviceRuntimeRig rig, HostSessions host)
    {
        int peer = rig.Runtime.AdmitRawPublicKeyPeer(Host9);
        Assert.True(rig.Runtime.RawPublicKeyOffered(peer, Xy(X, Y)));
        host.Open(peer);
        Assert.True(rig.Runtime.RawPublicKeyConnected(peer, Xy(X, Y)));
        return peer;
    }

    private static (DeviceRuntimeRig, HostSessions) Rig(bool rpk = true, int slots = 8)
    {
        var ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) { ServesDtls = true, ServesOscore = false, ServesRpk = rpk, Slots = slots };
        var settings = new DeviceRuntimeSettings
        {
            Ace = ace,
            Dtls = new DtlsSettings { MaxSessions = 4, MaxHandshakes = 2, MaxIdentityLength = 512, DatagramSize = 1232 },
        };
        var rig = new DeviceRuntimeRig(settings);
        Assert.True(rig.Runtime.Start());
        var host = new HostSessions();
        if (rpk)
        {
            rig.Runtime.RawPublicKeySessions = host;
        }

        return (rig, host);
    }

    private static CoapMessage Post(DeviceRuntimeRig rig, int client, byte[] token) =>
        rig.Request(client, CoapCode.Post, "/authz-info", AuthzInfoRequest.Encode(token, null, null), m => m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor));

    // A Mac0 coap_dtls token whose cnf is {1: key} (RFC 8747 §3.2), the claims and the key's bytes as given
    // (System.Formats.Cbor), so that keys the builders would refuse can be tried.
    private static byte[] Token(byte[] coseKey, string scope, long exp = AceTestSupport.Start + 3600)
    {
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteStartMap(6);
        w.WriteInt32(1);
        w.WriteTextString("as.example.com");
        w.WriteInt32(3);
        w.WriteTextString(AceTestSupport.Audience);
        w.WriteInt32(4);
        w.WriteInt64(exp);
        w.WriteInt32(9);
        w.WriteTextString(scope);
        w.WriteInt32(38);
        w.WriteInt32(AceProfile.CoapDtls);
        w.WriteInt32(8);
        w.WriteStartMap(1);
        w.WriteInt32(1);
        w.WriteEncodedValue(coseKey);
        w.WriteEndMap();
        w.WriteEndMap();
        byte[] claims = w.Encode();
        using var mac = new CoseMac0(AceTestSupport.Provider(4713), AceTestSupport.AsMacKey());
        byte[] token = new byte[claims.Length + 64];
        int n = mac.Create(ByteRange.Of(claims), default, false, true, ByteRange.Of(token));
        return token[..n];
    }

    private static byte[] Key(byte[] x, byte[] y, int crv = 1, byte[] d = null, int alg = 0, byte[] kid = null)
    {
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteStartMap(null);
        w.WriteInt32(1);
        w.WriteInt32(2);
        if (kid != null)
        {
            w.WriteInt32(2);
            w.WriteByteString(kid);
        }

        if (alg != 0)
        {
            w.WriteInt32(3);
            w.WriteInt32(alg);
        }

        w.WriteInt32(-1);
        w.WriteInt32(crv);
        w.WriteInt32(-2);
        w.WriteByteString(x);
        if (y != null)
        {
            w.WriteInt32(-3);
            w.WriteByteString(y);
        }

        if (d != null)
        {
            w.WriteInt32(-4);
            w.WriteByteString(d);
        }

        w.WriteEndMap();
        return w.Encode();
    }

    private static byte[] Okp(byte[] x)
    {
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteStartMap(3);
        w.WriteInt32(1);
        w.WriteInt32(1);
        w.WriteInt32(-1);
        w.WriteInt32(6);
        w.WriteInt32(-2);
        w.WriteByteString(x);
        w.WriteEndMap();
        return w.Encode();
    }

    private static ByteRange Xy(byte[] x, byte[] y)
    {
        byte[] xy = new byte[64];
        x.CopyTo(xy, 0);
        y.CopyTo(xy, 32);
        return ByteRange.Of(xy);
    }

    private static byte[] Fill(int n, byte b)
    {
        byte[] a = new byte[n];
        Array.Fill(a, b);
        return a;
    }

    private static DatagramAddress Address(int client)
    {
        var a = new DatagramAddress();
        a.Set([10, 0, 0, (byte)client], 0, 4, 5683);
        return a;
    }

    // The host's raw-public-key sessions, recorded: what the runtime sealed into each, and which it closed.
    private sealed class HostSessions : IRawPublicKeySessions
    {
        private readonly List<int> _open = new();
        private readonly List<(int Peer, byte[] Data)> _sent = new();
        private ushort _mid = 0x3000;

        public List<int> Closed { get; } = new();

        public int SessionCapacity => 4;

        public void Open(int peer) => _open.Add(peer);

        public int EstablishedPeerAt(int index) => index < _open.Count ? _open[index] : -1;

        public bool IsEstablished(int peer) => _open.Contains(peer);

        public bool Send(int peer, byte[] buffer, int offset, int count)
        {
            _sent.Add((peer, buffer.AsSpan(offset, count).ToArray()));
            return _open.Contains(peer);
        }

        public void Close(int peer)
        {
            _open.Remove(peer);
            Closed.Add(peer);
        }

        // One request over the session, as the host hands its plaintext over; the answer the runtime sealed.
        public int SentCount => _sent.Count;

        public CoapMessage Request(DeviceRuntime runtime, int peer, byte code, string path, byte[] payload = null, bool observe = false)
        {
            var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = code, MessageId = _mid++ };
            m.SetToken([(byte)(_mid >> 8), (byte)_mid], 0, 2);
            if (observe)
            {
                m.AddUintOption(CoapOptionNumber.Observe, 0);
            }

            m.AddUriPath(path);
            if (path == "authz-info")
            {
                m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor);
            }

            if (payload != null)
            {
                m.SetPayload(payload, 0, payload.Length);
            }

            byte[] wire = AceTestSupport.Serialize(m);
            int before = _sent.Count;
            runtime.ReceiveOverRawPublicKeySession(peer, ByteRange.Of(wire));
            Assert.Equal(before + 1, _sent.Count);
            Assert.Equal(peer, _sent[^1].Peer);
            var reply = new CoapMessage();
            Assert.Equal(CoapParseError.None, reply.Parse(_sent[^1].Data, 0, _sent[^1].Data.Length));
            return reply;
        }
    }
}
