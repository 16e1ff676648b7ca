using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

using PopIoT.Core.Crypto;
using PopIoT.Core.Dtls;

using Xunit;
using Xunit.Abstractions;

namespace PopIoT.Core.Tests.Dtls;

/// <summary>
/// The server engine under attack: mutated records and handshake messages, cookie bypass attempts, lengths larger than
/// the datagram, replays, and floods of spoofed ClientHellos (RFC 6347 §4.1.2.7, §4.2.1; docs/dtls.md).
/// </summary>
public class DtlsRobustnessTests(ITestOutputHelper output)
{
    private static readonly byte[] OtherAddress = [198, 51, 100, 9, 0x16, 0x34];

    [Fact]
    public void A_million_mutated_datagrams_never_throw_and_leave_no_state_for_unverified_peers()
    {
        // A corpus of real traffic: the ClientHellos, flight 5, application data and close_notify of one association.
        var world = DtlsHandshakeTests.Established(50);
        world.Client.Send(DtlsWorld.ServerPeer, ByteRange.Of("some application data"u8.ToArray()), world.Now);
        world.Run(() => world.ServerEvents.Data.Count == 1, world.Now + 10);
        world.Client.Close(DtlsWorld.ServerPeer, world.Now);
        world.Collect();
        byte[][] corpus = world.ToServerLog.ToArray();

        var events = new RecordingListener();
        var server = new DtlsEngine(new DtlsSettings(), new ManagedCryptoProvider(new SeededRandomSource(51)), new TablePskStore().Add(DtlsWorld.Identity, DtlsWorld.Key), events);
        var random = SeededRandomSource.NewRandom(52);
        byte[] scratch = new byte[4096];
        byte[] outgoing = new byte[4096];
        var watch = Stopwatch.StartNew();
        const int Count = 1_000_000;
        for (int i = 0; i < Count; i++)
        {
            byte[] seed = corpus[random.Next(corpus.Length)];
            int n = Mutate(random, seed, scratch);

            // From another address than the one the cookies were made for: no cookie of the corpus can verify.
            server.Receive(new ByteRange(scratch, 0, n), random.Next(1, 1000), ByteRange.Of(OtherAddress), 1000 + i);
            while (server.TryTakeOutgoing(outgoing, 0, out _, out _))
            {
            }

            Assert.Equal(0, server.SessionCount);
        }

        output.WriteLine($"{Count} mutated datagrams in {watch.ElapsedMilliseconds} ms; {server.CookiesSent} HelloVerifyRequests, {server.RecordsDropped} records dropped");
        Assert.Equal(0, server.HandshakeCount);
        Assert.Empty(events.Connected);
        Assert.Empty(events.Closed);
    }

    [Fact]
    public void Mutated_handshake_messages_into_a_handshake_in_progress_never_throw_and_leave_nothing_behind()
    {
        // The verified ClientHello starts a handshake each round; then mutated copies of the client's flight 5 arrive.
        var world = DtlsHandshakeTests.Established(63);
        world.Client.Close(DtlsWorld.ServerPeer, world.Now);
        world.Run(() => world.Server.SessionCount == 0, world.Now + 10);
        var server = world.Server;
        byte[] clientHello = world.ToServerLog[1];
        byte[][] flight5 = world.ToServerLog.Skip(2).Where(d => d[0] == DtlsContentType.Handshake).ToArray();
        Assert.NotEmpty(flight5);
        var random = SeededRandomSource.NewRandom(64);
        byte[] scratch = new byte[4096];
        byte[] outgoing = new byte[4096];
        var watch = Stopwatch.StartNew();
        const int Rounds = 30_000;
        for (int i = 0; i < Rounds; i++)
        {
            server.Receive(ByteRange.Of(clientHello), DtlsWorld.ClientPeer, ByteRange.Of(DtlsWorld.ClientAddress), world.Now);
            Assert.Equal(1, server.HandshakeCount);
            for (int k = 0; k < 3; k++)
            {
                int n = Mutate(random, flight5[random.Next(flight5.Length)], scratch);
                server.Receive(new ByteRange(scratch, 0, n), DtlsWorld.ClientPeer, ByteRange.Of(DtlsWorld.ClientAddress), world.Now);
            }

            server.Close(DtlsWorld.ClientPeer, world.Now);
            while (server.TryTakeOutgoing(outgoing, 0, out _, out _))
            {
            }

            Assert.Equal(0, server.SessionCount);
            Assert.Equal(0, server.HandshakeCount);
        }

        output.WriteLine($"{Rounds} handshakes with {3 * Rounds} mutated flight-5 datagrams in {watch.ElapsedMilliseconds} ms; {server.AuthenticationFailures} failed authentication, {server.RecordsDropped} dropped");
    }

    [Fact]
    public void Mutated_records_into_an_established_session_are_dropped_and_counted_and_the_session_survives()
    {
        var world = DtlsHandshakeTests.Established(53);
        byte[] record = new byte[256];
        var random = SeededRandomSource.NewRandom(54);
        var server = world.Server;
        byte[] scratch = new byte[512];
        for (int i = 0; i < 20_000; i++)
        {
            Assert.True(world.Client.Send(DtlsWorld.ServerPeer, ByteRange.Of([(byte)i, 1, 2, 3]), world.Now));
            Assert.True(world.Client.TryTakeOutgoing(record, 0, out int n, out _));
            int m = Mutate(random, record.AsSpan(0, n).ToArray(), scratch);
            server.Receive(new ByteRange(scratch, 0, m), DtlsWorld.ClientPeer, ByteRange.Of(DtlsWorld.ClientAddress), world.Now);
        }

        Assert.True(server.IsEstablished(DtlsWorld.ClientPeer));
        output.WriteLine($"{world.ServerEvents.Data.Count} delivered, {server.AuthenticationFailures} failed authentication, {server.RecordsDropped} dropped before it");
        Assert.True(server.AuthenticationFailures > 1_000);
        Assert.True(world.ServerEvents.Data.Count < 20_000);

        // Only unmodified records can have been delivered.
        Assert.All(world.ServerEvents.Data, d => Assert.Equal(new byte[] { 1, 2, 3 }, d.Data.Skip(1).ToArray()));
        Assert.True(world.Client.Send(DtlsWorld.ServerPeer, ByteRange.Of([9, 9]), world.Now));
        world.Run(() => world.ServerEvents.Data.LastOrDefault().Data?.SequenceEqual(new byte[] { 9, 9 }) == true, world.Now + 10);
    }

    [Fact]
    public void A_forged_cookie_gets_a_new_hello_verify_request_and_no_state()
    {
        var (server, clientHello) = ServerAndClientHello(55);
        byte[] forged = WithCookie(clientHello, Enumerable.Range(0, 16).Select(i => (byte)i).ToArray());
        server.Receive(ByteRange.Of(forged), 1, ByteRange.Of(DtlsWorld.ClientAddress), 1000);
        Assert.Equal(2, server.CookiesSent);
        Assert.Equal(0, server.SessionCount);
        Assert.Equal(0, server.HandshakeCount);
    }

    [Fact]
    public void A_stale_cookie_or_one_from_another_address_is_refused()
    {
        var (server, clientHello) = ServerAndClientHello(56);
        byte[] cookie = CookieFrom(server);
        byte[] withCookie = WithCookie(clientHello, cookie);

        // From another address: the cookie covers the address (RFC 6347 §4.2.1).
        server.Receive(ByteRange.Of(withCookie), 1, ByteRange.Of(OtherAddress), 1000);
        Assert.Equal(0, server.SessionCount);

        // Two rotation periods later both secrets changed: the cookie is stale.
        server.Receive(ByteRange.Of(withCookie), 1, ByteRange.Of(DtlsWorld.ClientAddress), 1000 + (2 * 60_000) + 1);
        Assert.Equal(0, server.SessionCount);
        Assert.Equal(3, server.CookiesSent);

        // The same cookie inside its lifetime (one rotation later) is accepted: the check is not simply always failing.
        var (fresh, hello2) = ServerAndClientHello(56);
        fresh.Receive(ByteRange.Of(WithCookie(hello2, CookieFrom(fresh))), 1, ByteRange.Of(DtlsWorld.ClientAddress), 1000 + 60_000 + 1);
        Assert.Equal(1, fresh.SessionCount);
    }

    [Fact]
    public void Malformed_versions_are_dropped_or_refused_without_state()
    {
        var (server, clientHello) = ServerAndClientHello(57);
        byte[] tls = (byte[])clientHello.Clone();
        tls[25] = 0x03;
        tls[26] = 0x03;
        server.Receive(ByteRange.Of(tls), 1, ByteRange.Of(DtlsWorld.ClientAddress), 1000);
        Assert.Equal(1, server.CookiesSent);

        // DTLS 1.0 only, with a valid cookie: protocol_version, no state.
        byte[] dtls10 = (byte[])clientHello.Clone();
        dtls10[26] = 0xFF;
        byte[] outgoing = new byte[2048];
        while (server.TryTakeOutgoing(outgoing, 0, out _, out _))
        {
        }

        server.Receive(ByteRange.Of(dtls10), 1, ByteRange.Of(DtlsWorld.ClientAddress), 1000);
        Assert.True(server.TryTakeOutgoing(outgoing, 0, out int n, out _));
        byte[] cookie = outgoing.AsSpan(13 + 12 + 3, 16).ToArray();
        server.Receive(ByteRange.Of(WithCookie(dtls10, cookie)), 1, ByteRange.Of(DtlsWorld.ClientAddress), 1000);
        Assert.True(server.TryTakeOutgoing(outgoing, 0, out n, out _));
        Assert.Equal(DtlsContentType.Alert, outgoing[0]);
        Assert.Equal(new byte[] { DtlsAlert.Fatal, DtlsAlert.ProtocolVersion }, outgoing.AsSpan(13, 2).ToArray());
        Assert.Equal(0, server.SessionCount);
    }

    [Fact]
    public void Declared_lengths_larger_than_the_datagram_are_dropped()
    {
        var (server, clientHello) = ServerAndClientHello(58);
        int before = server.RecordsDropped;

        // Record length one more than what follows.
        byte[] longRecord = (byte[])clientHello.Clone();
        longRecord[12]++;
        server.Receive(ByteRange.Of(longRecord), 1, ByteRange.Of(DtlsWorld.ClientAddress), 1000);

        // Handshake length and fragment length larger than the record.
        byte[] longMessage = (byte[])clientHello.Clone();
        longMessage[13 + 3]++;
        longMessage[13 + 11]++;
        server.Receive(ByteRange.Of(longMessage), 1, ByteRange.Of(DtlsWorld.ClientAddress), 1000);

        // A cookie length running past the message.
        byte[] longCookie = (byte[])clientHello.Clone();
        longCookie[13 + 12 + 35] = 0xFF;
        server.Receive(ByteRange.Of(longCookie), 1, ByteRange.Of(DtlsWorld.ClientAddress), 1000);
        Assert.Equal(before + 3, server.RecordsDropped);
        Assert.Equal(1, server.CookiesSent);
        Assert.Equal(0, server.SessionCount);
    }

    [Fact]
    public void Replayed_application_records_are_dropped()
    {
        var world = DtlsHandshakeTests.Established(59);
        Assert.True(world.Client.Send(DtlsWorld.ServerPeer, ByteRange.Of([1]), world.Now));
        byte[] record = new byte[128];
        Assert.True(world.Client.TryTakeOutgoing(record, 0, out int n, out _));
        for (int i = 0; i < 3; i++)
        {
            world.Server.Receive(new ByteRange(record, 0, n), DtlsWorld.ClientPeer, ByteRange.Of(DtlsWorld.ClientAddress), world.Now);
        }

        Assert.Single(world.ServerEvents.Data);
        Assert.Equal(2, world.Server.ReplaysDropped);
    }

    [Fact]
    public void Ten_thousand_spoofed_client_hellos_leave_the_session_table_unchanged_and_allocate_nothing()
    {
        var world = DtlsHandshakeTests.Established(60);
        var server = world.Server;
        byte[] hello = world.ToServerLog[0];
        byte[] datagram = (byte[])hello.Clone();
        byte[] address = [203, 0, 113, 0, 0, 0];
        byte[] outgoing = new byte[2048];
        int sessions = server.SessionCount;

        void Spoof(int i)
        {
            // Each from its own address and port, with its own random, as a flood would be.
            address[3] = (byte)i;
            address[4] = (byte)(i >> 8);
            datagram[13 + 12 + 2] = (byte)i;
            server.Receive(ByteRange.Of(datagram), 1000 + i, ByteRange.Of(address), world.Now);
            while (server.TryTakeOutgoing(outgoing, 0, out _, out _))
            {
            }
        }

        for (int i = 0; i < 100; i++)
        {
            Spoof(i);
        }

        int cookies = server.CookiesSent;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            Spoof(i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(cookies + 10_000, server.CookiesSent);
        Assert.Equal(sessions, server.SessionCount);
        Assert.Equal(0, server.HandshakeCount);
        Assert.True(server.IsEstablished(DtlsWorld.ClientPeer));
    }

    private static (DtlsEngine Server, byte[] ClientHello) ServerAndClientHello(int seed)
    {
        var server = new DtlsEngine(new DtlsSettings(), new ManagedCryptoProvider(new SeededRandomSource(seed)), new TablePskStore().Add(DtlsWorld.Identity, DtlsWorld.Key), new RecordingListener());
        var client = new DtlsEngine(new DtlsSettings(), new ManagedCryptoProvider(new SeededRandomSource(seed + 1)), null, new RecordingListener());
        Assert.True(client.Connect(0, ByteRange.Of(DtlsWorld.Identity), ByteRange.Of(DtlsWorld.Key), 1000));
        byte[] buffer = new byte[2048];
        Assert.True(client.TryTakeOutgoing(buffer, 0, out int n, out _));
        byte[] hello = buffer.AsSpan(0, n).ToArray();
        server.Receive(ByteRange.Of(hello), 1, ByteRange.Of(DtlsWorld.ClientAddress), 1000);
        Assert.Equal(1, server.CookiesSent);
        return (server, hello);
    }

    /// <summary>Takes the HelloVerifyRequest out of the server's outbox and returns its cookie.</summary>
    private static byte[] CookieFrom(DtlsEngine server)
    {
        byte[] buffer = new byte[2048];
        Assert.True(server.TryTakeOutgoing(buffer, 0, out int n, out _));
        Assert.Equal(DtlsHandshakeType.HelloVerifyRequest, buffer[13]);
        return buffer.AsSpan(13 + 12 + 3, buffer[13 + 12 + 2]).ToArray();
    }

    /// <summary>The same one-record ClientHello with its (empty) cookie replaced, every length fixed up.</summary>
    private static byte[] WithCookie(byte[] clientHello, byte[] cookie)
    {
        int body = 13 + 12;
        int cookieAt = body + 35 + clientHello[body + 34];
        int oldLength = clientHello[cookieAt];
        var d = new List<byte>(clientHello.AsSpan(0, cookieAt).ToArray()) { (byte)cookie.Length };
        d.AddRange(cookie);
        d.AddRange(clientHello.AsSpan(cookieAt + 1 + oldLength).ToArray());
        byte[] r = d.ToArray();
        int bodyLength = r.Length - body;
        r[11] = (byte)((bodyLength + 12) >> 8);
        r[12] = (byte)(bodyLength + 12);
        foreach (int at in new[] { 13 + 1, 13 + 9 })
        {
            r[at] = (byte)(bodyLength >> 16);
            r[at + 1] = (byte)(bodyLength >> 8);
            r[at + 2] = (byte)bodyLength;
        }

        r[13 + 5] = 1;
        return r;
    }

    /// <summary>Random damage: bit flips, byte changes, truncation, extension, or a length field set to an extreme.</summary>
    internal static int Mutate(Random random, byte[] seed, byte[] output)
    {
        int n = seed.Length;
        seed.CopyTo(output, 0);
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits; e++)
        {
            switch (random.Next(6))
            {
                case 0:
                    output[random.Next(n)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    output[random.Next(n)] = (byte)random.Next(256);
                    break;
                case 2:
                    n = random.Next(n + 1);
                    break;
                case 3:
                    int extra = random.Next(1, 64);
                    random.NextBytes(output.AsSpan(n, extra));
                    n += extra;
                    break;
                case 4:
                    // A length field: the record's, the handshake message's or its fragment's.
                    int[] fields = [11, 13 + 1, 13 + 9, 13 + 12 + 34, 13 + 12 + 35];
                    int at = fields[random.Next(fields.Length)];
                    if (at + 1 < n)
                    {
                        output[at] = random.Next(2) == 0 ? (byte)0xFF : (byte)0;
                        output[at + 1] = (byte)random.Next(256);
                    }

                    break;
                default:
                    // The epoch or the content type.
                    if (n > 4)
                    {
                        output[random.Next(2) == 0 ? 0 : 4] = (byte)random.Next(256);
                    }

                    break;
            }

            if (n == 0)
            {
                break;
            }
        }

        return n;
    }
}
