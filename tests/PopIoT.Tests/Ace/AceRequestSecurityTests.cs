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
/// A request carries its security binding (docs/ace-rs.md): every answer to an OSCORE request is protected under the
/// binding of the request it answers (RFC 8613 §8.3), whatever the resource's access rule, and never goes out in the
/// clear; notifications likewise (RFC 8613 §4.1.3.5, DeviceRuntimeObserveTests).
/// </summary>
public class AceRequestSecurityTests
{
    [Fact]
    public void An_OSCORE_request_to_the_devices_unprotected_resource_gets_a_protected_response()
    {
        using var world = new AceWorld("udp");
        var received = new List<byte[]>();
        AceOscoreClient client = world.Client(world.Mint("read"), received: d =>
        {
            lock (received)
            {
                received.Add(d);
            }
        });
        Assert.Equal(CoapCode.Created, world.Run(client.PostTokenAsync()).Code);
        lock (received)
        {
            received.Clear();
        }

        CoapResponse hello = world.Run(client.GetAsync(world.At("/hello")));
        Assert.Equal(CoapCode.Content, hello.Code);
        Assert.Equal("hello from " + AceWorld.Audience, hello.PayloadText);
        lock (received)
        {
            Assert.NotEmpty(received);
            foreach (byte[] d in received)
            {
                var m = new CoapMessage();
                Assert.Equal(CoapParseError.None, m.Parse(d, 0, d.Length));
                Assert.True(m.Code == 0 || m.HasOption(CoapOptionNumber.Oscore), "the device sent " + CoapResponse.FormatCode(m.Code) + " in clear");
            }
        }
    }

    [Fact]
    public void A_resource_declared_protected_on_a_server_that_cannot_enforce_it_is_refused_when_mapped()
    {
        using var plain = new CoapServer();
        ArgumentException e = Assert.Throws<ArgumentException>(() =>
            plain.Map("/secret", CoapMethods.Get, (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content)), access: ResourceAccess.Protected));
        Assert.Equal("access", e.ParamName);
    }
}
