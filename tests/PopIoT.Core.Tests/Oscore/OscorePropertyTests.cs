#nullable disable
using System;

using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Core.Tests.Coap;
using PopIoT.Core.Tests.Crypto;

using Xunit;

using static PopIoT.Core.Tests.Oscore.OscoreTestSupport;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>Round trips over random messages, context construction rules, and the Echo flow through MessageLayer.</summary>
public class OscorePropertyTests
{
    private static readonly int[] Numbers = [1, 3, 4, 5, 7, 8, 11, 12, 14, 15, 17, 20, 23, 27, 28, 39, 60, 252, 258, 292, 2048, 65000];

    private static CoapMessage RandomRequest(Random r, byte[] store)
    {
        var m = new CoapMessage(24, 0) { Code = (byte)r.Next(1, 8), MessageId = r.Next(65536), Type = CoapMessageType.Confirmable };
        int tkl = r.Next(9);
        r.NextBytes(store.AsSpan(0, 8));
        m.SetToken(store, 0, tkl);
        int used = 8;
        int n = r.Next(0, 8);
        for (int i = 0; i < n; i++)
        {
            int number = Numbers[r.Next(Numbers.Length)];
            int len = r.Next(4) == 0 ? r.Next(13, 300) : r.Next(0, 12);
            if (used + len > store.Length)
            {
                break;
            }

            r.NextBytes(store.AsSpan(used, len));
            m.AddOption(number, store, used, len);
            used += len;
        }

        int payload = r.Next(3) == 0 ? 0 : r.Next(1, 200);
        if (used + payload <= store.Length && payload > 0)
        {
            r.NextBytes(store.AsSpan(used, payload));
            m.SetPayload(store, used, payload);
        }

        return m;
    }

    [Fact]
    public void Random_requests_and_responses_round_trip_exactly()
    {
        var r = SeededRandomSource.NewRandom(42);
        var client = C2Client();
        var table = new OscoreContextTable(2);
        table.Add(C2Server());
        var cp = new OscoreProcessor(4096);
        var sp = new OscoreProcessor(4096);
        byte[] store = new byte[3000];
        for (int i = 0; i < 2000; i++)
        {
            var m = RandomRequest(r, store);
            byte[] original = Serialize(m);
            // RFC 8613 §8.2 step 8: a verified request with an unrecognized critical option is reported as such (it is
            // still rebuilt exactly; the caller answers it with a protected 4.02).
            OscoreStatus expected = CoapOption.FindUnrecognizedCritical(ParseNew(original), false) >= 0 ? OscoreStatus.UnrecognizedCriticalOption : OscoreStatus.Ok;
            var ce = new OscoreExchange();
            Assert.Equal(OscoreStatus.Ok, cp.ProtectRequest(m, client, r.Next(2) == 0, ce));
            Assert.Contains(m.Code, new[] { CoapCode.Post, CoapCode.Fetch });
            var got = ParseNew(Serialize(m));
            var se = new OscoreExchange();
            Assert.Equal(expected, sp.UnprotectRequest(got, table, se));
            // Class U options (Uri-Host, Uri-Port, Proxy-Scheme) stay where they were; the rest comes back from inside.
            Assert.Equal(original, Serialize(got));

            var resp = RandomRequest(r, store);
            resp.RemoveOption(CoapOptionNumber.Observe);
            resp.Code = CoapCode.Content;
            byte[] respOriginal = Serialize(resp);
            // RFC 8613 §8.4, RFC 7252 §5.4.1: the client reports the same for a response (still rebuilt exactly).
            OscoreStatus respExpected = CoapOption.FindUnrecognizedCritical(ParseNew(respOriginal), false) >= 0 ? OscoreStatus.UnrecognizedCriticalOption : OscoreStatus.Ok;
            Assert.Equal(OscoreStatus.Ok, sp.ProtectResponse(resp, se, r.Next(2) == 0));
            var back = ParseNew(Serialize(resp));
            Assert.Equal(respExpected, cp.UnprotectResponse(back, ce));
            Assert.Equal(respOriginal, Serialize(back));
        }
    }

    [Fact]
    public void Context_inputs_are_checked_when_it_is_made()
    {
        var p = Managed();
        Assert.Throws<ArgumentException>(() => new SecurityContext(p, MasterSecret, null, [1], [1], null));
        Assert.Throws<ArgumentException>(() => new SecurityContext(p, MasterSecret, null, new byte[8], [1], null));
        Assert.Throws<ArgumentException>(() => new SecurityContext(p, [], null, [0], [1], null));
        Assert.Throws<ArgumentException>(() => new SecurityContext(p, MasterSecret, null, [0], [1], null, new SecurityContextOptions { Algorithm = 12, ReplayWindowSize = 32 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SecurityContext(p, MasterSecret, null, [0], [1], null, new SecurityContextOptions { Algorithm = 10, ReplayWindowSize = 40 }));
        var c = new SecurityContext(p, MasterSecret, null, [0], [1], null, new SecurityContextOptions { Algorithm = 10, ReplayWindowSize = 256 });
        Assert.Equal(256, c.ReplayWindow.Size);
        Assert.Equal(8, c.TagLength);
        c.Dispose();
        Assert.True(c.IsDisposed);
        Assert.Equal(OscoreStatus.SecurityContextNotFound, new OscoreProcessor().ProtectRequest(new CoapMessage { Code = 1 }, c, false, new OscoreExchange()));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(30)]
    [InlineData(31)]
    public void Other_aes_ccm_16_algorithms_round_trip(int alg)
    {
        var p = Managed();
        var client = new SecurityContext(p, MasterSecret, MasterSalt, [0x0A], [0x0B], null, new SecurityContextOptions { Algorithm = alg, ReplayWindowSize = 32 });
        var table = new OscoreContextTable(1);
        table.Add(new SecurityContext(p, MasterSecret, MasterSalt, [0x0B], [0x0A], null, new SecurityContextOptions { Algorithm = alg, ReplayWindowSize = 32 }));
        var m = new CoapMessage { Code = CoapCode.Get };
        m.AddUriPath("/x");
        var proc = new OscoreProcessor();
        Assert.Equal(OscoreStatus.Ok, proc.ProtectRequest(m, client, false, new OscoreExchange()));
        Assert.Equal(OscoreStatus.Ok, proc.UnprotectRequest(ParseNew(Serialize(m)), table, new OscoreExchange()));
    }

    [Fact]
    public void Echo_flow_after_reboot_through_the_message_layer()
    {
        var table = new OscoreContextTable(2);
        var serverContext = C1Server(null, 64, unknown: true);
        table.Add(serverContext);
        var app = new FixedHandler(CoapCode.Content, "ok");
        var oscore = new OscoreServer(table, new OscoreProcessor(), app, null);
        var layer = new MessageLayer(new CoapSettings(), new SeededRandomSource(2), oscore, null);
        var client = C1Client();
        var cp = new OscoreProcessor();
        byte[] outBuf = new byte[512];

        byte[] Send(int mid, byte[] echo, OscoreExchange e)
        {
            var m = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Get, MessageId = mid };
            m.SetToken([7], 0, 1);
            m.AddUriPath("/t");
            if (echo != null)
            {
                m.AddOption(CoapOptionNumber.Echo, echo, 0, echo.Length);
            }

            Assert.Equal(OscoreStatus.Ok, cp.ProtectRequest(m, client, false, e));
            byte[] d = Serialize(m);
            layer.Receive(d, 0, d.Length, 1, mid * 1000L);
            Assert.True(layer.TryTakeOutgoing(outBuf, 0, out int n, out _));
            return outBuf.AsSpan(0, n).ToArray();
        }

        var e1 = new OscoreExchange();
        var r1 = ParseNew(Send(1, null, e1));
        Assert.Equal(OscoreStatus.Ok, cp.UnprotectResponse(r1, e1));
        Assert.Equal(CoapCode.Unauthorized, r1.Code);
        Assert.Equal(0, app.Calls);
        Assert.Equal(1, oscore.EchoChallenges);
        int at = r1.FindOption(CoapOptionNumber.Echo);
        byte[] echo = new byte[r1.GetOptionLength(at)];
        Array.Copy(r1.GetOptionBuffer(at), r1.GetOptionOffset(at), echo, 0, echo.Length);
        Assert.True(echo.Length >= 8);

        var e2 = new OscoreExchange();
        var r2 = ParseNew(Send(2, echo, e2));
        Assert.Equal(OscoreStatus.Ok, cp.UnprotectResponse(r2, e2));
        Assert.Equal(CoapCode.Content, r2.Code);
        Assert.Equal(1, app.Calls);
        Assert.False(serverContext.FreshnessRequired);

        var e3 = new OscoreExchange();
        var r3 = ParseNew(Send(3, null, e3));
        Assert.Equal(OscoreStatus.Ok, cp.UnprotectResponse(r3, e3));
        Assert.Equal(CoapCode.Content, r3.Code);
    }
}
