#nullable disable
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

using Xunit;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// RFC 8613 §8.2 step 8: a verified request is processed as CoAP, so an unrecognized critical Inner option gets 4.02
/// Bad Option (RFC 7252 §5.4.1), protected under the request's context, and the resource does not run.
/// </summary>
public class AceCriticalOptionTests
{
    private static byte[] ProtectWithOption(AceTestClient c, OscoreProcessor p, OscoreExchange e, byte method, string path, int option)
    {
        var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = method, MessageId = 0x300 + option % 256 };
        m.SetToken([0x7, 0x1], 0, 2);
        m.AddUriPath(path);
        m.AddOption(option, [0x01], 0, 1);
        Assert.Equal(OscoreStatus.Ok, p.ProtectRequest(m, c.Context, false, e));
        return AceTestSupport.Serialize(m);
    }

    [Fact]
    public void An_unrecognized_critical_inner_option_gets_a_protected_4_02_and_the_resource_does_not_run()
    {
        var rig = new AceRig(log: true);
        var c = new AceTestClient(1, new TokenSpec { Scope = "write" });
        Assert.Equal(CoapCode.Created, c.Post(rig));
        var p = new OscoreProcessor();
        var e = new OscoreExchange();

        var r = new CoapMessage();
        byte[] reply = rig.Exchange(1, ProtectWithOption(c, p, e, CoapCode.Put, "/led", 9999));
        r.Parse(reply, 0, reply.Length);
        Assert.True(r.HasOption(CoapOptionNumber.Oscore), "the 4.02 answers a verified request, so it is protected");
        Assert.Equal(OscoreStatus.Ok, p.UnprotectResponse(r, e));
        Assert.Equal(CoapCode.BadOption, r.Code);
        Assert.Equal(0, rig.Led.Calls);
        Assert.Equal("UnrecognizedCriticalOption", rig.Server.LastDecision.Error.ToString());

        // An unknown elective option is ignored (RFC 7252 §5.4.1): the same PUT with 9998 runs.
        reply = rig.Exchange(1, ProtectWithOption(c, p, e, CoapCode.Put, "/led", 9998));
        r.Parse(reply, 0, reply.Length);
        Assert.Equal(OscoreStatus.Ok, p.UnprotectResponse(r, e));
        Assert.Equal(CoapCode.Changed, r.Code);
        Assert.Equal(1, rig.Led.Calls);
    }
}
