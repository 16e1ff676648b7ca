#nullable disable
using System;

using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Coap;
using PopIoT.Core.Tests.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Oscore.OscoreTestSupport;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>DESIGN.md §4, §8: after set-up the server's OSCORE path allocates nothing per message (managed provider).</summary>
public class OscoreAllocationTests
{
    [Fact]
    public void Server_unprotect_replay_check_and_protect_allocate_nothing_after_warm_up()
    {
        var client = C1Client();
        var cp = new OscoreProcessor();
        var ce = new OscoreExchange();
        const int Count = 1100;
        var requests = new byte[Count][];
        for (int i = 0; i < Count; i++)
        {
            var m = new CoapMessage { Code = CoapCode.Get, MessageId = i };
            m.SetToken([1, 2], 0, 2);
            m.AddStringOption(CoapOptionNumber.UriHost, "localhost");
            m.AddUriPath("/sensors/temp");
            Assert.Equal(OscoreStatus.Ok, cp.ProtectRequest(m, client, false, ce));
            requests[i] = Serialize(m);
        }

        var table = new OscoreContextTable(8);
        table.Add(C1Server());
        var sp = new OscoreProcessor();
        var se = new OscoreExchange();
        var req = new CoapMessage();
        var resp = new CoapMessage();
        byte[] body = "22.3 C"u8.ToArray();
        byte[] wire = new byte[512];

        void Run(int i)
        {
            byte[] d = requests[i];
            req.Parse(d, 0, d.Length);
            // Assert.Equal on an enum allocates inside xUnit; compare directly.
            if (sp.UnprotectRequest(req, table, se) != OscoreStatus.Ok)
            {
                throw new InvalidOperationException("unprotect failed");
            }

            resp.Reset();
            resp.Type = CoapMessageType.Acknowledgement;
            resp.Code = CoapCode.Content;
            resp.CopyTokenFrom(req);
            resp.SetPayload(body, 0, body.Length);
            if (sp.ProtectResponse(resp, se, false) != OscoreStatus.Ok)
            {
                throw new InvalidOperationException("protect failed");
            }

            Assert.True(resp.Serialize(wire, 0, wire.Length) > 0);
        }

        for (int i = 0; i < 100; i++)
        {
            Run(i);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 100; i < Count; i++)
        {
            Run(i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Message_layer_with_oscore_server_allocates_nothing_per_request_after_warm_up()
    {
        var client = C1Client();
        var cp = new OscoreProcessor();
        var ce = new OscoreExchange();
        const int Count = 600;
        var requests = new byte[Count][];
        for (int i = 0; i < Count; i++)
        {
            var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = i + 1 };
            m.SetToken([9, 9], 0, 2);
            m.AddUriPath("/t");
            cp.ProtectRequest(m, client, false, ce);
            requests[i] = Serialize(m);
        }

        var table = new OscoreContextTable(8);
        table.Add(C1Server());
        var oscore = new OscoreServer(table, new OscoreProcessor(), new FixedHandler(CoapCode.Content, "v"), null);
        var server = new MessageLayer(new CoapSettings(), new SeededRandomSource(5), oscore, null);
        byte[] output = new byte[1024];
        long now = 0;

        void Run(int i)
        {
            now += 20_000;
            server.Receive(requests[i], 0, requests[i].Length, 1, now);
            Assert.True(server.TryTakeOutgoing(output, 0, out int n, out _));
        }

        for (int i = 0; i < 100; i++)
        {
            Run(i);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 100; i < Count; i++)
        {
            Run(i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(OscoreStatus.Ok, oscore.LastStatus);
        Assert.Equal(CoapCode.Changed, output[1]);
    }
}
