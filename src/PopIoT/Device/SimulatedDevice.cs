using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Crypto;

namespace PopIoT.Device;

/// <summary>
/// A simulated device: the Core ACE resource-server engine (<see cref="AceResourceServer"/>: /authz-info, token slots,
/// OSCORE contexts, scopes) hosted by a <see cref="CoapServer"/> over UDP or the in-memory <see cref="LossyNetwork"/>,
/// with demo resources (docs/device.md):
/// <list type="bullet">
/// <item><c>/temp</c>: GET, observable; the temperature as text, e.g. "21.5";</item>
/// <item><c>/led</c>: GET and PUT ("on" or "off");</item>
/// <item><c>/config</c>: PUT, for the admin scope;</item>
/// <item><c>/hello</c>: GET without protection.</item>
/// </list>
/// Text scopes: <c>read</c> (GET /temp, GET /led), <c>write</c> (GET and PUT /led), <c>admin</c> (PUT /config); AIF
/// scopes (RFC 9237) name paths and methods directly. Every security decision is kept in <see cref="Decisions"/> and
/// passed to <see cref="SimulatedDeviceOptions.DecisionLogged"/>.
/// </summary>
public sealed class SimulatedDevice : IDisposable
{
    private readonly SimulatedDeviceOptions _options;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _boot;
    private readonly AceServerLayer _layer;
    private readonly CoapServer _server;
    private readonly Queue<SecurityDecision> _decisions = new();
    private readonly object _state = new();
    private ITimer? _ticker;
    private string _temperature = "21.5";
    private bool _led;
    private byte[] _config = [];

    /// <summary>Creates the device (its tables are allocated here); call a Start method to serve.</summary>
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
        _boot = _time.GetUtcNow();
        var settings = new AceRsSettings(options.Audience, options.AsUri)
        {
            Slots = options.Slots,
            ReplayWindowSize = options.ReplayWindow,
            MaxTokenSize = options.MaxTokenSize,
            MaxBlockSzx = options.MaxBlockSzx,
            HasClock = options.HasClock,
            EvictionProtectionSeconds = options.EvictionProtectionSeconds,
            AuthzInfoPeerBurst = options.AuthzInfoPeerBurst,
            AuthzInfoPeerRefillSeconds = options.AuthzInfoPeerRefillSeconds,
            AuthzInfoBurst = options.AuthzInfoBurst,
            AuthzInfoRefillSeconds = options.AuthzInfoRefillSeconds,
        };
        settings.Validate();
        var engine = new AceResourceServer(settings, options.Crypto ?? PlatformCryptoProvider.Instance);
        try
        {
            AsKeyPurposes.Apply(engine, options.AsKeys, options.Protection ?? AsKeyPurposes.InferProtection(options.AsKeys), options.AsKeyNames);
            engine.Listener = new DecisionSink(this);

            // docs/ace-rs.md, "Persistence": an unreadable record leaves the engine refusing exi tokens (fail closed).
            StorageReadable = options.Storage == null || engine.UseStorage(options.Storage);
            if (!StorageReadable)
            {
                options.Logger?.LogWarning("device state unreadable: exi tokens are refused until it can be read (fail closed)");
            }

            _layer = new AceServerLayer(engine, EngineTime);
            _server = new CoapServer(new CoapServerOptions { Settings = options.Coap, MaxSzx = options.MaxBlockSzx, Random = options.Random, MaxResources = 8, ConfirmableNotificationEvery = options.ConfirmableNotifications ? 1 : 5 }, options.Logger, _layer);
        }
        catch
        {
            engine.Dispose();
            throw;
        }

        MapResources();
    }

    /// <summary>The address the device listens on, once started.</summary>
    public IPEndPoint? LocalEndPoint => _server.LocalEndPoint;

    /// <summary>The engine's settings as given (audience, slots, window, token size, clock).</summary>
    public SimulatedDeviceOptions Options => _options;

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
    public bool ExiStateUnavailable => Read(e => e.ExiStateUnavailable);

    /// <summary>Whether the engine knows the wall time (from start, or since <see cref="SimulatedDeviceOptions.WallClockKnownAfter"/>).</summary>
    public bool WallClockKnown => Read(e => e.WallClockKnown);

    /// <summary>Slots holding a token now.</summary>
    public int ActiveSlots => Read(e => e.ActiveSlots);

    /// <summary>Slots evicted so far to make room (least recently used first).</summary>
    public int Evictions => Read(e => e.Evictions);

    /// <summary>Tokens dropped so far because they expired.</summary>
    public int Expirations => Read(e => e.Expirations);

    /// <summary>Requests handed to the demo resources so far.</summary>
    public long RequestsHandled => _server.RequestsHandled;

    /// <summary>Observations of /temp (and others) registered now.</summary>
    public int ObserverCount => _server.ObserverCount;

    /// <summary>The LED state /led reports.</summary>
    public bool Led
    {
        get
        {
            lock (_state)
            {
                return _led;
            }
        }
    }

    /// <summary>The last body PUT to /config.</summary>
    public byte[] Config
    {
        get
        {
            lock (_state)
            {
                return _config;
            }
        }
    }

    /// <summary>Starts serving on UDP ([::] for IPv4 and IPv6).</summary>
    /// <param name="bind">The address and port (0 for a free one).</param>
    /// <returns>The address bound.</returns>
    public IPEndPoint Start(IPEndPoint bind) => StartTicking(_server.Start(bind));

    /// <summary>Starts serving on a transport, e.g. of a <see cref="LossyNetwork"/>.</summary>
    /// <param name="transport">The transport (owned by the device from now on).</param>
    /// <returns>Its address.</returns>
    public IPEndPoint Start(ICoapTransport transport) => StartTicking(_server.Start(transport));

    /// <summary>Sets the temperature /temp reports and notifies its observers (RFC 7641 §4.2).</summary>
    /// <param name="celsius">The new value.</param>
    /// <returns>How many notifications were started.</returns>
    public int SetTemperature(double celsius)
    {
        lock (_state)
        {
            _temperature = celsius.ToString("0.0", CultureInfo.InvariantCulture);
        }

        return _server.LocalEndPoint == null ? 0 : _server.NotifyObservers("/temp");
    }

    /// <summary>
    /// Advances the engine's time now, so expired tokens are dropped and their keys erased, after their observations got
    /// their final 4.01 (RFC 9200 §5.10.3). The device does this by itself before every request and notification and
    /// at every <see cref="SimulatedDeviceOptions.ClockTick"/> of its time source; this is for a host that wants it at a
    /// moment of its own.
    /// </summary>
    public void Tick()
    {
        _server.Synchronized(LearnWallClock);
        _server.RunHousekeeping();
    }

    /// <summary>Stops serving and erases every key.</summary>
    public void Dispose()
    {
        _ticker?.Dispose();
        _server.Dispose();
        _server.Synchronized(_layer.Engine.Dispose);
    }

    // The device's clock drives the engine's (RFC 9200 §5.10.3): a token expires, and its observations end with their
    // final 4.01, when the time source passes its lifetime, whether or not a request or a notification comes.
    private IPEndPoint StartTicking(IPEndPoint at)
    {
        _ticker = _time.CreateTimer(_ => OnClockTick(), null, _options.ClockTick, _options.ClockTick);
        return at;
    }

    private void OnClockTick()
    {
        try
        {
            Tick();
        }
        catch (Exception e)
        {
            // A timer callback must not throw (it would end the process); the next tick tries again.
            _options.Logger?.LogWarning(e, "device clock tick failed");
        }
    }

    // Simulated SNTP: the wall time arrives once, WallClockKnownAfter after boot. The engine keeps its time base (seconds
    // since boot) and maps exp and nbf onto it (AceResourceServer.SetWallClockKnown).
    private void LearnWallClock()
    {
        AceResourceServer engine = _layer.Engine;
        if (engine.WallClockKnown || _options.WallClockKnownAfter is not TimeSpan after)
        {
            return;
        }

        DateTimeOffset now = _time.GetUtcNow();
        if (now - _boot >= after)
        {
            _layer.Advance(EngineTime());
            engine.SetWallClockKnown(now.ToUnixTimeSeconds() - (EngineTime() - engine.Now));
        }
    }

    private long EngineTime()
    {
        DateTimeOffset now = _time.GetUtcNow();
        // With a clock the engine sees Unix time; without one, seconds since boot (RFC 9200 §5.10.3).
        return _options.HasClock ? now.ToUnixTimeSeconds() : (long)(now - _boot).TotalSeconds;
    }

    private T Read<T>(Func<AceResourceServer, T> read)
    {
        T value = default!;
        _server.Synchronized(() => value = read(_layer.Engine));
        return value;
    }

    private void MapResources()
    {
        AceResourceServer engine = _layer.Engine;
        engine.AddScope("read", "/temp", CoapMethods.Get);
        engine.AddScope("read", "/led", CoapMethods.Get);
        engine.AddScope("write", "/led", CoapMethods.Get | CoapMethods.Put);
        engine.AddScope("admin", "/config", CoapMethods.Put);

        _server.Map("/temp", CoapMethods.Get, (_, _) => Done(new CoapResponse(CoapCode.Content, Ascii(Locked(() => _temperature)), CoapContentFormat.TextPlain)),
            observable: true, contentFormat: CoapContentFormat.TextPlain, resourceType: "temperature-c", access: ResourceAccess.Protected);
        _server.Map("/led", CoapMethods.Get | CoapMethods.Put, (req, _) => Done(HandleLed(req)), contentFormat: CoapContentFormat.TextPlain, access: ResourceAccess.Protected);
        _server.Map("/config", CoapMethods.Put, (req, _) =>
        {
            lock (_state)
            {
                _config = req.Payload.ToArray();
            }

            return Done(new CoapResponse(CoapCode.Changed));
        }, access: ResourceAccess.Protected);
        _server.Map("/hello", CoapMethods.Get, (_, _) => Done(new CoapResponse(CoapCode.Content, Ascii("hello from " + _options.Audience), CoapContentFormat.TextPlain)));
    }

    private CoapResponse HandleLed(CoapRequest req)
    {
        lock (_state)
        {
            if (req.Method == CoapCode.Get)
            {
                return new CoapResponse(CoapCode.Content, Ascii(_led ? "on" : "off"), CoapContentFormat.TextPlain);
            }

            switch (req.PayloadText.Trim().ToLowerInvariant())
            {
                case "on":
                    _led = true;
                    return new CoapResponse(CoapCode.Changed);
                case "off":
                    _led = false;
                    return new CoapResponse(CoapCode.Changed);
                default:
                    return new CoapResponse(CoapCode.BadRequest, Ascii("/led takes \"on\" or \"off\""), CoapContentFormat.TextPlain);
            }
        }
    }

    private T Locked<T>(Func<T> read)
    {
        lock (_state)
        {
            return read();
        }
    }

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static ValueTask<CoapResponse> Done(CoapResponse r) => ValueTask.FromResult(r);

    private void Record(AceDecision d)
    {
        var decision = new SecurityDecision(_time.GetUtcNow(), d.Kind, d.Error, d.ResponseCode, d.Method, d.Path, _server.PeerAddress(d.Peer), d.Slot);
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
}
