using System.Net;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using Xunit;
using Xunit.Abstractions;
using static PopIoT.Tests.Oscore.OscoreTestContexts;

namespace PopIoT.Tests.Oscore;

/// <summary>Bytes on the wire for a GET with and without OSCORE (the figures in docs/oscore.md).</summary>
public class OscoreWireSizeTests(ITestOutputHelper output)
{
    private static async Task<(int Request, int Response)> MeasureAsync(bool oscore, byte[] senderId)
    {
        var net = new LossyNetwork(new LossyNetworkOptions { Seed = 3 });
        var serverAddress = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 5683);
        var sizes = new List<(bool ToServer, int Length)>();
        net.DatagramSent += (from, to, data) => sizes.Add((to.Equals(serverAddress), data.Length));
        var p = new PopIoT.Crypto.PlatformCryptoProvider();
        using var serverContext = new SecurityContext(p, MasterSecret, MasterSalt, [0x01], senderId, null);
        using var server = new CoapServer(new CoapServerOptions { Random = new SeededRandomSource(1), Oscore = oscore ? Table(serverContext) : null });
        server.Map("/sensors/temp", CoapMethods.Get, (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, "21.5 C"u8.ToArray(), 0)));
        server.Start(net.CreateTransport(serverAddress));
        using var clientContext = new SecurityContext(p, MasterSecret, MasterSalt, senderId, [0x01], null);
        await using var client = new CoapClient(
            net.CreateTransport(new IPEndPoint(IPAddress.Parse("10.0.1.1"), 40000)),
            new CoapClientOptions { Random = new SeededRandomSource(2), Oscore = oscore ? clientContext : null });
        Task<CoapResponse> t = client.GetAsync(new Uri("coap://10.0.0.1/sensors/temp"));
        net.RunTo(10_000);
        Assert.Equal("21.5 C", (await t).PayloadText);
        return (Assert.Single(sizes, s => s.ToServer).Length, Assert.Single(sizes, s => !s.ToServer).Length);
    }

    [Fact]
    public async Task A_protected_get_costs_a_fixed_number_of_bytes_over_the_plain_get()
    {
        (int plainRequest, int plainResponse) = await MeasureAsync(false, []);
        (int request, int response) = await MeasureAsync(true, []);
        (int request2, int response2) = await MeasureAsync(true, [0x42]);
        output.WriteLine("GET coap://10.0.0.1/sensors/temp, 4-byte token, response 2.05 text/plain \"21.5 C\", AES-CCM-16-64-128:");
        output.WriteLine($"plain:  request {plainRequest} B, response {plainResponse} B");
        output.WriteLine($"OSCORE: request {request} B (+{request - plainRequest}), response {response} B (+{response - plainResponse}) with an empty client Sender ID");
        output.WriteLine($"OSCORE: request {request2} B (+{request2 - plainRequest}), response {response2} B (+{response2 - plainResponse}) with a 1-byte client Sender ID");

        // Request: OSCORE option (1 header + 1 flags + 1 Partial IV [+ kid]), payload marker, inner Code and the 8-byte
        // tag (RFC 8613 §6.1, §5.3); the Uri-Path options move inside unchanged.
        Assert.Equal(13, request - plainRequest);
        Assert.Equal(14, request2 - plainRequest);
        // Response: an empty OSCORE option (1), inner Code (1), a second payload marker (the inner one) and the tag (8).
        Assert.Equal(11, response - plainResponse);
        Assert.Equal(response, response2);
    }
}
