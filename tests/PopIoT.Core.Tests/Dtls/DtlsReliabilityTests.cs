using System;
using System.Linq;

using PopIoT.Core.Crypto;
using PopIoT.Core.Dtls;

using Xunit;

namespace PopIoT.Core.Tests.Dtls;

/// <summary>
/// Flight retransmission and timeouts (RFC 6347 §4.2.4) on the lossy in-memory network with the virtual clock:
/// dropped, duplicated and reordered datagrams; no sleeps, all time is the simulated clock.
/// </summary>
public class DtlsReliabilityTests
{
    [Fact]
    public void Retransmission_timer_starts_at_2_s_and_doubles_to_60_s_then_the_handshake_times_out()
    {
        var settings = new DtlsSettings { HandshakeTimeoutMs = 300_000 };
        var world = new DtlsWorld(40, settings) { DropRate = 1.0 };
        long start = world.Now;
        Assert.True(world.Connect());
        world.Run(() => world.ClientEvents.Closed.Count == 1, start + 400_000);
        long[] gaps = world.ClientSendTimes.Zip(world.ClientSendTimes.Skip(1), (a, b) => b - a).ToArray();
        Assert.Equal(new long[] { 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000 }, gaps.Take(8).ToArray());
        Assert.Equal((DtlsWorld.ServerPeer, DtlsAlert.Timeout), world.ClientEvents.Closed.Single());
        Assert.Equal(start + 300_000, world.Now);
        Assert.Equal(0, world.Client.SessionCount);
        Assert.Equal(0, world.Client.HandshakeCount);
    }

    [Fact]
    public void Every_handshake_on_a_lossy_duplicating_reordering_network_completes_or_times_out_as_configured()
    {
        int completed = 0;
        int timedOut = 0;
        for (int seed = 0; seed < 300; seed++)
        {
            var settings = new DtlsSettings { HandshakeTimeoutMs = 60_000 };
            var world = new DtlsWorld(1000 + seed, settings, new DtlsSettings { HandshakeTimeoutMs = 60_000 })
            {
                DropRate = 0.3,
                DuplicateRate = 0.3,
                MaxDelayMs = 1500,
            };
            long start = world.Now;
            Assert.True(world.Connect());
            world.Run(() => world.Client.IsEstablished(DtlsWorld.ServerPeer) || world.ClientEvents.Closed.Count > 0, start + 120_000);
            if (world.Client.IsEstablished(DtlsWorld.ServerPeer))
            {
                completed++;
                Assert.True(world.Now - start <= 60_000);

                // Established means established on both sides: the client's first data is delivered (retrying over loss).
                world.DropRate = 0;
                Assert.True(world.Client.Send(DtlsWorld.ServerPeer, ByteRange.Of([42]), world.Now));
                world.Run(() => world.ServerEvents.Data.Count > 0, world.Now + 10_000);
                Assert.Equal([42], world.ServerEvents.Data.First().Data);
                Assert.Single(world.ServerEvents.Data);
            }
            else
            {
                timedOut++;
                Assert.Equal((DtlsWorld.ServerPeer, DtlsAlert.Timeout), world.ClientEvents.Closed.Single());
                Assert.Equal(start + 60_000, world.Now);
            }

            // Whatever happened, no handshake state is left on either side once the timeouts have run.
            world.DropRate = 0;
            world.Run(() => false, world.Now + 70_000);
            Assert.Equal(0, world.Server.HandshakeCount);
            Assert.Equal(0, world.Client.HandshakeCount);
            Assert.Empty(world.ClientEvents.Connected.Skip(1));
        }

        Assert.Equal(300, completed + timedOut);
        Assert.True(completed >= 270, $"only {completed} of 300 handshakes completed");
    }

    [Fact]
    public void A_lost_server_finished_is_resent_when_the_client_repeats_its_last_flight()
    {
        var world = new DtlsWorld(41);
        Assert.True(world.Connect());

        // Deliver everything except the server's last flight (ChangeCipherSpec + Finished) once.
        bool dropped = false;
        world.Run(() => world.Server.IsEstablished(DtlsWorld.ClientPeer), world.Now + 1000);
        world.Collect();
        Assert.True(world.Server.IsEstablished(DtlsWorld.ClientPeer));
        Assert.False(world.Client.IsEstablished(DtlsWorld.ServerPeer));
        dropped = world.DropPending(toServer: false);
        Assert.True(dropped);
        Assert.True(world.Run(() => world.Client.IsEstablished(DtlsWorld.ServerPeer), world.Now + 5000));
        Assert.Single(world.ServerEvents.Connected);
        Assert.Single(world.ClientEvents.Connected);
    }

    [Fact]
    public void A_late_copy_of_the_verified_client_hello_does_not_end_the_established_session()
    {
        var world = DtlsHandshakeTests.Established(44);
        byte[] clientHelloWithCookie = world.ToServerLog[1];
        world.Server.Receive(ByteRange.Of(clientHelloWithCookie), DtlsWorld.ClientPeer, ByteRange.Of(DtlsWorld.ClientAddress), world.Now);
        Assert.True(world.Server.IsEstablished(DtlsWorld.ClientPeer));
        Assert.True(world.Client.Send(DtlsWorld.ServerPeer, ByteRange.Of([7]), world.Now));
        world.Run(() => world.ServerEvents.Data.Count == 1, world.Now + 100);
        Assert.Equal([7], world.ServerEvents.Data.Single().Data);
    }

    [Fact]
    public void The_half_open_cap_refuses_verified_handshakes_beyond_the_pool_and_keeps_no_state_for_them()
    {
        var events = new RecordingListener();
        var server = new DtlsEngine(new DtlsSettings { MaxSessions = 4, MaxHandshakes = 1 }, new ManagedCryptoProvider(new SeededRandomSource(45)), new TablePskStore().Add(DtlsWorld.Identity, DtlsWorld.Key), events);
        var a = new DtlsEngine(new DtlsSettings(), new ManagedCryptoProvider(new SeededRandomSource(46)), null, new RecordingListener());
        var b = new DtlsEngine(new DtlsSettings(), new ManagedCryptoProvider(new SeededRandomSource(47)), null, new RecordingListener());
        Assert.True(a.Connect(0, ByteRange.Of(DtlsWorld.Identity), ByteRange.Of(DtlsWorld.Key), 0));
        Assert.True(b.Connect(0, ByteRange.Of(DtlsWorld.Identity), ByteRange.Of(DtlsWorld.Key), 0));

        // Each client's ClientHello, the HelloVerifyRequest back, and the ClientHello with the cookie; the server's flight 4 is held back.
        for (int round = 0; round < 2; round++)
        {
            Move(a, server, 1, [10, 0, 0, 1]);
            Move(b, server, 2, [10, 0, 0, 2]);
            if (round == 0)
            {
                MoveBack(server, a, b);
            }
        }

        Assert.Equal(1, server.HandshakeCount);
        Assert.Equal(1, server.SessionCount);
        Assert.Equal(1, server.HandshakesRefused);
    }

    private static void Move(DtlsEngine from, DtlsEngine to, int peer, byte[] address)
    {
        byte[] buffer = new byte[2048];
        while (from.TryTakeOutgoing(buffer, 0, out int n, out _))
        {
            to.Receive(new ByteRange(buffer, 0, n), peer, ByteRange.Of(address), 0);
        }
    }

    private static void MoveBack(DtlsEngine server, DtlsEngine peer1, DtlsEngine peer2)
    {
        byte[] buffer = new byte[2048];
        while (server.TryTakeOutgoing(buffer, 0, out int n, out int to))
        {
            (to == 1 ? peer1 : peer2).Receive(new ByteRange(buffer, 0, n), 0, default, 0);
        }
    }
}
