using System.Globalization;
using System.Net;
using System.Net.Sockets;
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
/// client "gateway-1" granted GET on /temp and /led of sensor-a (AIF) and "read" on sensor-b. With the DTLS devices,
/// also "sensor-c" and "sensor-d", which serve the coap_dtls profile only (RFC 9202, PSK mode): sensor-c's PSKs travel
/// inside its COSE_Encrypt0 tokens, sensor-d's are derived from a key derivation key (cnf holds only a kid, RFC 9202
/// §3.3); gateway-1 has "read" on sensor-c (GET /temp and /led) and may GET /temp on sensor-d. Disposing removes it all.
/// </summary>
internal sealed class LoopbackSystem : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("popiot-demo-").FullName;

    /// <param name="clock">The time source of the AS and the devices.</param>
    /// <param name="decisions">Receives each device's security decisions, or null.</param>
    /// <param name="admission">False turns the devices' /authz-info rate limits and eviction protection off (docs/ace-rs.md,
    /// "Admission"): for a benchmark that brings up a new gateway per measurement, far faster than real clients come.</param>
    /// <param name="dtlsDevices">Whether to register and start sensor-c and sensor-d (coap_dtls).</param>
    public LoopbackSystem(TimeProvider clock, Action<string, SecurityDecision>? decisions = null, bool admission = true, bool dtlsDevices = false)
    {
        DatabasePath = Path.Combine(_dir, "as.db");
        Store = SqliteAuthorizationStore.Create(DatabasePath);
        var registry = new AuthorizationServerRegistry(Store, PlatformCryptoProvider.Instance.Random);
        ResourceServerRecord rsA = registry.AddResourceServer("sensor-a");
        ResourceServerRecord rsB = registry.AddResourceServer("sensor-b", hasClock: false);
        ResourceServerRecord? rsC = null;
        ResourceServerRecord? rsD = null;
        if (dtlsDevices)
        {
            rsC = registry.AddResourceServer("sensor-c", dtls: new ResourceServerDtls([AceProfile.CoapDtls]));
            rsD = registry.AddResourceServer("sensor-d", dtls: new ResourceServerDtls([AceProfile.CoapDtls], DerivePsk: true));
        }

        // RFC 9200 §5.8.4.3: the AS picks the first of the client's profiles that the RS supports too.
        registry.AddClient("gateway-1", profiles: [AceProfile.CoapOscore, AceProfile.CoapDtls]);
        registry.Grant("gateway-1", "sensor-a", AccessScope.Parse("""[["/temp",1],["/led",1]]"""));
        registry.Grant("gateway-1", "sensor-b", AccessScope.Parse("read"));
        if (dtlsDevices)
        {
            // A text scope keeps the token, which is also the psk_identity, short (RFC 9202 §3.3.2).
            registry.Grant("gateway-1", "sensor-c", AccessScope.Parse("read"));
            registry.Grant("gateway-1", "sensor-d", AccessScope.Parse("""[["/temp",1]]"""));
        }

        As = new AceAuthorizationServer(Store, new AuthorizationServerSettings(), PlatformCryptoProvider.Instance, clock);
        IPEndPoint asAt = As.Start(new IPEndPoint(IPAddress.Loopback, 0));
        AsUri = new Uri("coap://127.0.0.1:" + asAt.Port.ToString(CultureInfo.InvariantCulture));
        DeviceA = Device("sensor-a", rsA, true, clock, decisions, admission);
        DeviceB = Device("sensor-b", rsB, false, clock, decisions, admission);
        BaseA = new Uri("coap://127.0.0.1:" + DeviceA.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture));
        BaseB = new Uri("coap://127.0.0.1:" + DeviceB.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture));
        if (rsC != null && rsD != null)
        {
            DeviceC = Device("sensor-c", rsC, true, clock, decisions, admission, "dtls");
            DeviceD = Device("sensor-d", rsD, true, clock, decisions, admission, "dtls");
        }

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

    /// <summary>sensor-c (coap_dtls, PSK in Encrypt0 tokens), or null without the DTLS devices.</summary>
    public SimulatedDevice? DeviceC { get; }

    /// <summary>sensor-d (coap_dtls, derived PSKs), or null without the DTLS devices.</summary>
    public SimulatedDevice? DeviceD { get; }

    /// <summary>A DTLS device's plain CoAP base URI (coap://127.0.0.1:P: hints, /authz-info).</summary>
    /// <param name="device">sensor-c or sensor-d.</param>
    /// <returns>The URI.</returns>
    public static Uri PlainBase(SimulatedDevice device) => new("coap://127.0.0.1:" + device.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture));

    /// <summary>A DTLS device's coaps base URI (coaps://127.0.0.1:P+1).</summary>
    /// <param name="device">sensor-c or sensor-d.</param>
    /// <returns>The URI.</returns>
    public static Uri SecureBase(SimulatedDevice device) => new("coaps://127.0.0.1:" + device.SecureEndPoint!.Port.ToString(CultureInfo.InvariantCulture));

    /// <summary>gateway-1's ID.json.</summary>
    public string ClientCredential { get; }

    /// <summary>sensor-a's RS.json, for introspection.</summary>
    public string SensorACredential { get; }

    public void Dispose()
    {
        DeviceA.Dispose();
        DeviceB.Dispose();
        DeviceC?.Dispose();
        DeviceD?.Dispose();
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

    // A device serving coap_dtls listens on P and P + 1 (RFC 7252 §6.1, §6.2: 5683 and 5684, one apart), which is where
    // the gateway looks for coaps:// (docs/ace-dtls.md, "The client"); a free pair is found by trying.
    private static void StartOnPortPair(SimulatedDevice device)
    {
        for (int attempt = 0; ; attempt++)
        {
            int port;
            using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
            }

            if (port >= IPEndPoint.MaxPort)
            {
                continue;
            }

            try
            {
                device.Start(new IPEndPoint(IPAddress.Loopback, port));
                return;
            }
            catch (SocketException) when (attempt < 20)
            {
            }
        }
    }

    private SimulatedDevice Device(string audience, ResourceServerRecord rs, bool hasClock, TimeProvider clock, Action<string, SecurityDecision>? decisions, bool admission, string profile = "oscore")
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
            Profile = profile,
        });
        try
        {
            if (d.Options.ServesDtls)
            {
                StartOnPortPair(d);
            }
            else
            {
                d.Start(new IPEndPoint(IPAddress.Loopback, 0));
            }
        }
        catch
        {
            d.Dispose();
            throw;
        }

        return d;
    }
}
