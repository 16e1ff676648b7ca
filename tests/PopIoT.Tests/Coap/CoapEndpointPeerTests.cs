using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using Xunit;

namespace PopIoT.Tests.Coap;

/// <summary>The endpoint's table of peer addresses is bounded (CoapSettings.MaxPeers; docs/coap.md, "Peers").</summary>
public class CoapEndpointPeerTests
{
    [Fact]
    public void Hundred_thousand_source_addresses_keep_at_most_max_peers_numbered_and_each_is_answered()
    {
        var transport = new CapturingTransport();
        using var endpoint = new CoapEndpoint(transport, new CoapSettings(), PopIoT.Crypto.PlatformRandomSource.Instance, new EchoHandler(), NullLogger.Instance);
        for (int i = 0; i < 100_000; i++)
        {
            var source = new IPEndPoint(new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]), 5683);
            endpoint.OnDatagram(source, Request(CoapMessageType.NonConfirmable, i & 0xFFFF, [1]));
            Assert.Equal(source, transport.LastDestination);
            lock (endpoint.Gate)
            {
                Assert.True(endpoint.PeerCountLocked <= 1024);
            }
        }

        lock (endpoint.Gate)
        {
            Assert.Equal(1024, endpoint.PeerCountLocked);
        }

        Assert.Equal(100_000, transport.Sent);
        Assert.Equal(0, endpoint.PeersFullDrops);
    }

    [Fact]
    public void An_evicted_peers_index_is_never_given_to_another_address_so_a_cached_reply_never_reaches_it()
    {
        var transport = new CapturingTransport();
        using var endpoint = new CoapEndpoint(transport, new CoapSettings { MaxPeers = 1 }, PopIoT.Crypto.PlatformRandomSource.Instance, new EchoHandler(), NullLogger.Instance);
        var a = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 5683);
        var b = new IPEndPoint(IPAddress.Parse("10.0.0.2"), 5683);

        endpoint.OnDatagram(a, Request(CoapMessageType.Confirmable, 7, [0xAA]));
        int indexOfA;
        lock (endpoint.Gate)
        {
            indexOfA = endpoint.PeerIndexLocked(a);
        }

        // Same Message ID from another address: a new request, not a duplicate of A's (RFC 7252 §4.5).
        endpoint.OnDatagram(b, Request(CoapMessageType.Confirmable, 7, [0xBB]));

        Assert.Equal(b, transport.LastDestination);
        Assert.Equal(0xBB, transport.LastDatagram[^1]);
        Assert.Null(endpoint.PeerAddress(indexOfA));
        lock (endpoint.Gate)
        {
            Assert.NotEqual(indexOfA, endpoint.PeerIndexLocked(b));
        }
    }

    [Fact]
    public void A_peer_with_an_open_exchange_is_kept_and_a_new_address_is_dropped_when_all_are_busy()
    {
        var transport = new CapturingTransport();
        using var endpoint = new CoapEndpoint(transport, new CoapSettings { MaxPeers = 1 }, PopIoT.Crypto.PlatformRandomSource.Instance, new EchoHandler(), NullLogger.Instance);
        var a = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 5683);
        var b = new IPEndPoint(IPAddress.Parse("10.0.0.2"), 5683);
        int peerA;
        lock (endpoint.Gate)
        {
            peerA = endpoint.PeerForRequestLocked(a);
            var request = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get };
            Assert.Equal(CoapSendStatus.Sent, endpoint.Layer.SendRequest(peerA, request, endpoint.Now, out _));
            endpoint.FlushLocked();
        }

        int sent = transport.Sent;
        endpoint.OnDatagram(b, Request(CoapMessageType.Confirmable, 1, [1]));

        Assert.Equal(sent, transport.Sent);
        Assert.Equal(1, endpoint.PeersFullDrops);
        Assert.Equal(a, endpoint.PeerAddress(peerA));
        lock (endpoint.Gate)
        {
            var e = Assert.Throws<CoapException>(() => endpoint.PeerForRequestLocked(b));
            Assert.Contains("busy", e.Message, StringComparison.Ordinal);
        }
    }

    private static byte[] Request(CoapMessageType type, int messageId, byte[] payload)
    {
        var m = new CoapMessage { Type = type, Code = CoapCode.Post, MessageId = messageId };
        m.SetPayload(payload, 0, payload.Length);
        var buffer = new byte[64];
        return buffer[..m.Serialize(buffer, 0, buffer.Length)];
    }

    private sealed class EchoHandler : ICoapRequestHandler
    {
        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
        {
            response.Code = CoapCode.Changed;
            response.SetPayload(request.PayloadBuffer, request.PayloadOffset, request.PayloadLength);
            return CoapHandlerResult.Respond;
        }
    }

    private sealed class CapturingTransport : ICoapTransport
    {
        public IPEndPoint LocalEndPoint { get; } = new(IPAddress.Loopback, 5683);

        public long NowMs => 0;

        public int Sent { get; private set; }

        public IPEndPoint? LastDestination { get; private set; }

        public byte[] LastDatagram { get; private set; } = [];

        public void Start(ICoapTransportSink sink)
        {
        }

        public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
        {
            Sent++;
            LastDestination = destination;
            LastDatagram = datagram.ToArray();
        }

        public void ScheduleWake(long atMs)
        {
        }

        public void Dispose()
        {
        }
    }
}
