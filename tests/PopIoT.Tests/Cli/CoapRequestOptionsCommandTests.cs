using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Oscore;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary>
/// What <c>popiot coap</c> puts on the wire beyond method and URI: the 'kid context' of an OSCORE context with an ID
/// Context (RFC 8613 §6.1), the request's options on every block-wise follow-up (RFC 7959 §2.4, §2.7), If-Match and
/// If-None-Match (RFC 7252 §5.10.8); and that an error after a block-wise transfer never shows an earlier body.
/// </summary>
public sealed class CoapRequestOptionsCommandTests : TempDirectoryTest
{
    private const string Secret = "0102030405060708090a0b0c0d0e0f10";
    private const string Salt = "9e7ca92223786340";

    private string Context(string name, string sender, string recipient, string? idContext, string extra = "")
    {
        string path = F(name);
        File.WriteAllText(path, "{\"sender_id\":\"" + sender + "\",\"recipient_id\":\"" + recipient + "\",\"master_secret\":\"" + Secret
            + "\",\"master_salt\":\"" + Salt + "\",\"id_context\":" + (idContext == null ? "null" : "\"" + idContext + "\"") + extra + "}");
        File.WriteAllText(path + ".seq", "0\n");
        return path;
    }

    // A server that holds two contexts with the same Recipient ID and different ID Contexts: only the 'kid context'
    // tells them apart (RFC 8613 §5.1, §8.2 step 2). The one the client does not hold comes first in the table.
    private (CoapServer Server, int Port) ServerWithTwoContexts()
    {
        var table = new OscoreContextTable(2);
        foreach (string idContext in new[] { "aaaa0001", "37cbf3210017a2d3" })
        {
            table.Add(OscoreContextFile.Parse(Encoding.UTF8.GetBytes(
                "{\"sender_id\":\"01\",\"recipient_id\":\"\",\"master_secret\":\"" + Secret + "\",\"master_salt\":\"" + Salt + "\",\"id_context\":\"" + idContext + "\"}")).CreateContext());
        }

        var server = new CoapServer(new CoapServerOptions { Oscore = table });
        CoapDemoResources.Map(server);
        IPEndPoint at = server.Start(new IPEndPoint(IPAddress.Loopback, 0));
        return (server, at.Port);
    }

    [Fact]
    public void An_oscore_request_carries_the_kid_context_so_a_server_with_several_contexts_finds_the_right_one()
    {
        (CoapServer server, int port) = ServerWithTwoContexts();
        using CoapServer held = server;
        string ctx = Context("client.json", "", "01", "37cbf3210017a2d3");

        var r = CliRunner.Run("coap", "get", "coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + "/large", "--oscore", ctx, "-B", "10");

        Assert.True(r.ExitCode == 0, r.Out + r.Error);
        Assert.StartsWith("2.05 Content", r.Out, StringComparison.Ordinal);
        Assert.Contains("line 0063: ", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Send_kid_context_false_in_the_context_file_leaves_it_out_and_that_server_cannot_tell_the_contexts_apart()
    {
        (CoapServer server, int port) = ServerWithTwoContexts();
        using CoapServer held = server;
        string ctx = Context("client.json", "", "01", "37cbf3210017a2d3", ",\"send_kid_context\":false");

        var r = CliRunner.Run("coap", "get", "coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + "/time", "--oscore", ctx, "-B", "10");

        // Without 'kid context' the server takes the first context with that kid, whose keys differ: 4.00 (RFC 8613 §8.2).
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("4.00 Bad Request", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_send_kid_context_value_exits_2_naming_the_field()
    {
        string ctx = Context("client.json", "", "01", "37cbf3210017a2d3", ",\"send_kid_context\":\"yes\"");
        var r = CliRunner.Run("coap", "get", "coap://127.0.0.1:9/x", "--oscore", ctx);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("\"send_kid_context\" must be true or false", r.Error, StringComparison.Ordinal);
    }

    // RFC 7959 §3.3 Figure 11 as a strict server plays it: the body in Block1 blocks of 16, then the response in Block2
    // blocks of 16; a request for a later block whose options differ from the first request's gets 4.08 (as aiocoap).
    private static CoapMessage StrictBlockwiseEcho(ScriptedCoapPeer.Received r, List<ScriptedCoapPeer.Received> all, byte[] body)
    {
        all.Add(r);
        var m = new CoapMessage();
        if (r.Uint(CoapOptionNumber.Block1) is uint b1 && BlockOption.More(b1))
        {
            m.Code = CoapCode.Continue;
            m.AddUintOption(CoapOptionNumber.Block1, b1);
            return m;
        }

        int num = r.Uint(CoapOptionNumber.Block2) is uint b2 ? BlockOption.Num(b2) : 0;
        if (num > 0 && r.NonBlockOptions() != all[0].NonBlockOptions())
        {
            m.Code = CoapCode.RequestEntityIncomplete;
            return m;
        }

        m.Code = CoapCode.Changed;
        m.AddUintOption(CoapOptionNumber.ContentFormat, 0);
        int offset = num * 16;
        int n = Math.Min(16, body.Length - offset);
        m.AddUintOption(CoapOptionNumber.Block2, BlockOption.Encode(num, offset + n < body.Length, 0));
        m.SetPayload(body, offset, n);
        return m;
    }

    [Fact]
    public void A_post_whose_request_and_response_go_in_blocks_repeats_its_options_in_every_block2_request()
    {
        byte[] body = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 5).Select(i => "block-wise body " + i.ToString(CultureInfo.InvariantCulture) + ".")));
        var all = new List<ScriptedCoapPeer.Received>();
        using var peer = new ScriptedCoapPeer((r, _) => StrictBlockwiseEcho(r, all, body));

        var result = CliRunner.Run("coap", "post", "coap://127.0.0.1:" + peer.Port.ToString(CultureInfo.InvariantCulture) + "/echo?x=1", "-e", Encoding.ASCII.GetString(body), "-t", "text", "-b", "16", "-A", "text", "-B", "10");

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.StartsWith("2.04 Changed", result.Out, StringComparison.Ordinal);
        Assert.EndsWith(Encoding.ASCII.GetString(body), result.Out.TrimEnd(), StringComparison.Ordinal);
        IReadOnlyList<ScriptedCoapPeer.Received> seen = peer.Requests;
        Assert.True(seen.Count(r => r.Uint(CoapOptionNumber.Block2) is uint b && BlockOption.Num(b) > 0) >= 3);
        Assert.All(seen, r => Assert.Equal(seen[0].NonBlockOptions(), r.NonBlockOptions()));
        Assert.True(seen[0].Has(CoapOptionNumber.ContentFormat) && seen[0].Has(CoapOptionNumber.Accept) && seen[0].Has(CoapOptionNumber.UriQuery));
    }

    [Fact]
    public void An_error_that_ends_a_block2_transfer_is_printed_with_its_own_payload_not_the_blocks_before_it()
    {
        byte[] body = Encoding.ASCII.GetBytes("first-block-16b!second-block-16b");
        using var peer = new ScriptedCoapPeer((r, i) =>
        {
            var m = new CoapMessage();
            if (i == 0)
            {
                m.Code = CoapCode.Changed;
                m.AddUintOption(CoapOptionNumber.Block2, BlockOption.Encode(0, true, 0));
                m.SetPayload(body, 0, 16);
            }
            else
            {
                m.Code = CoapCode.RequestEntityIncomplete;
                byte[] why = Encoding.ASCII.GetBytes("options changed");
                m.AddUintOption(CoapOptionNumber.ContentFormat, 0);
                m.SetPayload(why, 0, why.Length);
            }

            return m;
        });

        var result = CliRunner.Run("coap", "post", "coap://127.0.0.1:" + peer.Port.ToString(CultureInfo.InvariantCulture) + "/echo", "-e", "x", "-B", "10");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("4.08 Request Entity Incomplete", result.Out, StringComparison.Ordinal);
        Assert.EndsWith("options changed", result.Out.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain("first-block", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void If_none_match_and_if_match_make_put_conditional_on_the_demo_store()
    {
        using var server = new CoapServer();
        CoapDemoResources.Map(server);
        int port = server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
        string uri = "coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + "/store";

        // RFC 7252 §5.10.8.2: If-None-Match succeeds only while the resource does not exist.
        var create = CliRunner.Run("coap", "put", uri, "-e", "one", "--if-none-match");
        Assert.True(create.ExitCode == 0, create.Out + create.Error);
        Assert.StartsWith("2.01 Created", create.Out, StringComparison.Ordinal);
        var again = CliRunner.Run("coap", "put", uri, "-e", "two", "--if-none-match");
        Assert.Equal(1, again.ExitCode);
        Assert.StartsWith("4.12 Precondition Failed", again.Out, StringComparison.Ordinal);

        // RFC 7252 §5.10.8.1: If-Match with the current ETag succeeds; a stale or wrong one gets 4.12.
        var get = CliRunner.Run("coap", "get", uri);
        string etag = get.Out.Split('\n').Single(l => l.StartsWith("ETag: 0x", StringComparison.Ordinal))["ETag: 0x".Length..].Trim();
        Assert.EndsWith("one", get.Out.TrimEnd(), StringComparison.Ordinal);
        var wrong = CliRunner.Run("coap", "put", uri, "-e", "three", "--if-match", "00ff");
        Assert.Equal(1, wrong.ExitCode);
        Assert.StartsWith("4.12 Precondition Failed", wrong.Out, StringComparison.Ordinal);
        var update = CliRunner.Run("coap", "put", uri, "-e", "four", "--if-match", etag);
        Assert.True(update.ExitCode == 0, update.Out + update.Error);
        Assert.StartsWith("2.04 Changed", update.Out, StringComparison.Ordinal);
        var stale = CliRunner.Run("coap", "put", uri, "-e", "five", "--if-match", etag);
        Assert.StartsWith("4.12 Precondition Failed", stale.Out, StringComparison.Ordinal);
        Assert.EndsWith("four", CliRunner.Run("coap", "get", uri).Out.TrimEnd(), StringComparison.Ordinal);

        // An empty If-Match asks only that the resource exists.
        Assert.Equal(0, CliRunner.Run("coap", "put", uri, "-e", "six", "--if-match", "").ExitCode);
    }

    [Theory]
    [InlineData("--if-match", "0g", "--if-match is not hex")]
    [InlineData("--if-match", "00112233445566778899", "--if-match takes an ETag of 0 to 8 bytes")]
    public void Bad_if_match_values_exit_2(string option, string value, string message)
    {
        var r = CliRunner.Run("coap", "put", "coap://127.0.0.1:9/store", "-e", "x", option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void If_none_match_with_get_is_a_usage_error()
    {
        var r = CliRunner.Run("coap", "get", "coap://127.0.0.1:9/store", "--if-none-match");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--if-match and --if-none-match apply to put and post", r.Error, StringComparison.Ordinal);
    }

    internal static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}
