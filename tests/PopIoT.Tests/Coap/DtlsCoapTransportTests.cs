using System.Net;
using PopIoT.Coap;
using PopIoT.Core;
using PopIoT.Core.Crypto;
using PopIoT.Core.Dtls;
using Xunit;

namespace PopIoT.Tests.Coap;

/// <summary>
/// The attacker's side of <see cref="DtlsCoapTransport"/>: spoofed ClientHellos from many addresses, floods in the middle
/// of a genuine handshake, garbage and replays (RFC 6347 §4.2.1, §4.1.2.6, §4.1.2.7).
/// </summary>
public class DtlsCoapTransportTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 5684);
    private static readonly byte[] Identity = "client1"u8.ToArray();
    private static readonly byte[] Key = Convert.FromHexString("00112233445566778899aabbccddeeff");

    [Fact]
    public async Task Ten_thousand_spoofed_client_hellos_from_as_many_addresses_leave_no_session_and_a_real_client_still_connects()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 11 });
        using var psks = DtlsCoapLossyTests.Table();
        var dtls = new DtlsCoapTransport(net.CreateTransport(ServerAddress), new DtlsCoapTransportOptions { PskStore = psks, Random = new SeededRandomSource(1) });
        using var server = new CoapServer(new CoapServerOptions { Random = new SeededRandomSource(2) });
        CoapDemoResources.Map(server);
        server.Start(dtls);

        byte[] hello = ClientHello();
        for (int i = 0; i < 10_000; i++)
        {
            ICoapTransport spoofed = net.CreateTransport(new IPEndPoint(new IPAddress(0x0A000000 + 0x100 + i), 1000 + (i % 50000)));
            spoofed.Send(ServerAddress, hello);
        }

        net.RunTo(10_000);
        Assert.Equal(10_000, dtls.Inspect(e => e.CookiesSent));
        Assert.Equal(0, dtls.Inspect(e => e.SessionCount));
        Assert.Equal(0, dtls.Inspect(e => e.HandshakeCount));

        using var client = new CoapClient(net.CreateTransport(new IPEndPoint(IPAddress.Parse("10.9.9.9"), 4000)), new CoapClientOptions { PskIdentity = Identity, Psk = Key, Random = new SeededRandomSource(3) });
        var get = client.GetAsync(new Uri("coaps://10.0.0.1/time"));
        net.RunUntil(() => get.IsCompleted, 600_000);
        Assert.True((await get).IsSuccess);
        Assert.Equal(1, dtls.Inspect(e => e.SessionCount));
    }

    [Fact]
    public async Task A_flood_of_new_addresses_during_a_handshake_does_not_take_the_handshaking_peer_s_entry()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 12, MinDelayMs = 1, MaxDelayMs = 1 });
        using var psks = DtlsCoapLossyTests.Table();

        // A small table: the flood cycles through every entry the handshake does not hold many times over.
        var settings = new DtlsSettings { MaxSessions = 2, MaxHandshakes = 1 };
        var dtls = new DtlsCoapTransport(net.CreateTransport(ServerAddress), new DtlsCoapTransportOptions { PskStore = psks, Settings = settings, Random = new SeededRandomSource(1) });
        using var server = new CoapServer(new CoapServerOptions { Random = new SeededRandomSource(2) });
        CoapDemoResources.Map(server);
        server.Start(dtls);
        var clientAddress = new IPEndPoint(IPAddress.Parse("10.9.9.9"), 4000);
        byte[] hello = ClientHello();
        bool flooded = false;
        net.DatagramSent += (from, to, data) =>
        {
            // RFC 6347 §4.2.1: the server's ServerHello answers the verified ClientHello; the flood comes right after it.
            if (!flooded && from.Equals(ServerAddress) && to.Equals(clientAddress) && data.Length > 13 && data[0] == 22 && data[13] == 2)
            {
                flooded = true;
                for (int i = 0; i < 1000; i++)
                {
                    net.CreateTransport(new IPEndPoint(new IPAddress(0x0B000000 + i), 2000)).Send(ServerAddress, hello);
                }
            }
        };

        using var client = new CoapClient(net.CreateTransport(clientAddress), new CoapClientOptions { PskIdentity = Identity, Psk = Key, Random = new SeededRandomSource(3) });
        var get = client.GetAsync(new Uri("coaps://10.0.0.1/time"));

        // Within the first second of virtual time, before any retransmission: no flight was lost to the flood.
        net.RunTo(1000);
        Assert.True(flooded);
        Assert.True((await get.WaitAsync(TimeSpan.FromSeconds(10))).IsSuccess);
        Assert.Equal(1000, dtls.Inspect(e => e.CookiesSent) - 1);
    }

    [Fact]
    public async Task Replayed_and_bit_flipped_records_from_the_client_s_address_are_dropped_and_change_nothing()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 13 });
        using var psks = DtlsCoapLossyTests.Table();
        var dtls = new DtlsCoapTransport(net.CreateTransport(ServerAddress), new DtlsCoapTransportOptions { PskStore = psks, Random = new SeededRandomSource(1) });
        using var server = new CoapServer(new CoapServerOptions { Random = new SeededRandomSource(2) });
        CoapDemoResources.Map(server);
        server.Start(dtls);
        var clientAddress = new IPEndPoint(IPAddress.Parse("10.9.9.9"), 4000);
        var records = new List<byte[]>();
        net.DatagramSent += (from, to, data) =>
        {
            // The client's application_data records (RFC 5246 §6.2.1 content type 23).
            if (from.Equals(clientAddress) && data[0] == 23)
            {
                records.Add(data);
            }
        };

        // The same node sends what the attacker on the path injects, so it arrives from the client's address.
        ICoapTransport wire = net.CreateTransport(clientAddress);
        using var client = new CoapClient(wire, new CoapClientOptions { PskIdentity = Identity, Psk = Key, Random = new SeededRandomSource(3) });
        var post = client.PostAsync(new Uri("coaps://10.0.0.1/echo"), "once"u8.ToArray());
        net.RunUntil(() => post.IsCompleted, 600_000);
        Assert.True((await post.WaitAsync(TimeSpan.FromSeconds(10))).IsSuccess);
        long handled = server.RequestsHandled;
        Assert.NotEmpty(records);

        int dropped = dtls.Inspect(e => e.ReplaysDropped + e.AuthenticationFailures);
        var rng = SeededRandomSource.NewRandom(5);
        int injected = 0;
        foreach (byte[] d in records.ToArray())
        {
            wire.Send(ServerAddress, d);
            injected++;
            for (int i = 0; i < 20; i++)
            {
                byte[] copy = (byte[])d.Clone();
                copy[13 + rng.Next(copy.Length - 13)] ^= (byte)(1 << rng.Next(8));
                wire.Send(ServerAddress, copy);
                injected++;
            }
        }

        net.RunTo(net.NowMs + 60_000);
        Assert.Equal(handled, server.RequestsHandled);
        Assert.Equal(dropped + injected, dtls.Inspect(e => e.ReplaysDropped + e.AuthenticationFailures));
        Assert.True(dtls.IsEstablished(clientAddress));
        var again = client.PostAsync(new Uri("coaps://10.0.0.1/echo"), "twice"u8.ToArray());
        net.RunUntil(() => again.IsCompleted, net.NowMs + 600_000);
        Assert.Equal("twice", (await again.WaitAsync(TimeSpan.FromSeconds(10))).PayloadText);
    }

    /// <summary>A ClientHello as our client engine first sends it (no cookie yet).</summary>
    internal static byte[] ClientHello()
    {
        using var engine = new DtlsEngine(new DtlsSettings(), new ManagedCryptoProvider(new SeededRandomSource(99)), null, new Quiet());
        Assert.True(engine.Connect(0, ByteRange.Of(Identity), ByteRange.Of(Key), 0));
        byte[] buffer = new byte[engine.Settings.DatagramSize];
        Assert.True(engine.TryTakeOutgoing(buffer, 0, out int length, out _));
        return buffer.AsSpan(0, length).ToArray();
    }

    private sealed class Quiet : IDtlsListener
    {
        public void OnConnected(int peer)
        {
        }

        public void OnApplicationData(int peer, ByteRange data)
        {
        }

        public void OnClosed(int peer, int alert)
        {
        }
    }
}
