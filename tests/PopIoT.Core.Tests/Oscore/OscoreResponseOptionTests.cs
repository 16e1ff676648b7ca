#nullable disable
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

using Xunit;

using static PopIoT.Core.Tests.Oscore.OscoreTestSupport;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>
/// RFC 7252 §5.4.1 and RFC 8613 §8.4: a client rejects a verified response whose Inner (Class E) options include a
/// critical option it does not recognise, just as it rejects such a plain response; an elective one is ignored.
/// </summary>
public class OscoreResponseOptionTests
{
    [Theory]
    [InlineData(9999, OscoreStatus.UnrecognizedCriticalOption)]
    [InlineData(9998, OscoreStatus.Ok)]
    public void A_verified_response_with_an_unrecognized_critical_inner_option_is_rejected(int option, OscoreStatus expected)
    {
        using SecurityContext client = C1Client();
        using SecurityContext server = C1Server();
        var table = new OscoreContextTable(4);
        table.Add(server);
        var cp = new OscoreProcessor();
        var sp = new OscoreProcessor();
        var ce = new OscoreExchange();
        var se = new OscoreExchange();

        var get = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = 1 };
        get.SetToken([7], 0, 1);
        get.AddUriPath("/t");
        Assert.Equal(OscoreStatus.Ok, cp.ProtectRequest(get, client, false, ce));
        CoapMessage atServer = ParseNew(Serialize(get));
        Assert.Equal(OscoreStatus.Ok, sp.UnprotectRequest(atServer, table, se));

        var reply = new CoapMessage { Type = CoapMessageType.Acknowledgement, Code = CoapCode.Content, MessageId = 1 };
        reply.SetToken([7], 0, 1);
        reply.AddOption(option, [0x01], 0, 1);
        reply.SetPayload([0x32, 0x31], 0, 2);
        Assert.Equal(OscoreStatus.Ok, sp.ProtectResponse(reply, se, false));

        CoapMessage atClient = ParseNew(Serialize(reply));
        Assert.Equal(expected, cp.UnprotectResponse(atClient, ce));
    }
}
