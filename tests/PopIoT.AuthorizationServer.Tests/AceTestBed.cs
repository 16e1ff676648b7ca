using PopIoT.Core.Ace;
using PopIoT.Ace;
using System.Net;
using System.Net.Sockets;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core.Cbor;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Oscore;
using PopIoT.Crypto;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// A temporary AS database with resource servers "temp1" (encrypt0, clock), "enc1" (encrypt0, no clock), "tiny" (64-byte
/// tokens) and "mac1" (mac0), clients "gw1" (granted) and "gw2" (granted nothing), and an AS on loopback; the store
/// is an SQLite file or a PostgreSQL database of its own (<see cref="StoreKind"/>).
/// </summary>
internal sealed class AceTestBed : IDisposable
{
    public const string AifGrant = """[["/temp",1],["/led",5]]""";

    private readonly string _dir = Directory.CreateTempSubdirectory("popiot-as-").FullName;
    private readonly TestStore _database;

    public AceTestBed(StoreKind kind = StoreKind.Sqlite, int extraClients = 0)
    {
        _database = TestStore.Create(kind, out IAuthorizationStore store);
        Store = store;
        DbPath = _database.Db;
        Registry = new AuthorizationServerRegistry(Store, PlatformCryptoProvider.Instance.Random);
        Temp1 = Registry.AddResourceServer("temp1");
        Enc1 = Registry.AddResourceServer("enc1", TokenProtection.Encrypt0, hasClock: false);
        Tiny = Registry.AddResourceServer("tiny", maxTokenBytes: 64);
        Mac1 = Registry.AddResourceServer("mac1", TokenProtection.Mac0);
        Gw1 = Registry.AddClient("gw1");
        Gw2 = Registry.AddClient("gw2");
        Registry.Grant("gw1", "temp1", AccessScope.Parse(AifGrant));
        Registry.Grant("gw1", "temp1", AccessScope.Parse("read"));
        Registry.Grant("gw1", "enc1", AccessScope.Parse("read write"));
        Registry.Grant("gw1", "tiny", AccessScope.Parse(AifGrant));
        Registry.Grant("gw1", "mac1", AccessScope.Parse("read"));
        for (int i = 0; i < extraClients; i++)
        {
            Registry.AddClient("load" + i);
            Registry.Grant("load" + i, "temp1", AccessScope.Parse(AifGrant));
        }

        Server = new AceAuthorizationServer(Store, Settings, PlatformCryptoProvider.Instance);
    }

    public string DbPath { get; }

    public IAuthorizationStore Store { get; }

    public AuthorizationServerRegistry Registry { get; }

    public AuthorizationServerSettings Settings { get; } = new();

    public ResourceServerRecord Temp1 { get; }

    public ResourceServerRecord Enc1 { get; }

    public ResourceServerRecord Tiny { get; }

    public ResourceServerRecord Mac1 { get; }

    public ClientRecord Gw1 { get; }

    public ClientRecord Gw2 { get; }

    public AceAuthorizationServer Server { get; }

    public Uri Start()
    {
        IPEndPoint at = Server.Start(new IPEndPoint(IPAddress.Loopback, 0));
        return new Uri("coap://127.0.0.1:" + at.Port);
    }

    /// <summary>The peer's side of a registered context (sender = its ID, recipient = the AS's).</summary>
    public static SecurityContext PeerContext(OscoreCredential k, byte[]? masterSecret = null) =>
        new(PlatformCryptoProvider.Instance, masterSecret ?? k.MasterSecret, k.MasterSalt, k.PeerSenderId, k.AsSenderId, null!, new SecurityContextOptions { Algorithm = k.Algorithm });

    public static CoapClient Client(SecurityContext? oscore) => new(new CoapClientOptions { Oscore = oscore, Timeout = TimeSpan.FromSeconds(30) });

    /// <summary>
    /// One raw datagram out, its response back (piggybacked, or separate after an empty ACK, RFC 7252 §5.2.2), for
    /// tests that must send the exact same bytes twice.
    /// </summary>
    public static async Task<CoapMessage> Exchange(Uri server, byte[] datagram)
    {
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        udp.Connect(new IPEndPoint(IPAddress.Loopback, server.Port));
        await udp.SendAsync(datagram);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            UdpReceiveResult got = await udp.ReceiveAsync(cts.Token);
            var m = new CoapMessage();
            Assert.Equal(CoapParseError.None, m.Parse(got.Buffer, 0, got.Buffer.Length));
            if (m.Type == CoapMessageType.Confirmable)
            {
                // A separate response (RFC 7252 §5.2.2) after an empty ACK: acknowledge it.
                await udp.SendAsync(new byte[] { 0x60, 0, (byte)(m.MessageId >> 8), (byte)m.MessageId });
            }

            if (m.Code != 0)
            {
                return m;
            }
        }
    }

    public static Task<CoapResponse> Post(CoapClient client, Uri server, string path, byte[] body) =>
        client.SendAsync(new CoapRequest(CoapCode.Post, new Uri(server, path)) { Payload = body, ContentFormat = CoapContentFormat.AceCbor });

    /// <summary>A token request map: audience, optional scope (already encoded), and extra (key, encoded value) pairs.</summary>
    public static byte[] TokenRequest(string? audience, byte[]? scope = null, params (int Key, byte[] Value)[] extra)
    {
        byte[] buffer = new byte[2048];
        var w = new CborWriter(buffer);
        w.WriteStartMap((audience == null ? 0 : 1) + (scope == null ? 0 : 1) + extra.Length);
        if (audience != null)
        {
            w.WriteInt32(AceParameters.Audience);
            w.WriteTextString(audience);
        }

        if (scope != null)
        {
            w.WriteInt32(AceParameters.Scope);
            w.WriteEncodedValue(scope, 0, scope.Length);
        }

        foreach ((int k, byte[] v) in extra)
        {
            w.WriteInt32(k);
            w.WriteEncodedValue(v, 0, v.Length);
        }

        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }

    public static byte[] IntrospectionRequest(byte[] token)
    {
        byte[] buffer = new byte[token.Length + 16];
        var w = new CborWriter(buffer);
        w.WriteStartMap(1);
        w.WriteInt32(AceParameters.Token);
        w.WriteByteString(token);
        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }

    /// <summary>Reads a response map into key → encoded value.</summary>
    public static Dictionary<long, byte[]> Map(ReadOnlyMemory<byte> payload)
    {
        byte[] p = payload.ToArray();
        var r = new CborReader(p);
        int n = r.ReadStartMap();
        var d = new Dictionary<long, byte[]>();
        for (int i = 0; i < n; i++)
        {
            long k = r.ReadInt64();
            r.ReadEncodedValue(out int o, out int l);
            d.Add(k, p.AsSpan(o, l).ToArray());
        }

        return d;
    }

    public static byte[] Bytes(byte[] encoded) => new CborReader(encoded).ReadByteString();

    public static long Int(byte[] encoded) => new CborReader(encoded).ReadInt64();

    public static string Text(byte[] encoded) => new CborReader(encoded).ReadTextString();

    public static byte[] Encode(Action<CborWriter> write)
    {
        byte[] buffer = new byte[1024];
        var w = new CborWriter(buffer);
        write(w);
        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }

    /// <summary>The encrypt0 RS's key as the RS holds it (the --key-out file: key_ops decrypt), not the AS's copy.</summary>
    public static CoseKey Key(ResourceServerRecord rs)
    {
        byte[] file = AuthorizationServerRegistry.KeysForResourceServer(rs);
        Assert.Equal(CoseError.None, CoseKey.Decode(file, 0, file.Length, out CoseKey key));
        return key;
    }

    public void Dispose()
    {
        Server.Dispose();
        Store.Dispose();
        _database.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
