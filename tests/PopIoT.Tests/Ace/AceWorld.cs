using System.Diagnostics;
using System.Net;
using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Cose;
using PopIoT.Device;
using PopIoT.Tests.Oscore;

namespace PopIoT.Tests.Ace;

/// <summary>
/// A simulated device with its AS–RS keys, reached over UDP loopback or over the seeded lossy in-memory network with a
/// virtual clock, and helpers to mint tokens and run clients against it. "udp" or "lossy" picks the network. The device
/// takes one token protection: encrypt0 (default; it holds the AEAD key) or mac0 (the MAC key, and the AEAD key for the
/// cnf only).
/// </summary>
internal sealed class AceWorld : IDisposable
{
    public const string Audience = "coap://device-1";

    private static readonly IPEndPoint DeviceAddress = new(IPAddress.Parse("10.0.0.1"), 5683);
    private readonly List<IDisposable> _owned = [];
    private readonly SimulatedDeviceOptions _deviceOptions;
    private int _nextClient;

    public AceWorld(string network, int slots = 8, bool hasClock = true, int maxTokenSize = 512, double dropRate = 0.05,
        int protectionSeconds = AceRsSettings.DefaultEvictionProtectionSeconds, bool rateLimits = true, TokenProtection protection = TokenProtection.Encrypt0, BoardProfile? board = null,
        PopIoT.Core.Device.IDeviceStorage? storage = null, TimeSpan? wallClockKnownAfter = null)
    {
        Protection = protection;
        MacKey = CoseKey.Symmetric(Fill(32, 0x11), CoseAlgorithm.Hmac256_64.Id, null);
        AeadKey = CoseKey.Symmetric(Fill(16, 0x22), 10, null);
        if (network == "lossy")
        {
            Net = new LossyNetwork(new LossyNetworkOptions { Seed = 6, DropRate = dropRate, DuplicateRate = 0.05, ReorderRate = 0.1, MinDelayMs = 1, MaxDelayMs = 30, ReorderDelayMs = 200 });
            Clock = new TestClock(() => new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero).AddMilliseconds(Net.NowMs));
        }
        else
        {
            Clock = new TestClock(() => DateTimeOffset.UtcNow);
        }

        _deviceOptions = new SimulatedDeviceOptions
        {
            Audience = Audience,
            AsKeys = protection == TokenProtection.Mac0 ? [MacKey, AeadKey] : [AeadKey],
            Protection = protection,
            // A board profile gives the sizes, clock, timers and the board's crypto path (Core's AEAD, docs/firmware.md).
            Slots = board?.Slots ?? slots,
            HasClock = board != null ? board.Clock != "none" : hasClock,
            MaxTokenSize = board?.MaxTokenBytes ?? maxTokenSize,
            ReplayWindow = board?.ReplayWindow ?? 32,
            MaxBlockSzx = board?.BlockSzx ?? 6,
            Coap = board?.ToCoapSettings(),
            ClockTick = board != null ? TimeSpan.FromMilliseconds(board.ClockTickMs) : TimeSpan.FromSeconds(1),
            Crypto = board != null ? new PopIoT.Core.Crypto.ManagedCryptoProvider(new SeededRandomSource(99)) : null,
            Time = Clock,
            ConfirmableNotifications = true,
            EvictionProtectionSeconds = protectionSeconds,
            AuthzInfoPeerBurst = rateLimits ? 4 : 0,
            AuthzInfoBurst = rateLimits ? 16 : 0,
            Storage = storage,
            WallClockKnownAfter = wallClockKnownAfter,
        };
        Device = new SimulatedDevice(_deviceOptions);
        IPEndPoint at = Net != null ? Device.Start(Net.CreateTransport(DeviceAddress)) : Device.Start(new IPEndPoint(IPAddress.Loopback, 0));
        Base = new Uri("coap://" + at.Address + ":" + at.Port);
    }

    /// <summary>Stops the device and starts a new one at the same address: every token and context is gone.</summary>
    public void Restart()
    {
        Device.Dispose();
        Device = new SimulatedDevice(_deviceOptions);
        if (Net != null)
        {
            Device.Start(Net.CreateTransport(DeviceAddress));
        }
        else
        {
            Device.Start(new IPEndPoint(IPAddress.Loopback, Base.Port));
        }
    }

    public LossyNetwork? Net { get; }

    public TestClock Clock { get; }

    public CoseKey MacKey { get; }

    public TokenProtection Protection { get; }

    public CoseKey AeadKey { get; }

    public SimulatedDevice Device { get; private set; }

    public Uri Base { get; }

    public Uri At(string path) => new(Base, path);

    public static AccessTokenFile Mint(IEnumerable<CoseKey> keys, string scope, TokenProtection protection = TokenProtection.Encrypt0, string audience = Audience,
        long? exi = null, int profile = AceProfile.CoapOscore, DateTimeOffset? now = null)
    {
        using var minter = new AccessTokenMinter(keys);
        return minter.Mint(new TokenMintRequest { Audience = audience, Scope = AccessScope.Parse(scope), Protection = protection, Exi = exi, Profile = profile, Now = now });
    }

    public AccessTokenFile Mint(string scope, TokenProtection? protection = null, string audience = Audience, long? exi = null, int profile = AceProfile.CoapOscore) =>
        Mint([MacKey, AeadKey], scope, protection ?? Protection, audience, exi, profile, Clock.GetUtcNow());

    /// <summary>
    /// A client of the token on its own transport; <paramref name="recorder"/> sees every datagram it sends,
    /// <paramref name="received"/> every datagram it receives.
    /// </summary>
    public AceOscoreClient Client(AccessTokenFile token, Action<byte[]>? recorder = null, AceOscoreClientOptions? options = null, Action<byte[]>? received = null)
    {
        int n = Interlocked.Increment(ref _nextClient);
        options ??= new AceOscoreClientOptions();
        options = new AceOscoreClientOptions
        {
            Coap = options.Coap ?? new CoapClientOptions { Timeout = TimeSpan.FromSeconds(Net != null ? 600 : 20), Random = new SeededRandomSource(n) },
            RepostOnUnauthorized = options.RepostOnUnauthorized,
            MaxRetryWait = options.MaxRetryWait,
            AuthzInfoRetries = options.AuthzInfoRetries,
            Time = options.Time,
        };
        ICoapTransport transport = Net != null
            ? Net.CreateTransport(new IPEndPoint(IPAddress.Parse("10.0.1." + n), 40000))
            : new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0), null);
        if (received != null)
        {
            transport = new ReceiveRecorder(transport, received);
        }

        var client = new AceOscoreClient(token, Base, recorder == null ? transport : new RecordingCoapTransport(transport, (_, d) => recorder(d)), options);
        _owned.Add(client);
        return client;
    }

    /// <summary>A plain CoAP client (no ACE), e.g. for an attacker.</summary>
    public CoapClient PlainClient(CoapClientOptions? options = null)
    {
        int n = Interlocked.Increment(ref _nextClient);
        options ??= new CoapClientOptions { Timeout = TimeSpan.FromSeconds(Net != null ? 600 : 20) };
        CoapClient c = Net != null ? new CoapClient(Net.CreateTransport(new IPEndPoint(IPAddress.Parse("10.0.2." + n), 40000)), options) : new CoapClient(options);
        _owned.Add(c);
        return c;
    }

    /// <summary>Sends raw datagrams to the device from a fresh address (a replaying attacker) and returns the first reply.</summary>
    public byte[] SendRaw(byte[] datagram)
    {
        if (Net != null)
        {
            int n = Interlocked.Increment(ref _nextClient);
            var sink = new Sink();
            using ICoapTransport t = Net.CreateTransport(new IPEndPoint(IPAddress.Parse("10.0.3." + n), 40000));
            t.Start(sink);
            for (int attempt = 0; attempt < 20 && sink.Received.Count == 0; attempt++)
            {
                t.Send(DeviceAddress, datagram);
                Net.RunUntil(() => sink.Received.Count > 0, Net.NowMs + 3000);
            }

            return sink.Received.Count > 0 ? sink.Received[0] : throw new TimeoutException("no reply from the device");
        }

        using var udp = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        udp.Client.ReceiveTimeout = 5000;
        udp.Send(datagram, datagram.Length, new IPEndPoint(IPAddress.Loopback, Base.Port));
        IPEndPoint? from = null;
        return udp.Receive(ref from);
    }

    /// <summary>Waits for an async client call, driving the virtual network when there is one.</summary>
    public T Run<T>(Task<T> task)
    {
        if (Net == null)
        {
            return task.WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        }

        var wall = Stopwatch.StartNew();
        long limit = Net.NowMs + 900_000;
        int busySpins = 0;
        while (!task.IsCompleted)
        {
            long before = Net.NowMs;
            var stats = Net.Statistics;
            Net.RunUntil(() => task.IsCompleted, before + 20);
            if (task.IsCompleted)
            {
                break;
            }

            // Continuations run on the thread pool and may still be computing before they send (the first OSCORE
            // derivation, say). Virtual time jumps to the next event (the device's clock tick at most a second away)
            // only once the process is quiet, or after about 200 ms of waiting when other tests keep the CPU busy, so
            // that a slow continuation never sees its token expire in virtual time it did not wait for.
            TimeSpan cpu = ProcessCpu();
            TimeSpan slept = wall.Elapsed;
            Thread.Sleep(1);
            bool quiet = ThreadPool.PendingWorkItemCount == 0 && ProcessCpu() - cpu < (wall.Elapsed - slept) / 2;
            busySpins = quiet ? 0 : busySpins + 1;
            if (Net.NowMs == before && stats == Net.Statistics && (quiet || busySpins > 200))
            {
                busySpins = 0;
                Net.RunUntil(() => task.IsCompleted || Net.NowMs != before || Net.Statistics != stats, limit);
            }

            if (Net.NowMs >= limit || wall.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("the client call did not finish (virtual " + Net.NowMs + " ms)");
            }
        }

        return task.GetAwaiter().GetResult();
    }

    private static TimeSpan ProcessCpu()
    {
        using Process self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    public void Run(Task task) => Run(task.ContinueWith(t => { t.GetAwaiter().GetResult(); return 0; }, TaskScheduler.Default));

    public IReadOnlyList<SecurityDecision> Rejections() => Device.Decisions.Where(d => d.IsRejection).ToList();

    public void Dispose()
    {
        foreach (IDisposable d in _owned)
        {
            d.Dispose();
        }

        Device.Dispose();
        MacKey.Dispose();
        AeadKey.Dispose();
    }

    private static byte[] Fill(int n, byte b) => Enumerable.Repeat(b, n).ToArray();

    internal sealed class ReceiveRecorder(ICoapTransport inner, Action<byte[]> received) : ICoapTransport, ICoapTransportSink
    {
        private ICoapTransportSink? _sink;

        public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

        public long NowMs => inner.NowMs;

        public void Start(ICoapTransportSink sink)
        {
            _sink = sink;
            inner.Start(this);
        }

        public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram) => inner.Send(destination, datagram);

        public void ScheduleWake(long atMs) => inner.ScheduleWake(atMs);

        public void Dispose() => inner.Dispose();

        public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram)
        {
            received(datagram.ToArray());
            _sink!.OnDatagram(source, datagram);
        }

        public void OnTimer() => _sink!.OnTimer();
    }

    private sealed class Sink : ICoapTransportSink
    {
        public List<byte[]> Received { get; } = [];

        public void OnDatagram(IPEndPoint source, ReadOnlySpan<byte> datagram) => Received.Add(datagram.ToArray());

        public void OnTimer()
        {
        }
    }
}
