#nullable disable
using System;
using System.Collections.Generic;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Crypto;
using PopIoT.Core.Device;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Ace;
using PopIoT.Core.Tests.Crypto;

using Xunit;

namespace PopIoT.Core.Tests.Device;

/// <summary>
/// A socket the test fills and reads: datagrams queued with their sender, taken by the runtime's Receive (which never
/// blocks: the test drives RunOnce itself), and every datagram the runtime sent, with its destination. Preallocated
/// rings, so that the allocation test measures only the runtime.
/// </summary>
internal sealed class QueueSocket : IDatagramSocket
{
    private readonly byte[][] _in = new byte[256][];
    private readonly int[] _inLength = new int[256];
    private readonly int[] _inFrom = new int[256];
    private readonly byte[][] _out = new byte[64][];
    private readonly int[] _outLength = new int[64];
    private readonly int[] _outTo = new int[64];
    private readonly byte[] _address = new byte[4];
    private int _inHead;
    private int _inCount;
    private int _outCount;

    public QueueSocket()
    {
        for (int i = 0; i < _out.Length; i++)
        {
            _out[i] = new byte[2048];
        }
    }

    public int LastTimeoutMs { get; private set; } = -1;

    public int SentCount => _outCount;

    /// <summary>The CoAP code of the last datagram sent (its second byte, RFC 7252 §3), read without allocating.</summary>
    public byte LastSentCode => _out[(_outCount - 1) % _out.Length][1];

    /// <summary>Queues a datagram from 10.0.0.{client}:5683.</summary>
    public void Enqueue(int client, byte[] datagram)
    {
        int at = (_inHead + _inCount) % _in.Length;
        _in[at] = datagram;
        _inLength[at] = datagram.Length;
        _inFrom[at] = client;
        _inCount++;
    }

    public int Receive(byte[] buffer, int offset, int count, int timeoutMs, DatagramAddress from)
    {
        LastTimeoutMs = timeoutMs;
        if (_inCount == 0)
        {
            return -1;
        }

        int at = _inHead;
        _inHead = (_inHead + 1) % _in.Length;
        _inCount--;
        _address[0] = 10;
        _address[3] = (byte)_inFrom[at];
        from.Set(_address, 0, 4, 5683);
        if (_inLength[at] > count)
        {
            return -1;
        }

        Array.Copy(_in[at], 0, buffer, offset, _inLength[at]);
        return _inLength[at];
    }

    public bool Send(DatagramAddress to, byte[] buffer, int offset, int count)
    {
        int at = _outCount % _out.Length;
        Array.Copy(buffer, offset, _out[at], 0, count);
        _outLength[at] = count;
        _outTo[at] = to.Address[3];
        _outCount++;
        return true;
    }

    /// <summary>The raw datagrams sent since <paramref name="since"/> to a client (DTLS records are not CoAP messages).</summary>
    public List<byte[]> RawSince(int since, int client)
    {
        var list = new List<byte[]>();
        for (int i = since; i < _outCount; i++)
        {
            int at = i % _out.Length;
            if (_outTo[at] == client)
            {
                list.Add(_out[at].AsSpan(0, _outLength[at]).ToArray());
            }
        }

        return list;
    }

    /// <summary>The datagrams sent since <paramref name="since"/> (a count from <see cref="SentCount"/>), to a client or to anyone (-1).</summary>
    public List<CoapMessage> SentSince(int since, int client = -1)
    {
        var list = new List<CoapMessage>();
        for (int i = since; i < _outCount; i++)
        {
            int at = i % _out.Length;
            if (client < 0 || _outTo[at] == client)
            {
                var m = new CoapMessage();
                Assert.Equal(CoapParseError.None, m.Parse(_out[at].AsSpan(0, _outLength[at]).ToArray(), 0, _outLength[at]));
                list.Add(m);
            }
        }

        return list;
    }
}

/// <summary>A monotonic clock the test moves, and a wall time that is known or not.</summary>
internal sealed class ManualDeviceClock : IDeviceClock
{
    public long MonotonicMilliseconds { get; set; } = 5_000;

    public bool WallTimeKnown { get; set; } = true;

    /// <summary>The Unix time at monotonic 0.</summary>
    public long UnixAtZero { get; set; } = AceTestSupport.Start;

    public void Advance(long ms) => MonotonicMilliseconds += ms;

    public bool TryGetUnixTime(out long unixSeconds)
    {
        unixSeconds = WallTimeKnown ? UnixAtZero + (MonotonicMilliseconds / 1000) : 0;
        return WallTimeKnown;
    }
}

internal sealed class ListLog : IDeviceLog
{
    public List<(int Level, string Message)> Lines { get; } = new();

    public void Write(int level, string message) => Lines.Add((level, message));
}

internal sealed class TestPeripherals : IDevicePeripherals
{
    public int CentiCelsius { get; set; } = 2150;

    public bool Available { get; set; } = true;

    public bool LedOn { get; private set; }

    public bool ReadTemperature(out int centiCelsius)
    {
        centiCelsius = CentiCelsius;
        return Available;
    }

    public void SetLed(bool on) => LedOn = on;
}

/// <summary>A DeviceRuntime over the fakes, with the test AS's keys, and helpers to speak to it.</summary>
internal sealed class DeviceRuntimeRig
{
    private int _mid = 100;

    public DeviceRuntimeRig(DeviceRuntimeSettings settings = null, IDeviceStorage storage = null, bool keys = true, ManualDeviceClock clock = null, int seed = 5)
    {
        Settings = settings ?? new DeviceRuntimeSettings { Ace = new AceRsSettings(AceTestSupport.Audience, AceTestSupport.AsUri) };
        Clock = clock ?? new ManualDeviceClock();
        Host = new DeviceHost
        {
            Socket = Socket,
            Clock = Clock,
            Storage = storage,
            Crypto = new ManagedCryptoProvider(new SeededRandomSource(seed)),
            Log = Log,
            Peripherals = Peripherals,
        };
        Runtime = new DeviceRuntime(Settings, Host);
        if (keys)
        {
            Runtime.Engine.SetEncrypt0Key(AceTestSupport.AsEncKey());
            Runtime.Engine.SetMac0Key(AceTestSupport.AsMacKey());
            Runtime.Engine.SetCnfDecryptionKey(AceTestSupport.AsEncKey());
        }
    }

    public DeviceRuntimeSettings Settings { get; }

    public DeviceHost Host { get; }

    public DeviceRuntime Runtime { get; }

    public QueueSocket Socket { get; } = new();

    public ManualDeviceClock Clock { get; }

    public ListLog Log { get; } = new();

    public TestPeripherals Peripherals { get; } = new();

    /// <summary>Sends one datagram from a client and returns what the runtime sent back to it in that turn.</summary>
    public List<CoapMessage> Exchange(int client, byte[] datagram)
    {
        int before = Socket.SentCount;
        Socket.Enqueue(client, datagram);
        Runtime.RunOnce();
        return Socket.SentSince(before, client);
    }

    public CoapMessage Request(int client, byte code, string path, byte[] payload = null, Action<CoapMessage> more = null)
    {
        var m = NewRequest(code, path, payload);
        more?.Invoke(m);
        List<CoapMessage> replies = Exchange(client, AceTestSupport.Serialize(m));
        Assert.Single(replies);
        return replies[0];
    }

    public CoapMessage NewRequest(byte code, string path, byte[] payload = null)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = code, MessageId = _mid++ };
        m.SetToken([(byte)(_mid >> 8), (byte)_mid], 0, 2);
        m.AddUriPath(path);
        if (payload != null)
        {
            m.SetPayload(payload, 0, payload.Length);
        }

        return m;
    }
}

/// <summary>An ACE OSCORE client of the rig: posts its token with nonce1, derives the context, protects requests.</summary>
internal sealed class RuntimeClient
{
    private readonly DeviceRuntimeRig _rig;
    private readonly OscoreProcessor _processor = new();
    private readonly ICryptoProvider _provider = AceTestSupport.Provider(78);

    public RuntimeClient(DeviceRuntimeRig rig, int address, TokenSpec spec)
    {
        _rig = rig;
        Address = address;
        Spec = spec;
        Token = AceTestSupport.Mint(spec);
        ClientId = [(byte)(0x40 + address)];
    }

    public int Address { get; }

    public TokenSpec Spec { get; }

    public byte[] Token { get; }

    public byte[] ClientId { get; }

    public SecurityContext Context { get; private set; }

    public OscoreExchange LastExchange { get; private set; }

    /// <summary>RFC 9203 §4.1–§4.3: POST /authz-info with nonce1; on 2.01 the client context is derived.</summary>
    public CoapMessage Post(byte nonceByte = 1)
    {
        byte[] nonce1 = [nonceByte, 2, 3, 4, 5, 6, 7, 8];
        CoapMessage r = _rig.Request(Address, CoapCode.Post, "/authz-info", AuthzInfoRequest.Encode(Token, nonce1, ClientId),
            m => m.AddUintOption(CoapOptionNumber.ContentFormat, CoapContentFormat.AceCbor));
        if (r.Code == CoapCode.Created)
        {
            Assert.True(AuthzInfoResponse.TryParse(r.PayloadBuffer, r.PayloadOffset, r.PayloadLength, out byte[] n2, out byte[] serverId));
            Context = AceOscoreSetup.CreateClientContext(_provider, new AceOscoreInput(Spec.MasterSecret, Spec.Salt, Spec.ContextId, Spec.Alg, 32), nonce1, n2, ClientId, serverId);
        }

        return r;
    }

    /// <summary>A protected request, serialized (RFC 8613 §8.1); the exchange is kept to read the response.</summary>
    public byte[] Protect(byte code, string path, byte[] payload = null, Action<CoapMessage> more = null)
    {
        CoapMessage m = _rig.NewRequest(code, path, payload);
        more?.Invoke(m);
        LastExchange = new OscoreExchange();
        Assert.Equal(OscoreStatus.Ok, _processor.ProtectRequest(m, Context, false, LastExchange));
        return AceTestSupport.Serialize(m);
    }

    /// <summary>Sends a protected request and returns the decrypted response.</summary>
    public CoapMessage Send(byte code, string path, byte[] payload = null, Action<CoapMessage> more = null)
    {
        List<CoapMessage> replies = _rig.Exchange(Address, Protect(code, path, payload, more));
        Assert.Single(replies);
        return Open(replies[0]);
    }

    /// <summary>Decrypts a response or notification to the last request.</summary>
    public CoapMessage Open(CoapMessage response, OscoreExchange exchange = null)
    {
        Assert.True(response.HasOption(CoapOptionNumber.Oscore), "expected a protected response, got " + CoapCode.ClassOf(response.Code) + "." + CoapCode.DetailOf(response.Code).ToString("00", null));
        Assert.Equal(OscoreStatus.Ok, _processor.UnprotectResponse(response, exchange ?? LastExchange));
        return response;
    }
}
