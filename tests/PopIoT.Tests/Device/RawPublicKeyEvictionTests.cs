using System.Net;
using System.Net.Sockets;
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
/// The RPK session table's eviction on the simulated device (docs/ace-dtls.md, "RPK mode (desktop)"): the rule of the
/// PSK sessions and the OSCORE slots. A session whose token verified a request within the protection time is kept, a
/// new handshake is refused instead; an idle session, or one whose token went, makes room for the new one. Attacked
/// with independent BouncyCastle clients (<see cref="RawPublicKeyTestClient"/>), on a device whose clock the test moves.
/// </summary>
public sealed class RawPublicKeyEvictionTests : IDisposable
{
    private const string Audience = "sensor-r";
    private const int Protection = 60;
    private readonly CoseKey _mac = CoseKey.Symmetric(Enumerable.Repeat((byte)0x11, 32).ToArray(), CoseAlgorithm.Hmac256_64.Id, null);
    private readonly CoseKey _rsKey;
    private readonly byte[] _rsX;
    private readonly TestClock _clock = new();
    private readonly List<IDisposable> _owned = [];
    private readonly SimulatedDevice _device;
    private ushort _id;

    public RawPublicKeyEvictionTests()
    {
        _rsKey = RawPublicKeyTestClient.NewKeyPair(out _rsX, out _);
        _device = new SimulatedDevice(new SimulatedDeviceOptions
        {
            Audience = Audience,
            AsKeys = [_mac],
            Protection = TokenProtection.Mac0,
            Profile = "dtls",
            RpkKey = _rsKey,
            DtlsSessions = 2,
            DtlsHandshakes = 2,
            EvictionProtectionSeconds = Protection,
            Time = _clock,

            // The test moves the clock; the device ticks when it is called, not on a timer of its own in between.
            ClockTick = TimeSpan.FromSeconds(60),
        });
        _device.Start(new IPEndPoint(IPAddress.Loopback, 0));
    }

    private IPEndPoint Coaps => _device.SecureEndPoint!;

    [Fact]
    public async Task A_flood_of_clients_with_valid_tokens_cannot_push_out_sessions_in_use()
    {
        RawPublicKeyTestClient.Session a = await Open("read");
        RawPublicKeyTestClient.Session b = await Open("read");
        Assert.True(Served(a) && Served(b));

        // Each flooder holds a valid token for its own key and completes its handshake: the table has no room.
        for (int i = 0; i < 4; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(5));
            Assert.True(Served(a) && Served(b), "a session in use stopped serving");
            using RawPublicKeyTestClient.Session flooder = await Open("read");
            Assert.False(Served(flooder), "a flooder was served while every session was in use");
        }

        Assert.True(Served(a) && Served(b));
        Assert.Equal(2, _device.RawPublicKeys!.SessionCount);
        Assert.Equal(0, _device.RawPublicKeys.Evictions);
        Assert.True(_device.RawPublicKeys.SessionsRefused >= 4);
    }

    [Fact]
    public async Task Once_a_session_idles_past_the_protection_time_a_new_client_takes_its_place_and_the_old_one_reconnects()
    {
        RawPublicKeyTestClient owner = Client();
        Assert.Equal(CoapCode.Created, await Post(Mint(owner.PublicCoseKey, "read", 600)));
        RawPublicKeyTestClient.Session a = owner.Connect(Coaps, _rsX);
        Assert.True(Served(a));
        _clock.Advance(TimeSpan.FromSeconds(10));
        RawPublicKeyTestClient.Session b = await Open("read");
        Assert.True(Served(b));

        // Both idle past the protection time: the least recently used (a) goes with close_notify for the newcomer.
        _clock.Advance(TimeSpan.FromSeconds(Protection + 1));
        RawPublicKeyTestClient.Session c = await Open("read");
        Assert.True(Served(c), "the newcomer was refused although an idle session could be evicted");
        Assert.False(Served(a), "the evicted session still served");
        Assert.Equal(1, _device.RawPublicKeys!.Evictions);

        // Its token stays: the old client reconnects, and the idle b (not c, used just now) makes room.
        using RawPublicKeyTestClient.Session again = owner.Connect(Coaps, _rsX);
        Assert.True(Served(again));
        Assert.True(Served(c));
        Assert.False(Served(b));
        Assert.Equal(2, _device.RawPublicKeys.Evictions);
        Assert.Equal(2, _device.RawPublicKeys.SessionCount);
    }

    [Fact]
    public async Task A_session_whose_token_expired_goes_before_an_idle_one_with_a_valid_token()
    {
        RawPublicKeyTestClient.Session a = await Open("read");
        Assert.True(Served(a));
        _clock.Advance(TimeSpan.FromSeconds(Protection - 10));

        // b is used later than a, but its token ends first.
        RawPublicKeyTestClient.Session b = await Open("read", lifetimeSeconds: 60);
        Assert.True(Served(b));
        _clock.Advance(TimeSpan.FromSeconds(61));

        RawPublicKeyTestClient.Session c = await Open("read");
        Assert.True(Served(c), "the newcomer was refused although a session's token had expired");
        Assert.True(Served(a), "the idle session with a valid token went before the one whose token expired");
        Assert.False(Served(b));
        Assert.Equal(2, _device.RawPublicKeys!.SessionCount);
    }

    [Fact]
    public async Task DtlsSessionCount_counts_established_sessions_of_both_modes_and_not_half_open_handshakes()
    {
        Assert.Equal(0, _device.DtlsSessionCount);

        // A PSK ClientHello whose cookie verifies takes a handshake in Core's engine, and then its client goes silent.
        using var raw = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        byte[] hello = DtlsClientHelloRouteTests.ClientHello([0xC0A8], [], [], [0, 0x17, 0, 0]);
        raw.Send(hello, hello.Length, Coaps);
        byte[] verify = await Receive(raw);
        byte[] cookie = verify.AsSpan(28, verify[27]).ToArray();
        byte[] withCookie = DtlsClientHelloRouteTests.ClientHello([0xC0A8], [], cookie, [0, 0x17, 0, 0]);
        raw.Send(withCookie, withCookie.Length, Coaps);
        await Receive(raw);
        Assert.Equal(1, _device.DtlsHandshakeCount);
        Assert.Equal(0, _device.DtlsSessionCount);

        // An RPK session is a session as a PSK one is.
        RawPublicKeyTestClient.Session a = await Open("read");
        Assert.True(Served(a));
        Assert.Equal(1, _device.DtlsSessionCount);
        Assert.Equal(1, _device.DtlsHandshakeCount);
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

    private static async Task<byte[]> Receive(UdpClient raw)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return (await raw.ReceiveAsync(cancel.Token)).Buffer;
    }

    // Whether a GET /temp over the session is answered 2.05; false when the session was closed or nothing came.
    private bool Served(RawPublicKeyTestClient.Session s)
    {
        ushort id = ++_id;
        try
        {
            s.Send(RawPublicKeyDeviceTests.Message(CoapCode.Get, "/temp", id, null, null));
            for (int i = 0; i < 6; i++)
            {
                byte[]? reply = s.Receive(500);
                var m = new CoapMessage();
                if (reply != null && m.Parse(reply, 0, reply.Length) == CoapParseError.None && m.MessageId == id)
                {
                    return m.Code == CoapCode.Content;
                }
            }

            return false;
        }
        catch (Exception e) when (e is IOException or Org.BouncyCastle.Tls.TlsException or InvalidOperationException)
        {
            return false;
        }
    }

    // A new client with a valid token for its own key, posted first, and its session (the handshake itself completes).
    private async Task<RawPublicKeyTestClient.Session> Open(string scope, long lifetimeSeconds = 600)
    {
        RawPublicKeyTestClient client = Client();
        Assert.Equal(CoapCode.Created, await Post(Mint(client.PublicCoseKey, scope, lifetimeSeconds)));
        RawPublicKeyTestClient.Session s = client.Connect(Coaps, _rsX);
        _owned.Add(s);
        return s;
    }

    private RawPublicKeyTestClient Client()
    {
        var c = new RawPublicKeyTestClient();
        _owned.Add(c);
        return c;
    }

    private byte[] Mint(CoseKey clientPublic, string scope, long lifetimeSeconds)
    {
        using var minter = new AccessTokenMinter([_mac]);
        return minter.Mint(new TokenMintRequest
        {
            Audience = Audience,
            Scope = AccessScope.Parse(scope),
            Profile = AceProfile.CoapDtls,
            ClientPublicKey = clientPublic,
            ExpiresInSeconds = lifetimeSeconds,
            Protection = TokenProtection.Mac0,
            Now = _clock.GetUtcNow(),
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
