using System;

using PopIoT.Core.Coap;

using Xunit;

namespace PopIoT.Core.Tests.Coap;

/// <summary>DESIGN.md §4, §8: after start-up the message path allocates nothing per datagram.</summary>
public class CoapAllocationTests
{
    [Fact]
    public void Con_get_to_piggybacked_response_allocates_nothing_after_warm_up()
    {
        var table = new ResourceTable(4, 256);
        table.Add(new CoapResource("/sensors/temp", CoapMethods.Get, new FixedHandler(CoapCode.Content, "22.3 C")));
        var server = new MessageLayer(new CoapSettings(), new SeededRandomSource(5), table, null);
        byte[] request = Hex.Parse("44010000a1b2c3d4" + "b7" + Hex.Ascii("sensors") + "04" + Hex.Ascii("temp"));
        byte[] output = new byte[2048];
        long now = 0;
        int mid = 0;

        void Run()
        {
            // A fresh Message ID each time, so this is the full path, not a duplicate hit.
            mid++;
            request[2] = (byte)(mid >> 8);
            request[3] = (byte)mid;
            now += 20_000;
            server.Receive(request, 0, request.Length, 1, now);
            Assert.True(server.TryTakeOutgoing(output, 0, out int n, out _));
        }

        for (int i = 0; i < 50; i++)
        {
            Run();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Run();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0x64, output[0]);
        Assert.Equal(CoapCode.Content, output[1]);
    }

    [Fact]
    public void Client_request_and_response_allocate_nothing_after_warm_up()
    {
        var listener = new SilentListener();
        var client = new MessageLayer(new CoapSettings(), new SeededRandomSource(1), null, listener);
        var server = new MessageLayer(new CoapSettings(), new SeededRandomSource(2), new FixedHandler(CoapCode.Content, "v"), null);
        var get = new CoapMessage();
        byte[] path = "temp"u8.ToArray();
        byte[] wire = new byte[2048];
        long now = 0;

        void Run()
        {
            now += 300_000;
            get.Reset();
            get.Code = CoapCode.Get;
            get.AddOption(CoapOptionNumber.UriPath, path, 0, path.Length);
            client.SendRequest(0, get, now, out _);
            client.TryTakeOutgoing(wire, 0, out int n, out _);
            server.Receive(wire, 0, n, 1, now);
            server.TryTakeOutgoing(wire, 0, out n, out _);
            client.Receive(wire, 0, n, 0, now);
        }

        for (int i = 0; i < 50; i++)
        {
            Run();
        }

        int before = listener.Count;
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Run();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - bytes);
        Assert.Equal(before + 1000, listener.Count);
    }

    private sealed class SilentListener : ICoapExchangeListener
    {
        public int Count { get; private set; }

        public void OnResponse(int exchange, int peer, CoapMessage response) => Count++;

        public void OnFailed(int exchange, int peer, byte[] token, int tokenOffset, int tokenLength, CoapExchangeFailure reason)
        {
        }
    }
}
