using System;
using System.Linq;

using PopIoT.Core.Dtls;

using Xunit;

namespace PopIoT.Core.Tests.Dtls;

/// <summary>Our client against our server: the PSK handshake (RFC 4279, RFC 6347 §4.2), data, exporter, close.</summary>
public class DtlsHandshakeTests
{
    [Theory]
    [InlineData(DtlsCipherSuite.PskAes128Ccm8)]
    [InlineData(DtlsCipherSuite.PskAes128Ccm)]
    public void Handshake_then_data_both_ways_then_close_notify(int suite)
    {
        var world = new DtlsWorld(1, new DtlsSettings { CipherSuites = [suite] });
        Assert.True(world.Connect());
        Assert.True(world.Run(() => world.Client.IsEstablished(DtlsWorld.ServerPeer) && world.Server.IsEstablished(DtlsWorld.ClientPeer), world.Now + 1000));
        Assert.Equal(suite, world.Client.CipherSuite(DtlsWorld.ServerPeer));
        Assert.Equal(suite, world.Server.CipherSuite(DtlsWorld.ClientPeer));
        Assert.Equal(1, world.Server.CookiesSent);
        Assert.Equal(0, world.Server.HandshakeCount);
        Assert.Equal(0, world.Client.HandshakeCount);

        Assert.True(world.Client.Send(DtlsWorld.ServerPeer, ByteRange.Of("ping"u8.ToArray()), world.Now));
        world.Run(() => world.ServerEvents.Data.Count == 1, world.Now + 10);
        Assert.Equal("ping"u8.ToArray(), world.ServerEvents.Data[0].Data);
        Assert.True(world.Server.Send(DtlsWorld.ClientPeer, ByteRange.Of("pong"u8.ToArray()), world.Now));
        world.Run(() => world.ClientEvents.Data.Count == 1, world.Now + 10);
        Assert.Equal("pong"u8.ToArray(), world.ClientEvents.Data[0].Data);

        world.Client.Close(DtlsWorld.ServerPeer, world.Now);
        world.Run(() => world.ServerEvents.Closed.Count == 1, world.Now + 10);
        Assert.Equal((DtlsWorld.ClientPeer, DtlsAlert.CloseNotify), world.ServerEvents.Closed[0]);
        Assert.Equal(0, world.Server.SessionCount);
        Assert.Equal(0, world.Client.SessionCount);
    }

    [Fact]
    public void The_exporter_gives_both_sides_the_same_value_and_differs_by_label_and_context()
    {
        var world = Established(2);
        byte[] label = "EXPORTER-ACE-test"u8.ToArray();
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        byte[] c = new byte[32];
        byte[] d = new byte[32];
        Assert.True(world.Client.ExportKeyingMaterial(DtlsWorld.ServerPeer, ByteRange.Of(label), default, a, 0, 32));
        Assert.True(world.Server.ExportKeyingMaterial(DtlsWorld.ClientPeer, ByteRange.Of(label), default, b, 0, 32));
        Assert.Equal(a, b);
        Assert.True(world.Server.ExportKeyingMaterial(DtlsWorld.ClientPeer, ByteRange.Of(label), ByteRange.Of([]), c, 0, 32));
        Assert.NotEqual(a, c);
        Assert.True(world.Server.ExportKeyingMaterial(DtlsWorld.ClientPeer, ByteRange.Of("EXPORTER-other"u8.ToArray()), default, d, 0, 32));
        Assert.NotEqual(a, d);
        Assert.False(world.Server.ExportKeyingMaterial(DtlsWorld.ClientPeer, ByteRange.Of("key expansion"u8.ToArray()), default, d, 0, 32));
    }

    [Fact]
    public void An_identity_with_zero_bytes_inside_reaches_the_store_whole()
    {
        byte[] identity = [0x61, 0x00, 0x62, 0x00, 0x00, 0xFF, 0x63];
        var store = new TablePskStore().Add(identity, DtlsWorld.Key);
        var world = new DtlsWorld(3, store: store);
        Assert.True(world.Client.Connect(DtlsWorld.ServerPeer, ByteRange.Of(identity), ByteRange.Of(DtlsWorld.Key), world.Now));
        Assert.True(world.Run(() => world.Server.IsEstablished(DtlsWorld.ClientPeer) && world.Client.IsEstablished(DtlsWorld.ServerPeer), world.Now + 1000));
        Assert.Single(store.Asked);
        Assert.Equal(identity, store.Asked[0].Identity);
        Assert.Equal(DtlsWorld.ClientPeer, store.Asked[0].Peer);
    }

    [Fact]
    public void An_identity_over_the_servers_maximum_is_refused_with_illegal_parameter_before_the_store_sees_it()
    {
        byte[] identity = new byte[100];
        Array.Fill(identity, (byte)'x');
        var store = new TablePskStore().Add(identity, DtlsWorld.Key);
        var world = new DtlsWorld(11, new DtlsSettings { MaxIdentityLength = 200 }, new DtlsSettings { MaxIdentityLength = 64 }, store);
        Assert.True(world.Client.Connect(DtlsWorld.ServerPeer, ByteRange.Of(identity), ByteRange.Of(DtlsWorld.Key), world.Now));
        world.Run(() => world.ClientEvents.Closed.Count == 1, world.Now + 1000);
        Assert.Equal(DtlsAlert.IllegalParameter, world.ClientEvents.Closed.Single().Alert);
        Assert.Empty(store.Asked);
        Assert.Equal(0, world.Server.SessionCount);
    }

    [Fact]
    public void An_unknown_identity_ends_with_unknown_psk_identity_on_both_sides()
    {
        var world = new DtlsWorld(4, store: new TablePskStore());
        Assert.True(world.Connect());
        world.Run(() => world.ClientEvents.Closed.Count == 1, world.Now + 1000);
        Assert.Equal((DtlsWorld.ServerPeer, DtlsAlert.UnknownPskIdentity), world.ClientEvents.Closed.Single());
        Assert.Equal((DtlsWorld.ClientPeer, DtlsAlert.UnknownPskIdentity), world.ServerEvents.Closed.Single());
        Assert.Equal(0, world.Server.SessionCount);
        Assert.Equal(0, world.Server.HandshakeCount);
    }

    [Fact]
    public void A_store_refusal_sends_its_alert()
    {
        var world = new DtlsWorld(5, store: new TablePskStore { Refusal = -DtlsAlert.IllegalParameter });
        Assert.True(world.Connect());
        world.Run(() => world.ClientEvents.Closed.Count == 1, world.Now + 1000);
        Assert.Equal(DtlsAlert.IllegalParameter, world.ClientEvents.Closed.Single().Alert);
    }

    [Fact]
    public void A_wrong_key_never_authenticates_the_finished_and_both_sides_time_out()
    {
        // RFC 6347 §4.1.2.7: the client's Finished under wrong keys is an invalid record, dropped silently and counted.
        var store = new TablePskStore().Add(DtlsWorld.Identity, Convert.FromHexString("ffeeddccbbaa99887766554433221100"));
        var world = new DtlsWorld(6, store: store);
        Assert.True(world.Connect());
        world.Run(() => world.ClientEvents.Closed.Count == 1 && world.ServerEvents.Closed.Count == 1, world.Now + 200_000);
        Assert.Equal(DtlsAlert.Timeout, world.ServerEvents.Closed.Single().Alert);
        Assert.Equal(DtlsAlert.Timeout, world.ClientEvents.Closed.Single().Alert);
        Assert.True(world.Server.AuthenticationFailures >= 1);
        Assert.Empty(world.ClientEvents.Connected);
        Assert.Empty(world.ServerEvents.Connected);
    }

    [Fact]
    public void No_common_suite_is_a_handshake_failure_without_server_state()
    {
        var world = new DtlsWorld(7, new DtlsSettings { CipherSuites = [DtlsCipherSuite.PskAes128Ccm] }, new DtlsSettings { CipherSuites = [DtlsCipherSuite.PskAes128Ccm8] });
        Assert.True(world.Connect());
        world.Run(() => world.ClientEvents.Closed.Count == 1, world.Now + 1000);
        Assert.Equal(DtlsAlert.HandshakeFailure, world.ClientEvents.Closed.Single().Alert);
        Assert.Equal(0, world.Server.SessionCount);
    }

    [Fact]
    public void An_identity_hint_is_sent_in_server_key_exchange_only_when_configured()
    {
        var plain = new DtlsWorld(8);
        plain.Connect();
        plain.Run(() => plain.Client.IsEstablished(DtlsWorld.ServerPeer), plain.Now + 1000);
        Assert.DoesNotContain(plain.ToClientLog, d => ContainsHandshake(d, DtlsHandshakeType.ServerKeyExchange));

        var hinted = new DtlsWorld(8, serverSettings: new DtlsSettings { IdentityHint = "hint"u8.ToArray() });
        hinted.Connect();
        Assert.True(hinted.Run(() => hinted.Client.IsEstablished(DtlsWorld.ServerPeer) && hinted.Server.IsEstablished(DtlsWorld.ClientPeer), hinted.Now + 1000));
        Assert.Contains(hinted.ToClientLog, d => ContainsHandshake(d, DtlsHandshakeType.ServerKeyExchange));
    }

    [Fact]
    public void A_small_datagram_size_fragments_the_flights_and_the_handshake_still_completes()
    {
        byte[] identity = new byte[300];
        new Random(1).NextBytes(identity);
        var settings = new DtlsSettings { DatagramSize = 128, MaxIdentityLength = 400 };
        var world = new DtlsWorld(9, settings, new DtlsSettings { DatagramSize = 128, MaxIdentityLength = 400 }, new TablePskStore().Add(identity, DtlsWorld.Key));
        Assert.True(world.Client.Connect(DtlsWorld.ServerPeer, ByteRange.Of(identity), ByteRange.Of(DtlsWorld.Key), world.Now));
        Assert.True(world.Run(() => world.Server.IsEstablished(DtlsWorld.ClientPeer) && world.Client.IsEstablished(DtlsWorld.ServerPeer), world.Now + 1000));
        Assert.All(world.ToServerLog.Concat(world.ToClientLog), d => Assert.True(d.Length <= 128));
        Assert.True(world.ToServerLog.Count >= 5);
    }

    [Fact]
    public void Renegotiation_is_refused_with_a_no_renegotiation_warning_and_the_session_stays()
    {
        var world = Established(10);

        // A ClientHello inside the protected epoch is a renegotiation (RFC 5746 §4.2): written with the client's own keys.
        var session = Internal<DtlsSession[]>(world.Client, "_sessions").Single(x => x.State == DtlsSession.Established);
        var records = Internal<DtlsRecordLayer>(world.Client, "_records");
        byte[] hello = new byte[12 + 40];
        hello[0] = DtlsHandshakeType.ClientHello;
        hello[3] = 40;
        hello[5] = 2;
        hello[11] = 40;
        byte[] datagram = new byte[200];
        int n = records.Write(session, DtlsContentType.Handshake, ByteRange.Of(hello), datagram, 0);
        world.Server.Receive(new ByteRange(datagram, 0, n), DtlsWorld.ClientPeer, ByteRange.Of(DtlsWorld.ClientAddress), world.Now);

        Assert.True(world.Server.TryTakeOutgoing(datagram, 0, out n, out _));
        byte[] plain = new byte[16];
        Assert.Equal(2, records.Open(session, new ByteRange(datagram, 0, n), plain, 0));
        Assert.Equal(DtlsContentType.Alert, datagram[0]);
        Assert.Equal(new byte[] { DtlsAlert.Warning, DtlsAlert.NoRenegotiation }, plain.AsSpan(0, 2).ToArray());
        Assert.True(world.Server.IsEstablished(DtlsWorld.ClientPeer));
        Assert.Equal(0, world.Server.HandshakeCount);
        Assert.Single(world.ServerEvents.Connected);
    }

    internal static T Internal<T>(DtlsEngine engine, string field) =>
        (T)typeof(DtlsEngine).GetField(field, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.GetValue(engine)!;

    internal static DtlsWorld Established(int seed)
    {
        var world = new DtlsWorld(seed);
        Assert.True(world.Connect());
        Assert.True(world.Run(() => world.Client.IsEstablished(DtlsWorld.ServerPeer) && world.Server.IsEstablished(DtlsWorld.ClientPeer), world.Now + 1000));
        return world;
    }

    internal static bool ContainsHandshake(byte[] datagram, int type)
    {
        for (int at = 0; at + 13 <= datagram.Length;)
        {
            int length = (datagram[at + 11] << 8) | datagram[at + 12];
            if (datagram[at] == DtlsContentType.Handshake && datagram[at + 3] == 0 && datagram[at + 4] == 0 && length > 0 && datagram[at + 13] == type)
            {
                return true;
            }

            at += 13 + length;
        }

        return false;
    }
}
