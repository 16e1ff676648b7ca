using System.Net;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using Xunit;

namespace PopIoT.Tests.Coap;

/// <summary>A server is ready for a request the moment its transport can deliver one.</summary>
public sealed class CoapServerStartTests
{
    // A transport whose first datagram arrives (on another thread) before Start returns: the earliest a socket can.
    private sealed class EagerTransport : ICoapTransport
    {
        public List<byte[]> Sent { get; } = [];

        public IPEndPoint LocalEndPoint { get; } = new(IPAddress.Loopback, 5683);

        public long NowMs => Environment.TickCount64;

        public void Start(ICoapTransportSink sink)
        {
            var request = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 0x1234 };
            request.SetToken([1, 2], 0, 2);
            request.AddUriPath("/time");
            byte[] datagram = new byte[request.GetSerializedLength()];
            request.Serialize(datagram, 0, datagram.Length);
            var t = new Thread(() => sink.OnDatagram(new IPEndPoint(IPAddress.Loopback, 40000), datagram));
            t.Start();
            t.Join();
        }

        public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
        {
            lock (Sent)
            {
                Sent.Add(datagram.ToArray());
            }
        }

        public void ScheduleWake(long atMs)
        {
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public void A_request_that_arrives_while_start_runs_is_served_not_answered_5_00()
    {
        var transport = new EagerTransport();
        using var server = new CoapServer();
        CoapDemoResources.Map(server);

        server.Start(transport);

        var response = new CoapMessage();
        Assert.Single(transport.Sent);
        Assert.Equal(CoapParseError.None, response.Parse(transport.Sent[0], 0, transport.Sent[0].Length));
        Assert.Equal(CoapCode.Content, response.Code);
    }
}
