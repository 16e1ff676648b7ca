using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary>
/// No long silent waits in <c>popiot coap</c>: <c>-v</c> shows every datagram sent and received, retransmissions
/// included (as libcoap's coap-client -v does); an ICMP port unreachable ends the request at once with that reason; and
/// <c>coap serve</c> answers on the IPv4 and the IPv6 loopback address by default (docs/coap.md).
/// </summary>
public sealed class CoapTransmissionCommandTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static bool HasIPv6Loopback()
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Fact]
    public void Verbose_shows_the_request_its_retransmission_and_the_response()
    {
        // The peer loses the first transmission and answers the retransmission (RFC 7252 §4.2).
        using var peer = new ScriptedCoapPeer((_, i) => i == 0 ? null : new CoapMessage { Code = CoapCode.Content });

        var r = CliRunner.Run("coap", "get", "coap://127.0.0.1:" + Port(peer.Port) + "/time", "-v", "-B", "30");

        Assert.True(r.ExitCode == 0, r.Out + r.Error);
        string[] lines = r.Error.Split('\n');
        Assert.Contains(lines, l => l.Contains("sent to 127.0.0.1:" + Port(peer.Port), StringComparison.Ordinal) && l.Contains("t:CON c:GET", StringComparison.Ordinal) && l.Contains("Uri-Path:time", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("retransmission #1", StringComparison.Ordinal) && l.Contains("t:CON c:GET", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("received from 127.0.0.1:" + Port(peer.Port), StringComparison.Ordinal) && l.Contains("t:ACK c:2.05", StringComparison.Ordinal));
        Assert.Equal(2, peer.Requests.Count);
        Assert.StartsWith("2.05 Content", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_verbose_nothing_about_transmissions_is_printed()
    {
        using var peer = new ScriptedCoapPeer((_, _) => new CoapMessage { Code = CoapCode.Content });
        var r = CliRunner.Run("coap", "get", "coap://127.0.0.1:" + Port(peer.Port) + "/time", "-B", "30");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(string.Empty, r.Error);
    }

    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    public void A_port_nobody_listens_on_fails_at_once_with_connection_refused(string host)
    {
        Skip.If(host == "[::1]" && !HasIPv6Loopback(), "no IPv6 loopback on this host");

        // A port just freed: the kernel answers the datagram with ICMP port unreachable.
        int port;
        using (var s = new Socket(host == "[::1]" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            s.Bind(new IPEndPoint(host == "[::1]" ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
            port = ((IPEndPoint)s.LocalEndPoint!).Port;
        }

        // With -B 60 a run that waited for the timeout would say "no response ... within 60 s" instead.
        var r = CliRunner.Run("coap", "get", "coap://" + host + ":" + Port(port) + "/time", "-B", "60");

        Assert.Equal(1, r.ExitCode);
        Assert.Equal(string.Empty, r.Out);
        Assert.Contains("connection refused (ICMP port unreachable)", r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("no response", r.Error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Coap_serve_answers_on_the_ipv4_and_ipv6_loopback_by_default_and_the_docs_ipv6_example_works()
    {
        Skip.IfNot(HasIPv6Loopback(), "no IPv6 loopback on this host");
        int port = CoapRequestOptionsCommandTests.FreePort();
        Task<CliRunner.Result> serve = Task.Run(() => CliRunner.Run("coap", "serve", "--port", Port(port), "--duration", "15"));

        CoapResponse v4 = await ServerStart.AnswerAsync(new Uri("coap://127.0.0.1:" + Port(port) + "/time"), serve);
        Assert.True(v4.Code == CoapCode.Content, v4.CodeText);

        // docs/coap.md: popiot coap post coap://[::1]/echo --payload-hex a10102 -t cbor (on this test's port).
        var post = CliRunner.Run("coap", "post", "coap://[::1]:" + Port(port) + "/echo", "--payload-hex", "a10102", "-t", "cbor", "-B", "5");
        Assert.True(post.ExitCode == 0, post.Out + post.Error);
        Assert.Equal("2.04 Changed\nContent-Format: 60 (application/cbor)\n\na10102", post.Out.Trim().ReplaceLineEndings("\n"));

        CliRunner.Result served = await serve;
        Assert.Equal(0, served.ExitCode);
        Assert.Contains("coap://127.0.0.1:" + Port(port), served.Out, StringComparison.Ordinal);
        Assert.Contains("coap://[::1]:" + Port(port), served.Out, StringComparison.Ordinal);
    }
}
