using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

using Org.BouncyCastle.Tls;

using PopIoT.Core.Crypto;
using PopIoT.Core.Dtls;

using Xunit;

namespace PopIoT.Core.Tests.Dtls;

/// <summary>
/// In-process interop with BouncyCastle's DTLS 1.2 (an independent implementation): its client against our server
/// and our client against its server, PSK with CCM_8 and CCM, data both ways, close_notify, the extended master
/// secret seen from BouncyCastle's side, and the same exporter value on both sides. BouncyCastle blocks, so it runs on
/// a task; our engine is pumped on the test thread with the real monotonic clock.
/// </summary>
public class DtlsInteropTests
{
    public const string ExporterLabel = "EXPORTER-popiot-test";
    private const int OurPeer = 1;
    private static readonly byte[] Identity = [0x6B, 0x69, 0x64, 0x00, 0x01];
    private static readonly byte[] Key = Convert.FromHexString("0f0e0d0c0b0a09080706050403020100");

    [Theory]
    [InlineData(DtlsCipherSuite.PskAes128Ccm8)]
    [InlineData(DtlsCipherSuite.PskAes128Ccm)]
    public async Task BouncyCastle_client_against_our_server(int suite)
    {
        var toUs = new BlockingCollection<byte[]>();
        var toBc = new BlockingCollection<byte[]>();
        var events = new RecordingListener();
        var store = new TablePskStore().Add(Identity, Key);
        using var server = new DtlsEngine(new DtlsSettings { CipherSuites = [suite] }, new ManagedCryptoProvider(new SeededRandomSource(21)), store, events);
        events.OnData = (peer, data) =>
        {
            byte[] reply = [.. "echo:"u8.ToArray(), .. data.Buffer.AsSpan(data.Offset, data.Count).ToArray()];
            Assert.True(server.Send(peer, ByteRange.Of(reply), Clock()));
        };

        var client = new BcPskClient(BcPskClient.NewCrypto(), Identity, Key, suite);
        byte[]? received = null;
        Task bc = Task.Run(() =>
        {
            DtlsTransport t = new DtlsClientProtocol().Connect(client, new QueueTransport(toBc, toUs, 1232));
            t.Send("hello from bc"u8.ToArray(), 0, 13);
            byte[] buf = new byte[1500];
            int n = t.Receive(buf, 0, buf.Length, 10_000);
            received = buf.AsSpan(0, Math.Max(n, 0)).ToArray();
            t.Close();
        });

        Pump(server, toUs, toBc, () => bc.IsCompleted && events.Closed.Count > 0);
        await bc;

        Assert.Equal("echo:hello from bc"u8.ToArray(), received);
        Assert.Equal("hello from bc"u8.ToArray(), events.Data.Single().Data);
        Assert.True(client.ExtendedMasterSecret);
        Assert.Equal(suite, client.NegotiatedSuite);
        Assert.Equal(Identity, store.Asked.Single().Identity);
        Assert.Equal((OurPeer, DtlsAlert.CloseNotify), events.Closed.Single());
        Assert.Equal(1, server.CookiesSent);
        Assert.Equal(0, server.SessionCount);
    }

    [Fact]
    public async Task BouncyCastle_client_and_our_server_export_the_same_keying_material()
    {
        var toUs = new BlockingCollection<byte[]>();
        var toBc = new BlockingCollection<byte[]>();
        var events = new RecordingListener();
        using var server = new DtlsEngine(new DtlsSettings(), new ManagedCryptoProvider(new SeededRandomSource(22)), new TablePskStore().Add(Identity, Key), events);
        var client = new BcPskClient(BcPskClient.NewCrypto(), Identity, Key, DtlsCipherSuite.PskAes128Ccm8);
        DtlsTransport? transport = null;
        Task bc = Task.Run(() => transport = new DtlsClientProtocol().Connect(client, new QueueTransport(toBc, toUs, 1232)));
        Pump(server, toUs, toBc, () => bc.IsCompleted && server.IsEstablished(OurPeer));
        await bc;
        byte[] ours = new byte[32];
        Assert.True(server.ExportKeyingMaterial(OurPeer, ByteRange.Of(System.Text.Encoding.ASCII.GetBytes(ExporterLabel)), default, ours, 0, 32));
        Assert.Equal(client.Exported, ours);
        transport!.Close();
    }

    [Theory]
    [InlineData(DtlsCipherSuite.PskAes128Ccm8, false)]
    [InlineData(DtlsCipherSuite.PskAes128Ccm, false)]
    [InlineData(DtlsCipherSuite.PskAes128Ccm8, true)]
    public async Task Our_client_against_BouncyCastle_server(int suite, bool helloVerify)
    {
        var toUs = new BlockingCollection<byte[]>();
        var toBc = new BlockingCollection<byte[]>();
        var events = new RecordingListener();
        using var client = new DtlsEngine(new DtlsSettings { CipherSuites = [suite] }, new ManagedCryptoProvider(new SeededRandomSource(23)), null, events);
        var bcServer = new BcPskServer(BcPskClient.NewCrypto(), Identity, Key, suite);
        byte[]? got = null;
        Task bc = Task.Run(() =>
        {
            var transport = new QueueTransport(toBc, toUs, 1232);
            var protocol = new DtlsServerProtocol();
            DtlsTransport t;
            if (helloVerify)
            {
                // RFC 6347 §4.2.1 on BouncyCastle's side: its stateless verifier answers with a HelloVerifyRequest first.
                var verifier = new DtlsVerifier(BcPskClient.NewCrypto());
                DtlsRequest? request = null;
                byte[] buf = new byte[1500];
                while (request == null)
                {
                    int n = transport.Receive(buf, 0, buf.Length, 10_000);
                    Assert.True(n > 0);
                    request = verifier.VerifyRequest([1, 2, 3, 4], buf, 0, n, transport);
                }

                t = protocol.Accept(bcServer, transport, request);
            }
            else
            {
                t = protocol.Accept(bcServer, transport);
            }

            byte[] data = new byte[1500];
            int m = t.Receive(data, 0, data.Length, 10_000);
            got = data.AsSpan(0, Math.Max(m, 0)).ToArray();
            t.Send("reply from bc"u8.ToArray(), 0, 13);
            // Our close_notify must reach BouncyCastle's alert handling (its Receive then idles until its timeout, so poll briefly).
            var until = Stopwatch.StartNew();
            while (!bcServer.CloseNotifyReceived && until.ElapsedMilliseconds < 10_000)
            {
                t.Receive(data, 0, data.Length, 50);
            }
        });

        Assert.True(client.Connect(OurPeer, ByteRange.Of(Identity), ByteRange.Of(Key), Clock()));
        Pump(client, toUs, toBc, () => client.IsEstablished(OurPeer) || events.Closed.Count > 0);
        Assert.True(client.IsEstablished(OurPeer));
        Assert.Equal(suite, client.CipherSuite(OurPeer));
        Assert.True(client.Send(OurPeer, ByteRange.Of("hello from us"u8.ToArray()), Clock()));
        Pump(client, toUs, toBc, () => events.Data.Count == 1);
        Assert.Equal("reply from bc"u8.ToArray(), events.Data[0].Data);
        Assert.Equal("hello from us"u8.ToArray(), got);

        byte[] ours = new byte[32];
        Assert.True(client.ExportKeyingMaterial(OurPeer, ByteRange.Of(System.Text.Encoding.ASCII.GetBytes(ExporterLabel)), default, ours, 0, 32));
        Assert.Equal(bcServer.Exported, ours);
        Assert.True(bcServer.ExtendedMasterSecret);

        client.Close(OurPeer, Clock());
        Pump(client, toUs, toBc, () => bc.IsCompleted);
        await bc;
        Assert.Equal((OurPeer, DtlsAlert.CloseNotify), events.Closed.Single());
        Assert.True(bcServer.CloseNotifyReceived);
    }

    private static readonly Stopwatch Watch = Stopwatch.StartNew();

    private static long Clock() => Watch.ElapsedMilliseconds;

    /// <summary>Moves datagrams between our engine and BouncyCastle's queues until <paramref name="done"/> or 20 s.</summary>
    private static void Pump(DtlsEngine engine, BlockingCollection<byte[]> toUs, BlockingCollection<byte[]> toBc, Func<bool> done)
    {
        byte[] buffer = new byte[2048];
        long deadline = Clock() + 20_000;
        while (!done())
        {
            Assert.True(Clock() < deadline, "The DTLS exchange with BouncyCastle did not finish in 20 s.");
            while (engine.TryTakeOutgoing(buffer, 0, out int n, out int peer))
            {
                Assert.Equal(OurPeer, peer);
                toBc.Add(buffer.AsSpan(0, n).ToArray());
            }

            if (toUs.TryTake(out byte[]? d, 5))
            {
                engine.Receive(ByteRange.Of(d), OurPeer, ByteRange.Of([127, 0, 0, 1, 0x16, 0x34]), Clock());
            }

            engine.Poll(Clock());
            Thread.Yield();
        }

        while (engine.TryTakeOutgoing(buffer, 0, out int n, out _))
        {
            toBc.Add(buffer.AsSpan(0, n).ToArray());
        }
    }
}
