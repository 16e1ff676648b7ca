using System;
using System.Reflection;

using PopIoT.Core.Crypto;
using PopIoT.Core.Dtls;
using PopIoT.Device;

using Xunit;
using Xunit.Abstractions;

namespace PopIoT.Core.Tests.Dtls;

/// <summary>
/// Memory: nothing allocated per record once a session is established (docs/dtls.md, "Memory"), and the state per session
/// and per handshake in nanoFramework's heap layout (src/PopIoT/Device/NanoHeapModel.cs).
/// </summary>
public class DtlsMemoryTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(DtlsCipherSuite.PskAes128Ccm8)]
    [InlineData(DtlsCipherSuite.PskAes128Ccm)]
    public void Records_allocate_nothing_after_the_handshake(int suite)
    {
        var clientEvents = new CountingListener();
        var serverEvents = new CountingListener();
        var client = new DtlsEngine(new DtlsSettings { CipherSuites = [suite] }, new ManagedCryptoProvider(new SeededRandomSource(70)), null, clientEvents);
        var server = new DtlsEngine(new DtlsSettings(), new ManagedCryptoProvider(new SeededRandomSource(71)), new TablePskStore().Add(DtlsWorld.Identity, DtlsWorld.Key), serverEvents);
        byte[] wire = new byte[2048];
        byte[] address = [192, 0, 2, 1];
        Assert.True(client.Connect(0, ByteRange.Of(DtlsWorld.Identity), ByteRange.Of(DtlsWorld.Key), 0));
        for (int i = 0; i < 10; i++)
        {
            while (client.TryTakeOutgoing(wire, 0, out int n, out _))
            {
                server.Receive(new ByteRange(wire, 0, n), 5, new ByteRange(address, 0, 4), 0);
            }

            while (server.TryTakeOutgoing(wire, 0, out int n, out _))
            {
                client.Receive(new ByteRange(wire, 0, n), 0, default, 0);
            }
        }

        Assert.True(client.IsEstablished(0) && server.IsEstablished(5));
        byte[] request = new byte[100];
        byte[] response = new byte[200];
        var requestRange = new ByteRange(request, 0, request.Length);
        var responseRange = new ByteRange(response, 0, response.Length);

        void Exchange()
        {
            client.Send(0, requestRange, 1);
            client.TryTakeOutgoing(wire, 0, out int n, out _);
            server.Receive(new ByteRange(wire, 0, n), 5, new ByteRange(address, 0, 4), 1);
            server.Send(5, responseRange, 1);
            server.TryTakeOutgoing(wire, 0, out n, out _);
            client.Receive(new ByteRange(wire, 0, n), 0, default, 1);
        }

        for (int i = 0; i < 50; i++)
        {
            Exchange();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Exchange();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1050, serverEvents.Records);
        Assert.Equal(1050, clientEvents.Records);
    }

    [Fact]
    public void State_per_session_and_per_handshake_in_the_nanoFramework_layout()
    {
        var settings = new DtlsSettings();
        int perSession = PerSlot(s => s.MaxSessions = s.MaxSessions, sessions: true);
        int perHandshake = PerSlot(s => { }, sessions: false);
        int session = NanoHeapModel.Tally(new DtlsSession()).NanoBytes;
        int handshake = NanoHeapModel.Tally(new DtlsHandshake(settings)).NanoBytes;
        output.WriteLine($"established session: {session} B (+12 B table entry = {perSession} B per slot); handshake in progress: {handshake} B (+12 B = {perHandshake} B per pool entry) with MaxIdentityLength {settings.MaxIdentityLength}, OutOfOrderMessages {settings.OutOfOrderMessages}");
        output.WriteLine($"engine with the defaults ({settings.MaxSessions} sessions, {settings.MaxHandshakes} handshakes, {settings.DatagramSize} B datagrams): {Engine(settings)} B");
        var small = new DtlsSettings { MaxSessions = 2, MaxHandshakes = 1, DatagramSize = 512, OutboxCapacity = 4, MaxIdentityLength = 64, MaxPskLength = 32, OutOfOrderMessages = 1 };
        output.WriteLine($"a small board (2 sessions, 1 handshake, 512 B datagrams, outbox 4, identity 64, PSK 32, 1 early message): engine {Engine(small)} B, handshake {NanoHeapModel.Tally(new DtlsHandshake(small)).NanoBytes} B");
        Assert.Equal(session + 12, perSession);
        Assert.Equal(handshake + 12, perHandshake);
        Assert.True(perSession <= 384, $"{perSession} B per established session is over the 384 B budget");
    }

    // The engine measured with one and with nine sessions (or handshakes): the difference per slot, as NanoHeapModel.MeasureEngine does.
    private static int PerSlot(Action<DtlsSettings> _, bool sessions)
    {
        int Measure(int n)
        {
            var s = new DtlsSettings { MaxSessions = sessions ? n : 9, MaxHandshakes = sessions ? 1 : n };
            return Engine(s);
        }

        return (Measure(9) - Measure(1)) / 8;
    }

    private static int Engine(DtlsSettings settings)
    {
        using var engine = new DtlsEngine(settings, new ManagedCryptoProvider(new SeededRandomSource(1)), null, new CountingListener());
        return NanoHeapModel.Tally(engine).NanoBytes;
    }

    private sealed class CountingListener : IDtlsListener
    {
        public int Records { get; private set; }

        public void OnConnected(int peer)
        {
        }

        public void OnApplicationData(int peer, ByteRange data) => Records++;

        public void OnClosed(int peer, int alert)
        {
        }
    }
}
