using System.Net;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using Xunit;
using static PopIoT.Tests.Oscore.OscoreTestContexts;

namespace PopIoT.Tests.Oscore;

/// <summary>
/// Unrecognized critical options (RFC 7252 §5.4.1) at a <see cref="CoapServer"/>: Inner ones after OSCORE verification
/// (RFC 8613 §8.2 step 8), and the OSCORE option itself at a server that does no OSCORE (RFC 8613 §2: it is critical).
/// </summary>
public class OscoreCriticalOptionTests
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 5683);
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.1.1"), 40000);

    private static byte[] SendRaw(LossyNetwork net, byte[] datagram)
    {
        var sink = new Recorder();
        using ICoapTransport t = net.CreateTransport(ClientAddress);
        t.Start(sink);
        t.Send(ServerAddress, datagram);
        net.RunTo(net.NowMs + 10_000);
        return Assert.Single(sink.Received);
    }

    private static CoapServer NewServer(CoapServerOptions options, Func<int> onRequest)
    {
        var server = new CoapServer(options);
        server.Map("/hello", CoapMethods.Get | CoapMethods.Put, (req, _) =>
        {
            onRequest();
            return ValueTask.FromResult(new CoapResponse(req.Method == CoapCode.Get ? CoapCode.Content : CoapCode.Changed));
        });
        return server;
    }

    private static CoapMessage Put(int option, int mid)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Put, MessageId = mid };
        m.SetToken([0x0a, (byte)mid], 0, 2);
        m.AddUriPath("/hello");
        m.AddOption(option, [0x01], 0, 1);
        m.SetPayload("on"u8.ToArray(), 0, 2);
        return m;
    }

    [Fact]
    public void An_unrecognized_critical_inner_option_gets_a_protected_4_02_and_the_handler_does_not_run()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 7252 });
        int runs = 0;
        using SecurityContext serverContext = Server();
        using var server = NewServer(new CoapServerOptions { Oscore = Table(serverContext), Random = new SeededRandomSource(3) }, () => ++runs);
        server.Start(net.CreateTransport(ServerAddress));
        using SecurityContext clientContext = Client();
        var p = new OscoreProcessor();
        var e = new OscoreExchange();

        CoapMessage put = Put(9999, 0x0100);
        Assert.Equal(OscoreStatus.Ok, p.ProtectRequest(put, clientContext, false, e));
        CoapMessage reply = Parse(SendRaw(net, Serialize(put)));
        Assert.True(reply.HasOption(CoapOptionNumber.Oscore), "the request verified, so its 4.02 is protected");
        Assert.Equal(OscoreStatus.Ok, p.UnprotectResponse(reply, e));
        Assert.Equal(CoapCode.BadOption, reply.Code);
        Assert.Equal(0, runs);

        // An unknown elective option is ignored (RFC 7252 §5.4.1): the handler runs.
        CoapMessage elective = Put(9998, 0x0101);
        Assert.Equal(OscoreStatus.Ok, p.ProtectRequest(elective, clientContext, false, e));
        reply = Parse(SendRaw(net, Serialize(elective)));
        Assert.Equal(OscoreStatus.Ok, p.UnprotectResponse(reply, e));
        Assert.Equal(CoapCode.Changed, reply.Code);
        Assert.Equal(1, runs);
    }

    [Fact]
    public void A_request_with_the_oscore_option_to_a_server_without_oscore_gets_4_02_not_4_04()
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 8613 });
        int runs = 0;
        using var server = NewServer(new CoapServerOptions { Random = new SeededRandomSource(4) }, () => ++runs);
        server.Start(net.CreateTransport(ServerAddress));
        using SecurityContext clientContext = Client();
        var p = new OscoreProcessor();
        var e = new OscoreExchange();

        var get = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 0x0200 };
        get.SetToken([0x0b], 0, 1);
        get.AddUriPath("/hello");
        Assert.Equal(OscoreStatus.Ok, p.ProtectRequest(get, clientContext, false, e));
        CoapMessage reply = Parse(SendRaw(net, Serialize(get)));
        Assert.Equal(CoapCode.BadOption, reply.Code);
        Assert.False(reply.HasOption(CoapOptionNumber.Oscore));
        Assert.Equal(0, runs);

        // Even with the resource's own path left Outer, the option is refused before routing: the handler never runs.
        var plain = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 0x0201 };
        plain.SetToken([0x0c], 0, 1);
        plain.AddUriPath("/hello");
        plain.AddOption(CoapOptionNumber.Oscore, [0x09, 0x05], 0, 2);
        reply = Parse(SendRaw(net, Serialize(plain)));
        Assert.Equal(CoapCode.BadOption, reply.Code);
        Assert.Equal(0, runs);
    }
}
