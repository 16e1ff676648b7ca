using System;

using PopIoT.Core.Coap;

using Xunit;

namespace PopIoT.Core.Tests.Coap;

/// <summary>Observe (RFC 7641): register, notify as NON and CON, deregister by GET Observe 1 and by Reset, freshness.</summary>
public class ObserveTests
{
    [Theory]
    [InlineData(1u, 2u, 0L, true)]
    [InlineData(2u, 1u, 0L, false)]
    [InlineData(5u, 5u, 0L, false)]
    [InlineData(0xFFFFFFu, 0u, 0L, true)] // wrapped: 0 follows 2^24 - 1
    [InlineData(0u, 0xFFFFFFu, 0L, false)]
    [InlineData(0u, 0x7FFFFFu, 0L, true)] // V2 - V1 = 2^23 - 1
    [InlineData(0u, 0x800000u, 0L, false)] // V2 - V1 = 2^23: not newer
    [InlineData(0x800001u, 0u, 0L, true)] // V1 - V2 = 2^23 + 1
    [InlineData(0x800000u, 0u, 0L, false)] // V1 - V2 = 2^23
    [InlineData(9u, 3u, 128_000L, false)] // exactly 128 s later: numbers still decide
    [InlineData(9u, 3u, 128_001L, true)] // more than 128 s later: newer whatever the numbers
    [InlineData(0x1000001u, 2u, 0L, true)] // values are taken mod 2^24
    public void Freshness_rule_of_section_3_4(uint v1, uint v2, long later, bool newer)
    {
        Assert.Equal(newer, ObserveFreshness.IsNewer(v1, 1_000_000, v2, 1_000_000 + later));
    }

    [Fact]
    public void Register_notify_non_and_con_then_deregister_with_observe_1()
    {
        var resource = new ObservedResource();
        var pair = new CoapPair(resource);
        CoapMessage get = ObserveGet(0);
        pair.Client.SendRequest(CoapPair.ServerPeer, get, 0, out int ex);
        pair.Pump(0);
        Assert.Equal(1, resource.Registry.Count);
        var first = Assert.Single(pair.Listener.Responses);
        Assert.NotNull(first.Observe);
        Assert.True(pair.Client.IsOpen(ex));
        Assert.Equal(MessageLayer.NoDeadline, pair.Client.NextDeadline);

        resource.Notify(pair.Server, CoapMessageType.NonConfirmable, 10);
        pair.Pump(10);
        resource.Notify(pair.Server, CoapMessageType.Confirmable, 20);
        pair.Pump(20);
        Assert.Equal(3, pair.Listener.Responses.Count);
        Assert.All(pair.Listener.Responses, r => Assert.Equal(ex, r.Exchange));
        Assert.True(ObserveFreshness.IsNewer(first.Observe!.Value, 0, pair.Listener.Responses[1].Observe!.Value, 10));
        Assert.True(ObserveFreshness.IsNewer(pair.Listener.Responses[1].Observe!.Value, 10, pair.Listener.Responses[2].Observe!.Value, 20));
        Assert.Equal("n2", System.Text.Encoding.ASCII.GetString(pair.Listener.Responses[2].Payload));
        Assert.Equal(MessageLayer.NoDeadline, pair.Server.NextDeadline); // the CON notification was acknowledged

        // RFC 7641 §3.6: GET with Observe 1 and the same token deregisters.
        Assert.True(pair.Client.Cancel(ex, 30));
        CoapMessage stop = ObserveGet(1);
        stop.CopyTokenFrom(get);
        pair.Client.SendRequest(CoapPair.ServerPeer, stop, 30, out _);
        pair.Pump(30);
        Assert.Equal(0, resource.Registry.Count);
        Assert.Null(pair.Listener.Responses[^1].Observe);
    }

    [Theory]
    [InlineData(CoapMessageType.Confirmable)]
    [InlineData(CoapMessageType.NonConfirmable)]
    public void Reset_to_a_notification_deregisters(CoapMessageType type)
    {
        var resource = new ObservedResource();
        var pair = new CoapPair(resource);
        pair.Client.SendRequest(CoapPair.ServerPeer, ObserveGet(0), 0, out int ex);
        pair.Pump(0);
        Assert.Equal(1, resource.Registry.Count);

        // The client forgets the observation; the next notification is answered with Reset.
        pair.Client.Cancel(ex, 5);
        resource.Notify(pair.Server, type, 10);
        pair.Pump(10);
        Assert.Equal(CoapMessageType.Reset, (CoapMessageType)((pair.Log[^1].Datagram[0] >> 4) & 3));
        var failure = Assert.Single(pair.ServerListener.Failures);
        Assert.Equal(CoapExchangeFailure.Reset, failure.Reason);
        Assert.True(resource.Registry.Remove(failure.Peer, failure.Token, 0, failure.Token.Length));
        Assert.Equal(0, resource.Registry.Count);
        Assert.Equal(MessageLayer.NoDeadline, pair.Server.NextDeadline);
    }

    [Fact]
    public void Registry_is_bounded_and_a_full_table_answers_without_observe()
    {
        var registry = new ObserveRegistry(1);
        var response = new CoapMessage();
        CoapMessage a = ObserveGet(0);
        a.SetToken([1], 0, 1);
        CoapMessage b = ObserveGet(0);
        b.SetToken([2], 0, 1);
        Assert.Equal(ObserveAction.Registered, registry.HandleRequest(1, 0, a, response));
        Assert.Equal(ObserveAction.Registered, registry.HandleRequest(1, 0, a, new CoapMessage())); // refresh, same slot
        Assert.Equal(ObserveAction.TableFull, registry.HandleRequest(1, 0, b, new CoapMessage()));
        Assert.Equal(ObserveAction.None, registry.HandleRequest(1, 0, new CoapMessage { Code = CoapCode.Get }, new CoapMessage()));
        Assert.Equal(1, registry.Count);
    }

    private static CoapMessage ObserveGet(uint observe)
    {
        var get = new CoapMessage { Code = CoapCode.Get };
        get.AddUintOption(CoapOptionNumber.Observe, observe);
        get.AddUriPath("/temp");
        return get;
    }

    private sealed class ObservedResource : ICoapRequestHandler
    {
        private readonly CoapMessage _notification = new();
        private readonly byte[] _payload = "n0"u8.ToArray();

        public ObserveRegistry Registry { get; } = new(4);

        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
        {
            response.Code = CoapCode.Content;
            Registry.HandleRequest(peer, 0, request, response);
            response.SetPayload(_payload, 0, 2);
            return CoapHandlerResult.Respond;
        }

        public void Notify(MessageLayer layer, CoapMessageType type, long now)
        {
            _payload[1]++;
            for (int i = 0; i < Registry.Capacity; i++)
            {
                if (Registry.IsActive(i))
                {
                    Registry.PrepareNotification(i, _notification, type);
                    _notification.Code = CoapCode.Content;
                    _notification.SetPayload(_payload, 0, 2);
                    Assert.Equal(CoapSendStatus.Sent, layer.Send(Registry.GetPeer(i), _notification, now, out _));
                }
            }
        }
    }
}
