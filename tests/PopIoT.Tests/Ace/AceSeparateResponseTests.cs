using System.Net;
using PopIoT.Ace;
using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Cose;
using PopIoT.Crypto;
using PopIoT.Device;
using Xunit;

namespace PopIoT.Tests.Ace;

/// <summary>
/// A request carries its security binding (docs/architecture.md): a response that a handler produces late (a separate
/// response, RFC 7252 §5.2.2) is protected under the binding of the request it answers (RFC 8613 §8.3), whatever the
/// resource's access rule, and never goes out in the clear.
/// </summary>
public class AceSeparateResponseTests
{
    [Fact]
    public async Task An_OSCORE_request_to_an_unprotected_resource_answered_late_gets_a_protected_separate_response()
    {
        using var aead = CoseKey.Symmetric(Enumerable.Repeat((byte)0x22, 16).ToArray(), 10, null);
        var settings = new AceRsSettings(AceWorld.Audience, "coap://as.example");
        using var engine = new AceResourceServer(settings, PlatformCryptoProvider.Instance);
        engine.SetEncrypt0Key(aead);
        engine.TokenProtection = 16;
        var layer = new AceServerLayer(engine, () => DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        using var server = new CoapServer(new CoapServerOptions { MaxResources = 8 }, null, layer);
        server.Map("/temp", CoapMethods.Get, (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, "21.5"u8.ToArray(), 0)), access: ResourceAccess.Protected);
        server.Map("/slow", CoapMethods.Get, async (_, _) =>
        {
            // Later than the ACK timeout the message layer waits before it ACKs on its own (RFC 7252 §5.2.2).
            await Task.Delay(300).ConfigureAwait(false);
            return new CoapResponse(CoapCode.Content, "late"u8.ToArray(), 0);
        });
        IPEndPoint at = server.Start(new IPEndPoint(IPAddress.Loopback, 0));

        AccessTokenFile token = AceWorld.Mint([aead], "[[\"/temp\",\"GET\"]]");
        var received = new List<byte[]>();
        var transport = new AceWorld.ReceiveRecorder(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0), null), d =>
        {
            lock (received)
            {
                received.Add(d);
            }
        });
        using var client = new AceOscoreClient(token, new Uri("coap://" + at.Address + ":" + at.Port), transport,
            new AceOscoreClientOptions { Coap = new CoapClientOptions { Timeout = TimeSpan.FromSeconds(20) } });

        Assert.Equal("21.5", (await client.GetAsync(new Uri("coap://" + at.Address + ":" + at.Port + "/temp"))).PayloadText);
        lock (received)
        {
            // The token was posted in the clear (RFC 9203 §4.1); only what answers the OSCORE request to /slow counts.
            received.Clear();
        }

        CoapResponse late = await client.GetAsync(new Uri("coap://" + at.Address + ":" + at.Port + "/slow"));

        Assert.Equal(CoapCode.Content, late.Code);
        Assert.Equal("late", late.PayloadText);
        lock (received)
        {
            // The separate response (a CON after the empty ACK) came protected: outer code 2.04/2.05 with OSCORE.
            Assert.Contains(received, d => IsResponse(d));
            foreach (byte[] d in received.Where(IsResponse))
            {
                var m = new CoapMessage();
                Assert.Equal(CoapParseError.None, m.Parse(d, 0, d.Length));
                Assert.True(m.HasOption(CoapOptionNumber.Oscore), "the device sent " + CoapResponse.FormatCode(m.Code) + " in clear");
            }
        }
    }

    private static bool IsResponse(byte[] datagram)
    {
        var m = new CoapMessage();
        return m.Parse(datagram, 0, datagram.Length) == CoapParseError.None && m.Code != 0 && CoapCode.ClassOf(m.Code) >= 2;
    }
}
