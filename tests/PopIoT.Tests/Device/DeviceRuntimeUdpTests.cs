using System.Net;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Device;
using PopIoT.Device;
using Xunit;

namespace PopIoT.Tests.Device;

/// <summary>DeviceRuntime.Run on a thread of its own over a blocking UDP socket, as a board's Main runs it (docs/firmware.md, "The device runtime").</summary>
public sealed class DeviceRuntimeUdpTests
{
    [Fact]
    public async Task Run_serves_over_a_blocking_udp_socket_until_stopped()
    {
        using var socket = new UdpDatagramSocket(new IPEndPoint(IPAddress.Loopback, 0));
        using var key = CoseKey.Symmetric(Enumerable.Repeat((byte)0x22, 16).ToArray(), 10, null);
        var settings = new DeviceRuntimeSettings { Ace = new AceRsSettings("coap://udp-device", "coap://as.example/token"), ClockTickMs = 50 };
        var log = new List<string>();
        var host = new DeviceHost
        {
            Socket = socket,
            Clock = new SimulatedDeviceClock(TimeProvider.System, true, null),
            Crypto = new ManagedCryptoProvider(new SeededRandomSource(3)),
            Log = new Lines(log),
            Peripherals = new SimulatedPeripherals(),
        };
        using var runtime = new DeviceRuntime(settings, host);
        runtime.Engine.SetEncrypt0Key(key);
        Assert.True(runtime.Start());
        Thread loop = new(runtime.Run) { IsBackground = true };
        loop.Start();

        using var client = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromSeconds(10) });
        CoapResponse hello = await client.GetAsync(new Uri("coap://127.0.0.1:" + socket.LocalEndPoint.Port + "/hello"));
        Assert.Equal(CoapCode.Content, hello.Code);
        Assert.Equal("hello from coap://udp-device", hello.PayloadText);
        CoapResponse temp = await client.GetAsync(new Uri("coap://127.0.0.1:" + socket.LocalEndPoint.Port + "/temp"));
        Assert.Equal(CoapCode.Unauthorized, temp.Code);

        // Run returns after the turn in progress: Receive waits at most a clock tick.
        runtime.Stop();
        Assert.True(loop.Join(TimeSpan.FromSeconds(10)));
        Assert.False(runtime.IsRunning);
        lock (log)
        {
            Assert.Contains(log, l => l.StartsWith("wall time known", StringComparison.Ordinal));
        }
    }

    private sealed class Lines(List<string> lines) : IDeviceLog
    {
        public void Write(int level, string message)
        {
            lock (lines)
            {
                lines.Add(message);
            }
        }
    }
}
