using System.Collections.Concurrent;
using System.Net;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Cose;
using PopIoT.Core.Cose;
using PopIoT.Crypto;
using PopIoT.Device;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The whole system on UDP loopback: an AS with a temporary SQLite or PostgreSQL database (<see cref="StoreKind"/>), two simulated devices
/// ("sensor-a", "sensor-b") and a gateway client "gw" granted GET on /temp and /led of sensor-a (no PUT) and the text
/// scope "read write" on sensor-b. The AS and the devices share one clock that tests move forward; the gateway may be
/// given its own.
/// </summary>
internal sealed class GatewayWorld : IDisposable
{
    public const string AudienceA = "sensor-a";
    public const string AudienceB = "sensor-b";

    private readonly string _dir = Directory.CreateTempSubdirectory("popiot-gw-").FullName;
    private readonly List<IDisposable> _owned = [];
    private readonly TestStore _database;

    public GatewayWorld(StoreKind kind = StoreKind.Sqlite, int tokenLifetimeSeconds = 3600, string? hintedAs = null, bool clocklessB = false, TokenProtection protectionA = TokenProtection.Encrypt0)
    {
        _database = TestStore.Create(kind, out IAuthorizationStore store);
        Store = store;
        var registry = new AuthorizationServerRegistry(Store, PlatformCryptoProvider.Instance.Random);
        RsA = registry.AddResourceServer(AudienceA, protectionA);
        RsB = registry.AddResourceServer(AudienceB, hasClock: !clocklessB);
        registry.AddClient("gw");
        registry.Grant("gw", AudienceA, AccessScope.Parse("""[["/temp",1],["/led",1]]"""));
        registry.Grant("gw", AudienceB, AccessScope.Parse("read write"));
        As = new AceAuthorizationServer(Store, new AuthorizationServerSettings { TokenLifetimeSeconds = tokenLifetimeSeconds }, PlatformCryptoProvider.Instance, Clock);
        IPEndPoint asAt = As.Start(new IPEndPoint(IPAddress.Loopback, 0));
        AsUri = new Uri("coap://127.0.0.1:" + asAt.Port);
        DeviceA = Device(AudienceA, RsA, hintedAs, true);
        DeviceB = Device(AudienceB, RsB, hintedAs, !clocklessB);
        BaseA = new Uri("coap://127.0.0.1:" + DeviceA.LocalEndPoint!.Port);
        BaseB = new Uri("coap://127.0.0.1:" + DeviceB.LocalEndPoint!.Port);

        ClientCredential = Path.Combine(_dir, "gw.json");
        var client = Store.FindClient("gw")!.Credential;
        AceCredentialFile.Write(ClientCredential, false, "gw", AsUri, client.PeerSenderId, client.AsSenderId, client.MasterSecret, client.MasterSalt, client.Algorithm);
        RsACredential = Path.Combine(_dir, "rs-a.json");
        OscoreCredential a = RsA.Credential!;
        AceCredentialFile.Write(RsACredential, true, AudienceA, AsUri, a.PeerSenderId, a.AsSenderId, a.MasterSecret, a.MasterSalt, a.Algorithm);
    }

    public TestClock Clock { get; } = new();

    public IAuthorizationStore Store { get; }

    /// <summary>The AS database as `popiot --db` takes it.</summary>
    public string Db => _database.Db;

    public ResourceServerRecord RsA { get; }

    public ResourceServerRecord RsB { get; }

    public AceAuthorizationServer As { get; }

    public Uri AsUri { get; }

    public SimulatedDevice DeviceA { get; }

    public SimulatedDevice DeviceB { get; }

    public Uri BaseA { get; }

    public Uri BaseB { get; }

    public string ClientCredential { get; }

    public string RsACredential { get; }

    public ConcurrentQueue<AceClientEvent> Events { get; } = new();

    /// <summary>Every datagram the gateway sent to a device, in order (to replay one).</summary>
    public ConcurrentQueue<(IPEndPoint To, byte[] Datagram)> Sent { get; } = new();

    public AceClient Gateway(TimeProvider? time = null, double refreshFraction = 0.1, TimeSpan? minimumMargin = null)
    {
        var gw = new AceClient(AceCredentialFile.Load(ClientCredential), new AceClientOptions
        {
            Coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(30) },
            Time = time ?? Clock,
            RefreshFraction = refreshFraction,
            MinimumRefreshMargin = minimumMargin ?? TimeSpan.FromSeconds(1),
            Events = Events.Enqueue,
            TransportFactory = () => new RecordingCoapTransport(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0)), (to, d) => Sent.Enqueue((to, d))),
        });
        _owned.Add(gw);
        return gw;
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        DeviceA.Dispose();
        DeviceB.Dispose();
        As.Dispose();
        Store.Dispose();
        _database.Dispose();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    private SimulatedDevice Device(string audience, ResourceServerRecord rs, string? hintedAs, bool hasClock)
    {
        Assert.Equal(CoseError.None, CoseKeySet.Decode(AuthorizationServerRegistry.KeysForResourceServer(rs), out IReadOnlyList<CoseKey> keys));
        var d = new SimulatedDevice(new SimulatedDeviceOptions
        {
            Audience = audience,
            AsKeys = keys,
            AsUri = hintedAs ?? AsUri.ToString().TrimEnd('/') + "/token",
            HasClock = hasClock,
            Time = Clock,
        });
        d.Start(new IPEndPoint(IPAddress.Loopback, 0));
        return d;
    }
}
