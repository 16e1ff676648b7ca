using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Crypto;
using PopIoT.Core.Device;
using PopIoT.Crypto;

namespace PopIoT.Device;

/// <summary>
/// A simulated device: a thin host of Core's <see cref="DeviceRuntime"/>, the loop a board runs (docs/firmware.md, "The
/// device runtime"), over desktop adapters: the UDP socket or the in-memory <see cref="LossyNetwork"/>
/// (<see cref="TransportDatagramSocket"/>), a clock over a <see cref="TimeProvider"/> (a virtual one in tests), a log
/// over <see cref="ILogger"/>, and simulated peripherals. The resources and their access rules are the runtime's
/// (<see cref="DeviceResources"/>, docs/device.md):
/// <list type="bullet">
/// <item><c>/temp</c>: GET, observable; the temperature as text, e.g. "21.5";</item>
/// <item><c>/led</c>: GET and PUT ("on" or "off");</item>
/// <item><c>/config</c>: PUT, for the admin scope;</item>
/// <item><c>/hello</c>: GET without protection.</item>
/// </list>
/// Text scopes: <c>read</c> (GET /temp, GET /led), <c>write</c> (GET and PUT /led), <c>admin</c> (PUT /config); AIF
/// scopes (RFC 9237) name paths and methods directly. Every security decision is kept in <see cref="Decisions"/> and
/// passed to <see cref="SimulatedDeviceOptions.DecisionLogged"/>. The transport's threads call in under one lock.
/// </summary>
public sealed partial class SimulatedDevice : IDisposable
{
    private readonly SimulatedDeviceOptions _options;
    private readonly TimeProvider _time;
    private readonly DeviceRuntime _runtime;
    private readonly TransportDatagramSocket _socket;
    private readonly SimulatedDeviceClock _clock;
    private readonly SimulatedPeripherals _peripherals = new();
    private readonly Queue<SecurityDecision> _decisions = new();
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>Creates the device (its tables are allocated and its stored state read here); call a Start method to serve.</summary>
    /// <param name="options">The settings.</param>
    /// <exception cref="ArgumentException">A setting is out of range or a key unusable; the message says which.</exception>
    public SimulatedDevice(SimulatedDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.AsKeys);
        if (options.ClockTick <= TimeSpan.Zero)
        {
            throw new ArgumentException("ClockTick must be positive: the device's clock drives token expiry (RFC 9200 §5.10.3)", nameof(options));
        }

        _options = options;
        _time = options.Time ?? TimeProvider.System;
        _clock = new SimulatedDeviceClock(_time, options.HasClock, options.WallClockKnownAfter);
        _socket = new TransportDatagramSocket(Pump);
        DeviceRuntimeSettings settings = RuntimeSettings(options);
        ICryptoProvider crypto = options.Crypto ?? PlatformCryptoProvider.Instance;
        var host = new DeviceHost
        {
            Socket = _socket,
            Clock = _clock,
            Storage = options.Storage,
            Crypto = options.Random != null ? new RandomOverride(crypto, options.Random) : crypto,
            Log = new LoggerDeviceLog(options.Logger),
            Peripherals = _peripherals,
        };
        _runtime = new DeviceRuntime(settings, host);
        try
        {
            AsKeyPurposes.Apply(_runtime.Engine, options.AsKeys, options.Protection ?? AsKeyPurposes.InferProtection(options.AsKeys), options.AsKeyNames);
            if (!_runtime.Start())
            {
                throw new ArgumentException("the device cannot serve: its stored configuration is unreadable or invalid (see its log)", nameof(options));
            }

            // After the start: a wall time known from boot is the device's normal state, not a decision to record.
            _runtime.Engine.Listener = new DecisionSink(this);
            _rpk = StartRawPublicKeys(options);

            // docs/ace-rs.md, "Persistence": an unreadable record leaves the engine refusing exi tokens (fail closed).
            StorageReadable = options.Storage == null || !_runtime.Engine.ExiStateUnavailable;
        }
        catch
        {
            _rpk?.Dispose();
            _runtime.Dispose();
            throw;
        }
    }

    /// <summary>The address the device listens on, once started.</summary>
    public IPEndPoint? LocalEndPoint => _socket.Transport?.LocalEndPoint;

    /// <summary>Where the device receives CoAP over DTLS (the CoAP port + 1, like libcoap), or null without DTLS.</summary>
    public IPEndPoint? SecureEndPoint => _socket.SecureTransport?.LocalEndPoint;

    /// <summary>The engine's settings as given (audience, slots, window, token size, clock).</summary>
    public SimulatedDeviceOptions Options => _options;

    /// <summary>The largest datagram the device's runtime takes and sends (its buffers' size; a board's from its MTU).</summary>
    public int MaxMessageSize => _runtime.DatagramBufferSize;

    /// <summary>How many client addresses the device's peer table holds now.</summary>
    public int PeerCount => Read(r => r.Peers.Count);

    /// <summary>The security decisions so far, oldest first (at most <see cref="SimulatedDeviceOptions.DecisionHistory"/>).</summary>
    public IReadOnlyList<SecurityDecision> Decisions
    {
        get
        {
            lock (_decisions)
            {
                return [.. _decisions];
            }
        }
    }

    /// <summary>Whether the state in <see cref="SimulatedDeviceOptions.Storage"/> was read at start (true without storage).</summary>
    public bool StorageReadable { get; }

    /// <summary>Whether exi tokens are refused because the exi number is not safely in storage.</summary>
    public bool ExiStateUnavailable => Read(r => r.Engine.ExiStateUnavailable);

    /// <summary>Whether the engine knows the wall time (from start, or since <see cref="SimulatedDeviceOptions.WallClockKnownAfter"/>).</summary>
    public bool WallClockKnown => Read(r => r.Engine.WallClockKnown);

    /// <summary>Slots holding a token now.</summary>
    public int ActiveSlots => Read(r => r.Engine.ActiveSlots);

    /// <summary>Slots evicted so far to make room (least recently used first).</summary>
    public int Evictions => Read(r => r.Engine.Evictions);

    /// <summary>Tokens dropped so far because they expired.</summary>
    public int Expirations => Read(r => r.Engine.Expirations);

    /// <summary>Requests handed to the device's resources so far.</summary>
    public long RequestsHandled => Read(r => r.Resources.RequestsHandled);

    /// <summary>Observations of /temp registered now.</summary>
    public int ObserverCount => Read(r => r.ObserverCount);

    /// <summary>The LED state /led reports.</summary>
    public bool Led => _peripherals.LedOn;

    /// <summary>The last body PUT to /config.</summary>
    public byte[] Config => Read(r =>
    {
        byte[] copy = new byte[r.Resources.ConfigLength];
        r.Resources.CopyConfig(copy, 0);
        return copy;
    });

    /// <summary>Starts serving on UDP ([::] for IPv4 and IPv6).</summary>
    /// <param name="bind">The address and port (0 for a free one).</param>
    /// <returns>The address bound.</returns>
    public IPEndPoint Start(IPEndPoint bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        if (!_options.ServesDtls)
        {
            return Start(new UdpCoapTransport(bind, _options.Logger));
        }

        // docs/firmware.md, "CoAP over DTLS": coaps on the CoAP port + 1 (an ephemeral port when the CoAP port is).
        var secure = new UdpCoapTransport(new IPEndPoint(bind.Address, bind.Port == 0 ? 0 : bind.Port + 1), _options.Logger);
        try
        {
            return Start(new UdpCoapTransport(bind, _options.Logger), secure);
        }
        catch
        {
            secure.Dispose();
            throw;
        }
    }

    /// <summary>Starts the device on a CoAP transport and a coaps transport (for a device that serves DTLS).</summary>
    /// <param name="transport">The CoAP transport.</param>
    /// <param name="secure">The coaps transport.</param>
    /// <returns>The CoAP transport's local endpoint.</returns>
    public IPEndPoint Start(ICoapTransport transport, ICoapTransport secure)
    {
        ArgumentNullException.ThrowIfNull(secure);
        IPEndPoint at = Start(transport);
        lock (_gate)
        {
            _socket.StartSecure(secure);
        }

        _options.Logger?.LogInformation("device listening for coaps on {Local}", secure.LocalEndPoint);
        return at;
    }

    /// <summary>Starts serving on a transport, e.g. of a <see cref="LossyNetwork"/>.</summary>
    /// <param name="transport">The transport (owned by the device from now on).</param>
    /// <returns>Its address.</returns>
    public IPEndPoint Start(ICoapTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        lock (_gate)
        {
            if (_socket.Transport != null)
            {
                throw new InvalidOperationException("Already started.");
            }

            _socket.Start(transport);
            Wake();
        }

        _options.Logger?.LogInformation("device listening on {Local}", transport.LocalEndPoint);
        return transport.LocalEndPoint;
    }

    /// <summary>Sets the temperature /temp reports and notifies its observers (RFC 7641 §4.2).</summary>
    /// <param name="celsius">The new value.</param>
    /// <returns>How many notifications were sent.</returns>
    public int SetTemperature(double celsius)
    {
        lock (_gate)
        {
            _peripherals.CentiCelsius = (int)Math.Round(celsius * 100, MidpointRounding.AwayFromZero);
            if (_disposed || _socket.Transport == null)
            {
                return 0;
            }

            int sent = _runtime.NotifyObservers(DeviceResources.PathOf(DeviceResources.Temperature));
            Wake();
            return sent;
        }
    }

    /// <summary>
    /// Runs the device's clock tick now (<see cref="DeviceRuntime.Tick"/>): expired tokens are dropped and their keys
    /// erased, after their observations got their final 4.01 (RFC 9200 §5.10.3). The device does this by itself before
    /// every request and at every <see cref="SimulatedDeviceOptions.ClockTick"/>; this is for a host (a test moving its
    /// clock) that wants it at a moment of its own.
    /// </summary>
    public void Tick()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _runtime.Tick();
                Wake();
            }
        }
    }

    /// <summary>Stops serving and erases every key.</summary>
    public void Dispose()
    {
        // First, outside the lock: the sessions' threads take it to say they ended.
        _rpk?.Dispose();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _runtime.Dispose();
        }

        _socket.Transport?.Dispose();
        _socket.SecureTransport?.Dispose();
    }

    private static DeviceRuntimeSettings RuntimeSettings(SimulatedDeviceOptions o)
    {
        var ace = new AceRsSettings(o.Audience, o.AsUri)
        {
            Slots = o.Slots,
            ReplayWindowSize = o.ReplayWindow,
            MaxTokenSize = o.MaxTokenSize,
            MaxBlockSzx = o.MaxBlockSzx,
            HasClock = o.HasClock,
            EvictionProtectionSeconds = o.EvictionProtectionSeconds,
            AuthzInfoPeerBurst = o.AuthzInfoPeerBurst,
            AuthzInfoPeerRefillSeconds = o.AuthzInfoPeerRefillSeconds,
            AuthzInfoBurst = o.AuthzInfoBurst,
            AuthzInfoRefillSeconds = o.AuthzInfoRefillSeconds,
            ServesOscore = o.Profile is "oscore" or "both",
            ServesDtls = o.ServesDtls,
            ServesRpk = o.RpkKey != null,
        };
        if (o.Profile is not ("oscore" or "dtls" or "both"))
        {
            throw new ArgumentException("Profile must be oscore, dtls or both", nameof(o));
        }

        if (o.RpkKey != null && !o.ServesDtls)
        {
            throw new ArgumentException("RpkKey (--rpk-key) needs Profile dtls or both: RPK mode is a mode of the coap_dtls profile (RFC 9202 §3.2)", nameof(o));
        }

        // The options' own names in the message (--slots, Slots), before the runtime adds its group's.
        ace.Validate();
        var settings = new DeviceRuntimeSettings
        {
            Ace = ace,
            MaxPeers = o.MaxPeers,
            MaxObservers = o.MaxObservers,
            ClockTickMs = (int)Math.Clamp(o.ClockTick.TotalMilliseconds, 10, 60_000),
            ConfirmableNotificationEvery = o.ConfirmableNotifications ? 1 : 5,

            // device simulate -v: each request on one line (docs/device.md).
            LogRequests = o.Logger?.IsEnabled(LogLevel.Debug) == true,
        };
        if (o.Coap != null)
        {
            settings.Coap = o.Coap;
        }
        else
        {
            // Room for the simulator's many clients (tests run ten at once over a lossy network).
            settings.Coap.MaxExchanges = 16;
            settings.Coap.DeduplicationCapacity = 64;

            // Each entry keeps a whole reply, as a desktop server's: a pool of one message shared by 64 entries would
            // forget the replies of busy clients (docs/coap.md, "Duplicate detection").
            settings.Coap.DeduplicationPoolBytes = 0;
            settings.Coap.OutboxCapacity = 16;
            settings.Coap.NonRecordCapacity = 16;
        }

        if (o.ServesDtls)
        {
            // RFC 9202 §3.3.2: the token may come as the psk_identity, so an identity is as long as a token; one CoAP
            // message fits one record (RFC 6347 §4.1.1.1).
            settings.Dtls = new PopIoT.Core.Dtls.DtlsSettings
            {
                MaxSessions = o.DtlsSessions,
                MaxHandshakes = o.DtlsHandshakes,
                MaxIdentityLength = o.MaxTokenSize,
                DatagramSize = Math.Max(1232, settings.Coap.MaxMessageSize + DeviceRuntimeSettings.DtlsRecordOverhead),
                OutboxCapacity = 16,
            };
        }

        return settings;
    }

    // The transport delivered a datagram or a wake-up: run the loop for each datagram waiting, then arm the next wake.
    private void Pump()
    {
        lock (_gate)
        {
            if (_disposed || !_runtime.IsRunning)
            {
                return;
            }

            try
            {
                do
                {
                    _runtime.RunOnce();
                }
                while (_socket.HasPending);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A transport thread must not die of one datagram; the runtime itself never throws for bad input.
                _options.Logger?.LogWarning(e, "device loop failed");
            }

            Wake();
        }
    }

    // The transport wakes the device when its next timer is due, in the transport's own time (virtual on the lossy network).
    private void Wake()
    {
        ICoapTransport? t = _socket.Transport;
        if (t == null)
        {
            return;
        }

        long due = _runtime.NextDueMs;
        if (due == Core.Coap.MessageLayer.NoDeadline)
        {
            t.ScheduleWake(long.MaxValue);
            return;
        }

        long wait = Math.Max(0, due - _clock.MonotonicMilliseconds);
        t.ScheduleWake(t.NowMs + wait);
    }

    private T Read<T>(Func<DeviceRuntime, T> read)
    {
        lock (_gate)
        {
            return read(_runtime);
        }
    }

    private void Record(AceDecision d)
    {
        var address = new DatagramAddress();
        DatagramAddress? peer = d.Peer >= 0 && _runtime.Peers.TryGetAddress(d.Peer, address) ? address : null;
        var decision = new SecurityDecision(_time.GetUtcNow(), d.Kind, d.Error, d.ResponseCode, d.Method, d.Path, peer == null ? null : TransportDatagramSocket.ToEndPoint(peer), d.Slot);
        lock (_decisions)
        {
            _decisions.Enqueue(decision);
            while (_decisions.Count > Math.Max(1, _options.DecisionHistory))
            {
                _decisions.Dequeue();
            }
        }

        try
        {
            _options.DecisionLogged?.Invoke(decision);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // A log that cannot be written (a closed pipe) must not turn the device's answer into 5.00.
        }
    }

    private sealed class DecisionSink(SimulatedDevice device) : IAceDecisionListener
    {
        public void OnDecision(AceDecision decision) => device.Record(decision);
    }

    // SimulatedDeviceOptions.Random: the device's randomness from a given source, the rest from the provider.
    private sealed class RandomOverride(ICryptoProvider inner, IRandomSource random) : ICryptoProvider
    {
        public IRandomSource Random => random;

        public IBlockCipher CreateAes(byte[] key, int offset, int length) => inner.CreateAes(key, offset, length);

        public IMac CreateHmacSha256(byte[] key, int offset, int length) => inner.CreateHmacSha256(key, offset, length);

        public IHash CreateSha256() => inner.CreateSha256();

        public IAeadCipher CreateAesCcm(byte[] key, int offset, int length, int tagSize, int lengthSize) => inner.CreateAesCcm(key, offset, length, tagSize, lengthSize);
    }
}
