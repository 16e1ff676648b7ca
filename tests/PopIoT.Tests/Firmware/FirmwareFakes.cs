using PopIoT.Core.Crypto;
using PopIoT.Core.Device;
using PopIoT.Core.Sntp;
using PopIoT.Firmware;

using Xunit;

namespace PopIoT.Tests.Firmware;

/// <summary>A millisecond counter the test moves.</summary>
internal sealed class FakeCounter : IMillisecondCounter
{
    public long Milliseconds { get; set; } = 5000;
}

/// <summary>The log lines, kept for assertions.</summary>
internal sealed class ListLog : IDeviceLog
{
    public List<(int Level, string Text)> Lines { get; } = [];

    public string All => string.Join("\n", Lines.Select(l => l.Text));

    public void Write(int level, string message) => Lines.Add((level, message));
}

/// <summary>
/// A datagram socket with an SNTP server behind it, on the fake counter's time: each request is answered after
/// <see cref="RoundTripMs"/> with the server's time, unless told to drop it, answer with a kiss-o'-death, or send an
/// attacker's datagram first. Receive advances the counter by what it waits.
/// </summary>
internal sealed class FakeSntpNetwork : IDatagramSocket
{
    private readonly FakeCounter _counter;
    private readonly Queue<(long At, byte[] Data, DatagramAddress From)> _inbox = new();

    public FakeSntpNetwork(FakeCounter counter, DatagramAddress server)
    {
        _counter = counter;
        Server = server;
    }

    public DatagramAddress Server { get; }

    /// <summary>The server's wall time, in Unix ms, when the counter is 0.</summary>
    public long ServerUnixMsAtZero { get; set; } = 1_796_547_600_000; // 2026-12-06T09:00:00Z

    public int RoundTripMs { get; set; } = 40;

    public int DropRequests { get; set; }

    public bool KissOfDeath { get; set; }

    /// <summary>Before the real reply: a reply with its own time, from another address, echoing the request.</summary>
    public long? SpoofFromElsewhereUnixMs { get; set; }

    /// <summary>Before the real reply: a reply from the server's address that does not echo the request.</summary>
    public bool ForgedWithoutEcho { get; set; }

    public int Requests { get; private set; }

    public bool Send(DatagramAddress to, byte[] buffer, int offset, int count)
    {
        Assert.True(to.SameAs(Server));
        Assert.Equal(SntpClient.PacketLength, count);
        Requests++;
        if (DropRequests > 0)
        {
            DropRequests--;
            return true;
        }

        byte[] request = buffer[offset..(offset + count)];
        long at = _counter.Milliseconds + RoundTripMs;
        long serverTime = ServerUnixMsAtZero + _counter.Milliseconds + (RoundTripMs / 2);
        if (SpoofFromElsewhereUnixMs is long spoof)
        {
            var elsewhere = new DatagramAddress();
            elsewhere.Set([203, 0, 113, 66], 0, 4, SntpClient.ServerPort);
            _inbox.Enqueue((at - 1, Reply(request, spoof), elsewhere));
        }

        if (ForgedWithoutEcho)
        {
            byte[] forged = Reply(request, serverTime - 86_400_000L * 365);
            forged[24] ^= 0xFF;
            _inbox.Enqueue((at - 1, forged, Server));
        }

        byte[] reply = Reply(request, serverTime);
        if (KissOfDeath)
        {
            reply[0] = (3 << 6) | (4 << 3) | 4;
            reply[1] = 0;
        }

        _inbox.Enqueue((at, reply, Server));
        return true;
    }

    public int Receive(byte[] buffer, int offset, int count, int timeoutMs, DatagramAddress from)
    {
        long deadline = _counter.Milliseconds + timeoutMs;
        if (_inbox.Count == 0 || _inbox.Peek().At > deadline)
        {
            _counter.Milliseconds = deadline;
            return -1;
        }

        var (at, data, sender) = _inbox.Dequeue();
        _counter.Milliseconds = Math.Max(_counter.Milliseconds, at);
        data.CopyTo(buffer, offset);
        from.CopyFrom(sender);
        return data.Length;
    }

    // A server reply (RFC 4330 §5) echoing the request, received and sent at the given Unix time.
    internal static byte[] Reply(byte[] request, long unixMs)
    {
        byte[] r = new byte[48];
        r[0] = (4 << 3) | 4;
        r[1] = 2;
        Array.Copy(request, 40, r, 24, 8);
        PutNtp(r, 32, unixMs);
        PutNtp(r, 40, unixMs);
        return r;
    }

    private static void PutNtp(byte[] b, int o, long unixMs)
    {
        ulong seconds = (ulong)(unixMs / 1000 + SntpClient.NtpEraOffsetSeconds) & 0xFFFFFFFF;
        ulong fraction = (((ulong)(unixMs % 1000) << 32) / 1000) + 1;
        for (int i = 0; i < 4; i++)
        {
            b[o + i] = (byte)(seconds >> (24 - (8 * i)));
            b[o + 4 + i] = (byte)(fraction >> (24 - (8 * i)));
        }
    }
}

/// <summary>A network interface that joins whatever it is told, records what it was given, and resolves one name.</summary>
internal sealed class FakeNetworkLink : INetworkLink
{
    public (string Ssid, string Passphrase)? Joined { get; private set; }

    public bool Up { get; set; } = true;

    public DatagramAddress? ResolvesTo { get; set; }

    public string LastError { get; private set; } = "";

    public bool ConnectWifi(string ssid, string passphrase, int timeoutMs)
    {
        Joined = (ssid, passphrase);
        LastError = Up ? "" : "could not join the network (SSID or passphrase?)";
        return Up;
    }

    public bool WaitForAddress(int timeoutMs) => Up;

    public bool Resolve(string host, int port, DatagramAddress into)
    {
        if (ResolvesTo == null)
        {
            LastError = "DNS lookup failed";
            return false;
        }

        into.CopyFrom(ResolvesTo);
        return true;
    }
}

/// <summary>A board of fakes: memory storage, the fake counter, network and SNTP server.</summary>
internal sealed class FakeBoard : IFirmwareBoard
{
    public FakeBoard(IDeviceStorage storage)
    {
        Storage = storage;
        var server = new DatagramAddress();
        server.Set([192, 0, 2, 123], 0, 4, SntpClient.ServerPort);
        Link.ResolvesTo = server;
        Sntp = new FakeSntpNetwork(FakeCounter, server);
    }

    public ListLog ListLog { get; } = new();

    public FakeCounter FakeCounter { get; } = new();

    public FakeNetworkLink Link { get; } = new();

    public FakeSntpNetwork Sntp { get; }

    public IDeviceLog Log => ListLog;

    public IDeviceStorage Storage { get; }

    public IMillisecondCounter Counter => FakeCounter;

    public IRandomSource Random { get; } = new SeededRandomSource(11);

    public INetworkLink Network => Link;

    public ICryptoProvider CreateCrypto(bool native, int macCapacity) => new ManagedCryptoProvider(Random);

    public IDevicePeripherals OpenPeripherals(int ledPin) => throw new NotSupportedException("not used by the startup steps");

    public IDatagramSocket OpenUdp(int localPort) => Sntp;
}
