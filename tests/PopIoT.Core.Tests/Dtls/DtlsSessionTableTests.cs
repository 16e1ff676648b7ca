using System.Linq;

using PopIoT.Core.Crypto;
using PopIoT.Core.Dtls;

using Xunit;

namespace PopIoT.Core.Tests.Dtls;

/// <summary>The session table: what may end or replace a session (RFC 5246 §7.2, docs/dtls.md "Table").</summary>
public class DtlsSessionTableTests
{
    [Fact]
    public void An_unprotected_alert_cannot_end_an_established_session()
    {
        var world = DtlsHandshakeTests.Established(61);
        foreach (byte[] alert in new[] { new byte[] { 21, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 2, 40 }, new byte[] { 21, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 10, 0, 2, 1, 0 } })
        {
            world.Server.Receive(ByteRange.Of(alert), DtlsWorld.ClientPeer, ByteRange.Of(DtlsWorld.ClientAddress), world.Now);
        }

        Assert.True(world.Server.IsEstablished(DtlsWorld.ClientPeer));
        Assert.Empty(world.ServerEvents.Closed);
    }

    [Fact]
    public void A_full_table_evicts_the_least_recently_used_established_session_and_erases_its_keys()
    {
        var events = new RecordingListener();
        var server = new DtlsEngine(new DtlsSettings { MaxSessions = 2, MaxHandshakes = 1 }, new ManagedCryptoProvider(new SeededRandomSource(62)), new TablePskStore().Add(DtlsWorld.Identity, DtlsWorld.Key), events);
        byte[] buffer = new byte[2048];
        long now = 0;
        for (int peer = 1; peer <= 3; peer++)
        {
            var client = new DtlsEngine(new DtlsSettings(), new ManagedCryptoProvider(new SeededRandomSource(62 + peer)), null, new RecordingListener());
            Assert.True(client.Connect(0, ByteRange.Of(DtlsWorld.Identity), ByteRange.Of(DtlsWorld.Key), now));
            for (int i = 0; i < 6; i++)
            {
                while (client.TryTakeOutgoing(buffer, 0, out int n, out _))
                {
                    server.Receive(new ByteRange(buffer, 0, n), peer, ByteRange.Of([10, 0, 0, (byte)peer]), now);
                }

                while (server.TryTakeOutgoing(buffer, 0, out int n, out int to))
                {
                    Assert.Equal(peer, to);
                    client.Receive(new ByteRange(buffer, 0, n), 0, default, now);
                }
            }

            Assert.True(server.IsEstablished(peer));
            now += 1000;
        }

        Assert.False(server.IsEstablished(1));
        Assert.True(server.IsEstablished(2));
        Assert.Equal((1, DtlsAlert.Evicted), events.Closed.Single());
        var sessions = DtlsHandshakeTests.Internal<DtlsSession[]>(server, "_sessions");
        Assert.DoesNotContain(sessions, s => s.Peer == 1);
    }
}
