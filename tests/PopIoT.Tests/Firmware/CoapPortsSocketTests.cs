using PopIoT.Core.Device;
using PopIoT.Firmware;

using Xunit;

namespace PopIoT.Tests.Firmware;

/// <summary>
/// The firmware's coap + coaps socket pair (docs/firmware.md, "CoAP over DTLS"): what arrives on either port reaches the
/// runtime, a reply leaves by its first byte (RFC 7983 §7: a DTLS record from the coaps port, CoAP from the coap port),
/// neither port starves the other, and the timeout holds.
/// </summary>
public sealed class CoapPortsSocketTests
{
    /// <summary>One port: queued datagrams in, sent datagrams kept; a wait advances the shared counter.</summary>
    private sealed class Port(FakeCounter counter, int port) : IDatagramSocket
    {
        public Queue<byte[]> In { get; } = new();

        public List<byte[]> Sent { get; } = [];

        public List<int> Waits { get; } = [];

        public int Receive(byte[] buffer, int offset, int count, int timeoutMs, DatagramAddress from)
        {
            Waits.Add(timeoutMs);
            if (In.Count == 0)
            {
                counter.Milliseconds += timeoutMs;
                return -1;
            }

            byte[] d = In.Dequeue();
            Array.Copy(d, 0, buffer, offset, d.Length);
            from.Set([127, 0, 0, 1], 0, 4, port + 10000);
            return d.Length;
        }

        public bool Send(DatagramAddress to, byte[] buffer, int offset, int count)
        {
            Sent.Add(buffer.AsSpan(offset, count).ToArray());
            return true;
        }
    }

    private static (CoapPortsSocket Socket, Port Coap, Port Coaps, FakeCounter Counter) Pair()
    {
        var counter = new FakeCounter();
        var coap = new Port(counter, 5683);
        var coaps = new Port(counter, 5684);
        return (new CoapPortsSocket(coap, coaps, counter), coap, coaps, counter);
    }

    [Fact]
    public void Datagrams_from_both_ports_reach_the_runtime_and_neither_starves_the_other()
    {
        var (s, coap, coaps, _) = Pair();
        for (int i = 0; i < 3; i++)
        {
            coap.In.Enqueue([0x40, 0x01, 0, (byte)i]);
            coaps.In.Enqueue([22, 0xfe, 0xfd, (byte)i]);
        }

        byte[] b = new byte[64];
        var from = new DatagramAddress();
        var firstBytes = new List<byte>();
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(4, s.Receive(b, 0, b.Length, 1000, from));
            firstBytes.Add(b[0]);
        }

        // Alternating: a busy port never keeps the other waiting for more than one datagram.
        Assert.Equal([0x40, 22, 0x40, 22, 0x40, 22], firstBytes);
    }

    [Fact]
    public void A_reply_leaves_from_the_port_of_its_kind()
    {
        var (s, coap, coaps, _) = Pair();
        var to = new DatagramAddress();
        to.Set([127, 0, 0, 1], 0, 4, 40000);

        // RFC 7983 §7: 20..63 is DTLS (alert 21, handshake 22, application data 23), 64..127 CoAP.
        Assert.True(s.Send(to, [23, 0xfe, 0xfd, 0], 0, 4));
        Assert.True(s.Send(to, [21, 0xfe, 0xfd, 0], 0, 4));
        Assert.True(s.Send(to, [0x60, 0x45, 0, 1], 0, 4));
        Assert.Equal([23, 21], coaps.Sent.Select(d => d[0]));
        Assert.Equal([0x60], coap.Sent.Select(d => d[0]));
        Assert.True(CoapPortsSocket.IsDtlsRecord([20], 0, 1) && CoapPortsSocket.IsDtlsRecord([63], 0, 1));
        Assert.False(CoapPortsSocket.IsDtlsRecord([19], 0, 1) || CoapPortsSocket.IsDtlsRecord([64], 0, 1) || CoapPortsSocket.IsDtlsRecord([22], 0, 0));
    }

    [Fact]
    public void With_nothing_arriving_the_wait_ends_at_the_timeout_in_slices()
    {
        var (s, coap, coaps, counter) = Pair();
        long start = counter.Milliseconds;

        Assert.Equal(-1, s.Receive(new byte[8], 0, 8, 95, new DatagramAddress()));
        Assert.InRange(counter.Milliseconds - start, 95, 95 + CoapPortsSocket.SliceMs);
        Assert.All(coap.Waits.Concat(coaps.Waits), w => Assert.InRange(w, 0, CoapPortsSocket.SliceMs));
        Assert.Equal(-1, s.Receive(new byte[8], 0, 8, 0, new DatagramAddress()));
    }
}
