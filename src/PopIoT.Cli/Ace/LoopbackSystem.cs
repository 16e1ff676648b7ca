using System.Globalization;
using System.Net;
using PopIoT.Ace;
using PopIoT.AuthorizationServer;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Ace;
using PopIoT.Core.Cose;
using PopIoT.Cose;
using PopIoT.Crypto;
using PopIoT.Device;

namespace PopIoT.Cli.Ace;

/// <summary>
/// The whole system in one process on loopback, for <c>popiot demo</c> and <c>popiot bench ace</c>: an AS with a
/// temporary SQLite database, "sensor-a" (with a clock) and "sensor-b" (without one), each with its own AS–RS key, and a
/// client "gateway-1" granted GET on /temp and /led of sensor-a (AIF) and "read" on sensor-b. Disposing removes it all.
/// </summary>
internal sealed class LoopbackSystem : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("popiot-demo-").FullName;

    /// <param name="clock">The time source of the AS and the devices.</param>
    /// <param name="decisions">Receives each device's security decisions, or null.</param>
    /// <param name="admission">False turns the devices' /authz-info rate limits and eviction protection off (docs/ace-rs.md,
    /// "Admission"): for a benchmark that brings up a new gateway per measurement, far faster than real clients come.</param>
    public LoopbackSystem(TimeProvider clock, Action<string, SecurityDecision>? decisions = null, bool admission = true)
    {
        DatabasePath = Path.Combine(_dir, "as.db");
        Store = SqliteAuthorizationStore.Create(DatabasePath);
        var registry = new AuthorizationServerRegistry(Store, PlatformCryptoProvider.Instance.Random);
        ResourceServerRecord rsA = registry.AddResourceServer("sensor-a");
        ResourceServerRecord rsB = registry.AddResourceServer("sensor-b", hasClock: false);
        registry.AddClient("gateway-1");
        registry.Grant("gateway-1", "sensor-a", AccessScope.Parse("""[["/temp",1],["/led",1]]"""));
        registry.Grant("gateway-1", "sensor-b", AccessScope.Parse("read"));

        As = new AceAuthorizationServer(Store, new AuthorizationServerSettings(), PlatformCryptoProvider.Instance, clock);
        IPEndPoint asAt = As.Start(new IPEndPoint(IPAddress.Loopback, 0));
        AsUri = new Uri("coap://127.0.0.1:" + asAt.Port.ToString(CultureInfo.InvariantCulture));
        DeviceA = Device("sensor-a", rsA, true, clock, decisions, admission);
        DeviceB = Device("sensor-b", rsB, false, clock, decisions, admission);
        BaseA = new Uri("coap://127.0.0.1:" + DeviceA.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture));
        BaseB = new Uri("coap://127.0.0.1:" + DeviceB.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture));

        ClientCredential = Path.Combine(_dir, "gateway-1.json");
        OscoreCredential c = Store.FindClient("gateway-1")!.Credential;
        AceCredentialFile.Write(ClientCredential, false, "gateway-1", AsUri, c.PeerSenderId, c.AsSenderId, c.MasterSecret, c.MasterSalt, c.Algorithm);
        SensorACredential = Path.Combine(_dir, "sensor-a.json");
        OscoreCredential a = rsA.Credential!;
        AceCredentialFile.Write(SensorACredential, true, "sensor-a", AsUri, a.PeerSenderId, a.AsSenderId, a.MasterSecret, a.MasterSalt, a.Algorithm);
    }

    public string DatabasePath { get; }

    public IAuthorizationStore Store { get; }

    public AceAuthorizationServer As { get; }

    public Uri AsUri { get; }

    public SimulatedDevice DeviceA { get; }

    public SimulatedDevice DeviceB { get; }

    public Uri BaseA { get; }

    public Uri BaseB { get; }

    /// <summary>gateway-1's ID.json.</summary>
    public string ClientCredential { get; }

    /// <summary>sensor-a's RS.json, for introspection.</summary>
    public string SensorACredential { get; }

    public void Dispose()
    {
        DeviceA.Dispose();
        DeviceB.Dispose();
        As.Dispose();
        Store.Dispose();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    private SimulatedDevice Device(string audience, ResourceServerRecord rs, bool hasClock, TimeProvider clock, Action<string, SecurityDecision>? decisions, bool admission)
    {
        if (CoseKeySet.Decode(AuthorizationServerRegistry.KeysForResourceServer(rs), out IReadOnlyList<CoseKey> keys) != CoseError.None)
        {
            throw new IOException("the AS-RS key of " + audience + " does not decode");
        }

        var d = new SimulatedDevice(new SimulatedDeviceOptions
        {
            Audience = audience,
            AsKeys = keys,
            AsUri = AsUri.ToString().TrimEnd('/') + "/token",
            HasClock = hasClock,
            Time = clock,
            DecisionLogged = decisions == null ? null : x => decisions(audience, x),
            EvictionProtectionSeconds = admission ? AceRsSettings.DefaultEvictionProtectionSeconds : 0,
            AuthzInfoPeerBurst = admission ? 4 : 0,
            AuthzInfoBurst = admission ? 16 : 0,
        });
        d.Start(new IPEndPoint(IPAddress.Loopback, 0));
        return d;
    }
}
