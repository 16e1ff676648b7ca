using System.Diagnostics;
using System.Net;
using System.Text;
using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Device;
using PopIoT.Testing;
using Xunit;

namespace PopIoT.Tests.Device;

/// <summary>
/// The coap_dtls profile's RPK mode on the simulated device (RFC 9202 §3.2; docs/ace-dtls.md, "RPK mode (desktop)"),
/// attacked with an independent BouncyCastle client (<see cref="RawPublicKeyTestClient"/>) over UDP loopback: the token
/// is posted to /authz-info, the handshake must present the key in its cnf, and the session carries that token's rights
/// and no others.
/// </summary>
public sealed class RawPublicKeyDeviceTests : IDisposable
{
    private const string Audience = "sensor-r";
    private readonly CoseKey _mac = CoseKey.Symmetric(Enumerable.Repeat((byte)0x11, 32).ToArray(), CoseAlgorithm.Hmac256_64.Id, null);
    private readonly CoseKey _rsKey;
    private readonly byte[] _rsX;
    private readonly List<IDisposable> _owned = [];
    private SimulatedDevice _device;

    public RawPublicKeyDeviceTests()
    {
        _rsKey = RawPublicKeyTestClient.NewKeyPair(out _rsX, out _);
        _device = NewDevice("dtls", _rsKey);
    }

    private IPEndPoint Coaps => _device.SecureEndPoint!;

    [Fact]
    public async Task A_token_posted_then_a_handshake_with_its_key_serves_get_and_refuses_what_the_scope_does_not_grant()
    {
        using RawPublicKeyTestClient client = Client();
        Assert.Equal(CoapCode.Created, await Post(Mint(client.PublicCoseKey, "read")));

        using RawPublicKeyTestClient.Session s = client.Connect(Coaps, _rsX);
        CoapMessage temp = Exchange(s, CoapCode.Get, "/temp", 1);
        Assert.Equal(CoapCode.Content, temp.Code);
        Assert.Equal("21.5", Encoding.UTF8.GetString(temp.PayloadBuffer, temp.PayloadOffset, temp.PayloadLength));

        // RFC 9200 §5.10.2 over the session (RFC 9202 §3.4): the scope covers GET /led, not PUT (4.05); /config not at all (4.03).
        Assert.Equal(CoapCode.MethodNotAllowed, Exchange(s, CoapCode.Put, "/led", 2, "on").Code);
        Assert.Equal(CoapCode.Forbidden, Exchange(s, CoapCode.Put, "/config", 3, "x").Code);
        Assert.False(_device.Led);
        Assert.Equal(1, _device.RawPublicKeys!.SessionCount);
        Assert.Contains(_device.Decisions, d => d.Kind == AceDecisionKind.RawPublicKeyAccepted);
    }

    [Fact]
    public async Task A_handshake_with_a_key_other_than_the_tokens_cnf_fails_and_binds_nothing()
    {
        using RawPublicKeyTestClient owner = Client();
        using RawPublicKeyTestClient thief = Client();
        Assert.Equal(CoapCode.Created, await Post(Mint(owner.PublicCoseKey, "read write")));

        Exception e = Assert.ThrowsAny<Exception>(() => thief.Connect(Coaps, _rsX).Dispose());
        Assert.Contains("access_denied", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, _device.RawPublicKeys!.SessionCount);
        Assert.Contains(_device.Decisions, d => d.Kind == AceDecisionKind.RawPublicKeyRefused && d.Reason == AceRsError.RpkKeyUnknown);

        // The owner's token is untouched: its own handshake still works.
        using RawPublicKeyTestClient.Session s = owner.Connect(Coaps, _rsX);
        Assert.Equal(CoapCode.Content, Exchange(s, CoapCode.Get, "/temp", 1).Code);
    }

    [Fact]
    public void Without_a_token_posted_first_the_handshake_fails()
    {
        using RawPublicKeyTestClient client = Client();
        Assert.ThrowsAny<Exception>(() => client.Connect(Coaps, _rsX).Dispose());
        Assert.Equal(0, _device.RawPublicKeys!.SessionCount);
        Assert.Equal(0, _device.ActiveSlots);
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused_at_authz_info_and_the_handshake_then_fails()
    {
        using RawPublicKeyTestClient client = Client();
        Assert.Equal(CoapCode.Forbidden, await Post(Mint(client.PublicCoseKey, "read", audience: "another-rs")));
        Assert.ThrowsAny<Exception>(() => client.Connect(Coaps, _rsX).Dispose());
    }

    [Fact]
    public async Task When_the_token_expires_the_session_is_closed_and_its_rights_are_gone()
    {
        using RawPublicKeyTestClient client = Client();
        Assert.Equal(CoapCode.Created, await Post(Mint(client.PublicCoseKey, "read", lifetimeSeconds: 2)));
        using RawPublicKeyTestClient.Session s = client.Connect(Coaps, _rsX);
        Assert.Equal(CoapCode.Content, Exchange(s, CoapCode.Get, "/temp", 1).Code);

        // RFC 9202 §3.4: the device's clock tick closes the session with close_notify once the token expired.
        Assert.True(WaitUntil(() => _device.RawPublicKeys!.SessionCount == 0, TimeSpan.FromSeconds(15)), "the session outlived its token");
        Assert.ThrowsAny<Exception>(() => Exchange(s, CoapCode.Get, "/temp", 2));
        Assert.Contains(_device.Decisions, d => d.Kind == AceDecisionKind.SlotExpired || d.Kind == AceDecisionKind.SessionClosed);
    }

    [Fact]
    public async Task A_new_token_for_the_same_key_posted_over_the_session_updates_its_rights()
    {
        using RawPublicKeyTestClient client = Client();
        Assert.Equal(CoapCode.Created, await Post(Mint(client.PublicCoseKey, "read")));
        using RawPublicKeyTestClient.Session s = client.Connect(Coaps, _rsX);
        Assert.Equal(CoapCode.MethodNotAllowed, Exchange(s, CoapCode.Put, "/led", 1, "on").Code);

        // RFC 9202 §3.4: the update travels over the session; posted in the clear it is refused.
        byte[] write = Mint(client.PublicCoseKey, "write");
        Assert.Equal(CoapCode.Unauthorized, await Post(write));
        CoapMessage updated = Exchange(s, CoapCode.Post, "/authz-info", 2, AuthzInfoRequest.Encode(write, null, null), CoapContentFormat.AceCbor);
        Assert.Equal(CoapCode.Created, updated.Code);
        Assert.Equal(CoapCode.Changed, Exchange(s, CoapCode.Put, "/led", 3, "on").Code);
        Assert.True(_device.Led);

        // A token for another key over this session is refused, and changes nothing.
        using RawPublicKeyTestClient other = Client();
        CoapMessage foreign = Exchange(s, CoapCode.Post, "/authz-info", 4, AuthzInfoRequest.Encode(Mint(other.PublicCoseKey, "admin"), null, null), CoapContentFormat.AceCbor);
        Assert.Equal(CoapCode.Unauthorized, foreign.Code);
        Assert.Equal(CoapCode.Forbidden, Exchange(s, CoapCode.Put, "/config", 5, "x").Code);
    }

    [Fact]
    public async Task Plain_coap_spoofed_from_the_sessions_address_does_not_get_the_sessions_rights()
    {
        using RawPublicKeyTestClient client = Client();
        Assert.Equal(CoapCode.Created, await Post(Mint(client.PublicCoseKey, "write")));
        using RawPublicKeyTestClient.Session s = client.Connect(Coaps, _rsX);
        Assert.Equal(CoapCode.Content, Exchange(s, CoapCode.Get, "/led", 1).Code);

        // The same address and port, in the clear: dropped (the peer speaks DTLS), so the LED stays off.
        long handled = _device.RequestsHandled;
        s.SendRaw(Message(CoapCode.Put, "/led", 2, Encoding.UTF8.GetBytes("on"), null));
        Assert.Null(s.Receive(300));
        Assert.False(_device.Led);
        Assert.Equal(handled, _device.RequestsHandled);
    }

    [Fact]
    public async Task An_rpk_token_at_a_psk_only_device_is_refused_with_its_reason()
    {
        _device.Dispose();
        _device = NewDevice("dtls", null);
        using RawPublicKeyTestClient client = Client();
        Assert.Equal(CoapCode.BadRequest, await Post(Mint(client.PublicCoseKey, "read")));
        Assert.Contains(_device.Decisions, d => d.Kind == AceDecisionKind.TokenRejected && d.Reason == AceRsError.RpkNotServed);

        // Nor does such a device answer a raw-public-key handshake: Core's PSK engine finds no suite in common.
        Assert.ThrowsAny<Exception>(() => client.Connect(Coaps, _rsX, timeoutMs: 4000).Dispose());
    }

    [Fact]
    public async Task A_client_that_restarts_on_its_port_gets_a_new_session_once_its_cookie_verifies()
    {
        using RawPublicKeyTestClient client = Client();
        Assert.Equal(CoapCode.Created, await Post(Mint(client.PublicCoseKey, "read")));
        RawPublicKeyTestClient.Session first = client.Connect(Coaps, _rsX);
        Assert.Equal(CoapCode.Content, Exchange(first, CoapCode.Get, "/temp", 1).Code);
        int port = first.LocalEndPoint.Port;
        first.Abandon();

        // RFC 6347 §4.2.8: its new ClientHello meets the cookie exchange, and then replaces the old association.
        using RawPublicKeyTestClient.Session second = client.ConnectFrom(port, Coaps, _rsX);
        Assert.Equal(CoapCode.Content, Exchange(second, CoapCode.Get, "/temp", 2).Code);
        Assert.True(WaitUntil(() => _device.RawPublicKeys!.SessionCount == 1, TimeSpan.FromSeconds(10)));
        Assert.Equal(CoapCode.Content, Exchange(second, CoapCode.Get, "/temp", 3).Code);
    }

    [Fact]
    public async Task Byte_varied_and_truncated_client_hellos_take_no_state_and_the_device_serves_on()
    {
        byte[] hello = DtlsClientHelloRouteTests.ClientHello([0xC0AE], [], [], [0, 0x17, 0, 0]);
        var random = new Random(9202);
        using (var raw = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            for (int i = 0; i < 2000; i++)
            {
                byte[] v = hello[..random.Next(1, hello.Length + 1)];
                v[random.Next(v.Length)] = (byte)random.Next(256);
                raw.Send(v, v.Length, Coaps);
            }
        }

        using RawPublicKeyTestClient client = Client();
        Assert.Equal(CoapCode.Created, await Post(Mint(client.PublicCoseKey, "read")));
        using RawPublicKeyTestClient.Session s = client.Connect(Coaps, _rsX);
        Assert.Equal(CoapCode.Content, Exchange(s, CoapCode.Get, "/temp", 1).Code);

        // Only a cookie-verified hello gets state, and none of the varied ones carries a valid cookie: one handshake ran.
        Assert.Equal(1, _device.RawPublicKeys!.PeakHandshakes);
    }

    [Fact]
    public async Task No_session_survives_a_reboot()
    {
        using RawPublicKeyTestClient client = Client();
        Assert.Equal(CoapCode.Created, await Post(Mint(client.PublicCoseKey, "read")));
        using RawPublicKeyTestClient.Session s = client.Connect(Coaps, _rsX);
        Assert.Equal(CoapCode.Content, Exchange(s, CoapCode.Get, "/temp", 1).Code);

        // The same ports, a new device: the old session's records find nothing, and get no answer.
        IPEndPoint coap = _device.LocalEndPoint!;
        _device.Dispose();
        _device = NewDevice("dtls", _rsKey, coap);
        s.Send(Message(CoapCode.Get, "/temp", 2, null, null));
        Assert.Null(s.Receive(1000));
        Assert.Equal(0, _device.RawPublicKeys!.SessionCount);
        Assert.Equal(0, _device.ActiveSlots);
    }

    [Fact]
    public async Task A_handshake_flood_is_capped_and_client_hellos_without_a_cookie_take_no_state()
    {
        // RFC 6347 §4.2.1: a ClientHello without a valid cookie gets a HelloVerifyRequest and nothing else.
        using (var raw = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            byte[] hello = DtlsClientHelloRouteTests.ClientHello([0xC0AE], [], [], []);
            for (int i = 0; i < 200; i++)
            {
                raw.Send(hello, hello.Length, Coaps);
            }

            Assert.True(WaitUntil(() => raw.Available > 0, TimeSpan.FromSeconds(5)), "no HelloVerifyRequest");
        }

        Assert.Equal(0, _device.RawPublicKeys!.Handshakes);
        Assert.Equal(0, _device.PeerCount);

        // Flooders that answer the cookie and then stall: at most DtlsHandshakes (2) handshakes hold state at once.
        _device.Dispose();
        _device = NewDevice("dtls", _rsKey, handshakeTimeout: TimeSpan.FromSeconds(4));
        var flooders = Enumerable.Range(0, 6).Select(_ => Client()).ToArray();
        Task[] flood = flooders.Select(f => Task.Run(() => Assert.ThrowsAny<Exception>(() => f.ConnectAndStall(Coaps, 3000)))).ToArray();
        Assert.True(WaitUntil(() => _device.RawPublicKeys!.HandshakesRefused > 0, TimeSpan.FromSeconds(10)), "no ClientHello was refused");
        await Task.WhenAll(flood);
        Assert.Equal(2, _device.RawPublicKeys!.PeakHandshakes);

        // Once the flood's handshakes timed out, a client with a token gets through.
        Assert.True(WaitUntil(() => _device.RawPublicKeys!.Handshakes == 0, TimeSpan.FromSeconds(15)), "the flood's handshakes were never freed");
        using RawPublicKeyTestClient client = Client();
        Assert.Equal(CoapCode.Created, await Post(Mint(client.PublicCoseKey, "read")));
        using RawPublicKeyTestClient.Session s = client.Connect(Coaps, _rsX);
        Assert.Equal(CoapCode.Content, Exchange(s, CoapCode.Get, "/temp", 1).Code);
    }

    public void Dispose()
    {
        _device.Dispose();
        foreach (IDisposable d in _owned)
        {
            d.Dispose();
        }

        _mac.Dispose();
        _rsKey.Dispose();
    }

    internal static byte[] Message(byte code, string path, ushort id, byte[]? payload, int? format)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = code, MessageId = id };
        m.SetToken([(byte)id, 0x5a], 0, 2);
        foreach (string segment in path.Trim('/').Split('/'))
        {
            m.AddUriPath(segment);
        }

        if (format is int f)
        {
            m.AddUintOption(CoapOptionNumber.ContentFormat, (uint)f);
        }

        if (payload != null)
        {
            m.SetPayload(payload, 0, payload.Length);
        }

        byte[] wire = new byte[1200];
        int n = m.Serialize(wire, 0, wire.Length);
        return wire[..n];
    }

    private static CoapMessage Exchange(RawPublicKeyTestClient.Session s, byte code, string path, ushort id, string payload) =>
        Exchange(s, code, path, id, Encoding.UTF8.GetBytes(payload), null);

    internal static CoapMessage Exchange(RawPublicKeyTestClient.Session s, byte code, string path, ushort id, byte[]? payload = null, int? format = null)
    {
        s.Send(Message(code, path, id, payload, format));
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            byte[]? reply = s.Receive(1000);
            if (reply == null)
            {
                continue;
            }

            var m = new CoapMessage();
            Assert.Equal(CoapParseError.None, m.Parse(reply, 0, reply.Length));
            if (m.MessageId == id)
            {
                return m;
            }
        }

        throw new TimeoutException("no reply over the session to " + path);
    }

    internal static bool WaitUntil(Func<bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(50);
        }

        return condition();
    }

    private RawPublicKeyTestClient Client()
    {
        var c = new RawPublicKeyTestClient();
        _owned.Add(c);
        return c;
    }

    private SimulatedDevice NewDevice(string profile, CoseKey? rpk, IPEndPoint? at = null, TimeSpan? handshakeTimeout = null)
    {
        var device = new SimulatedDevice(new SimulatedDeviceOptions
        {
            Audience = Audience,
            AsKeys = [_mac],
            Protection = TokenProtection.Mac0,
            Profile = profile,
            RpkKey = rpk,
            DtlsSessions = 4,
            DtlsHandshakes = 2,
            RpkHandshakeTimeout = handshakeTimeout ?? TimeSpan.FromSeconds(30),
        });
        device.Start(at ?? new IPEndPoint(IPAddress.Loopback, 0));
        return device;
    }

    private byte[] Mint(CoseKey clientPublic, string scope, string audience = Audience, long lifetimeSeconds = 600)
    {
        using var minter = new AccessTokenMinter([_mac]);
        return minter.Mint(new TokenMintRequest
        {
            Audience = audience,
            Scope = AccessScope.Parse(scope),
            Profile = AceProfile.CoapDtls,
            ClientPublicKey = clientPublic,
            ExpiresInSeconds = lifetimeSeconds,
            Protection = TokenProtection.Mac0,
        }).AccessToken;
    }

    private async Task<byte> Post(byte[] token)
    {
        await using var client = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromSeconds(5) });
        IPEndPoint at = _device.LocalEndPoint!;
        CoapResponse r = await client.PostAsync(new Uri("coap://127.0.0.1:" + at.Port + "/authz-info"), AuthzInfoRequest.Encode(token, null, null), CoapContentFormat.AceCbor);
        return r.Code;
    }
}
