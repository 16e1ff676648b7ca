using System.Net;
using System.Net.Sockets;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary><c>popiot coap serve --oscore</c> and <c>popiot coap get|put|post|delete --oscore</c>, both in-process.</summary>
public sealed class CoapOscoreCommandTests : TempDirectoryTest
{
    private const string Secret = "0102030405060708090a0b0c0d0e0f10";

    // A context provisioned as new: its Sender Sequence Numbers start at 0 (RFC 8613 Appendix B.1.1).
    private string Write(string name, string json)
    {
        string path = F(name);
        File.WriteAllText(path, json);
        File.WriteAllText(path + ".seq", "0\n");
        return path;
    }

    private string ServerCtx() => Write("ctx-server.json", "{\"sender_id\":\"01\",\"recipient_id\":\"\",\"master_secret\":\"" + Secret + "\",\"master_salt\":\"9e7ca92223786340\",\"id_context\":null,\"alg\":10,\"replay_window\":32}");

    private string ClientCtx(string secret = Secret, string name = "ctx-client.json") =>
        Write(name, "{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"" + secret + "\",\"master_salt\":\"9e7ca92223786340\",\"id_context\":null,\"alg\":\"AES-CCM-16-64-128\",\"replay_window\":32}");

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    // Starts `popiot coap serve --oscore` for a few seconds and waits until it answers a plain GET (with 4.01).
    private static async Task<Task<CliRunner.Result>> ServeAsync(string ctx, int port, int seconds)
    {
        Task<CliRunner.Result> server = Task.Run(() => CliRunner.Run("coap", "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--duration", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--oscore", ctx));
        CoapResponse r = await ServerStart.AnswerAsync(new Uri("coap://127.0.0.1:" + port + "/time"), server);
        Assert.Equal(CoapCode.Unauthorized, r.Code);
        return server;
    }

    [Fact]
    public async Task Client_and_server_runs_talk_oscore_through_the_echo_challenge_and_a_wrong_key_gets_4_00()
    {
        int port = FreePort();
        string serverCtx = ServerCtx();
        string clientCtx = ClientCtx();
        Task<CliRunner.Result> server = await ServeAsync(serverCtx, port, 10);
        string uri = "coap://127.0.0.1:" + port;

        // A wrong Master Secret: the server cannot decrypt and says so, unprotected (RFC 8613 §8.2). First: once
        // a Partial IV was accepted, the replay check (step 5) answers before decryption is tried.
        string wrong = ClientCtx("00112233445566778899aabbccddeeff", "ctx-wrong.json");
        var bad = CliRunner.Run("coap", "get", uri + "/time", "--oscore", wrong, "-B", "10");
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith("4.00 Bad Request", bad.Out, StringComparison.Ordinal);
        Assert.Contains("Decryption failed", bad.Out, StringComparison.Ordinal);

        // The server started with its replay window unknown (RFC 8613 B.1.2): the first request is challenged with
        // Echo and repeated by the client without the user seeing it.
        var put = CliRunner.Run("coap", "put", uri + "/store", "--payload", "sealed", "-t", "0", "--oscore", clientCtx, "-B", "10");
        Assert.True(put.ExitCode == 0, put.Out + put.Error);
        Assert.Equal("2.01 Created", put.Out.Trim());
        var get = CliRunner.Run("coap", "get", uri + "/store", "--oscore", clientCtx, "-B", "10");
        Assert.Equal(0, get.ExitCode);
        Assert.EndsWith("sealed", get.Out.Trim(), StringComparison.Ordinal);
        Assert.StartsWith("2.05 Content", get.Out, StringComparison.Ordinal);
        var post = CliRunner.Run("coap", "post", uri + "/echo", "--payload", "ping", "--oscore", clientCtx, "-B", "10");
        Assert.Equal(0, post.ExitCode);
        Assert.EndsWith("ping", post.Out.Trim(), StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("coap", "delete", uri + "/store", "--oscore", clientCtx, "-B", "10").ExitCode);
        var large = CliRunner.Run("coap", "get", uri + "/large", "--oscore", clientCtx, "-B", "10");
        Assert.Equal(0, large.ExitCode);
        Assert.Contains("line 0063: ", large.Out, StringComparison.Ordinal);
        Assert.Contains("line 0000: ", large.Out, StringComparison.Ordinal);

        // Observe under OSCORE: the first response and a protected notification of /time (RFC 8613 §4.1.3.5).
        var observe = CliRunner.Run("coap", "get", uri + "/time", "--observe", "2", "--oscore", clientCtx, "-B", "5");
        Assert.True(observe.ExitCode == 0, observe.Out + observe.Error);
        Assert.Equal(2, observe.Out.Split("2.05 Content").Length - 1);

        // The client's sequence number survives between runs (RFC 8613 B.1.1), so no run repeats a nonce.
        Assert.True(long.Parse(File.ReadAllText(clientCtx + ".seq"), System.Globalization.CultureInfo.InvariantCulture) >= 4);

        CliRunner.Result served = await server;
        Assert.Equal(0, served.ExitCode);
        Assert.Contains("with OSCORE", served.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"recipient_id\":\"01\",\"master_secret\":\"00\"}", "missing field \"sender_id\"")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"0g\"}", "\"master_secret\" is not valid hex")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"00\",\"alg\":\"AES-GCM-96\"}", "\"alg\" \"AES-GCM-96\" is not supported")]
    [InlineData("{\"sender_id\":\"\",\"recipient_id\":\"01\",\"master_secret\":\"00\",\"replay_window\":100}", "\"replay_window\" 100 must be a multiple of 32 from 32 to 256")]
    [InlineData("not json", "not valid JSON")]
    public void Bad_context_files_exit_2_with_a_clear_message_for_client_and_server(string json, string message)
    {
        string ctx = Write("bad.json", json);
        var client = CliRunner.Run("coap", "get", "coap://127.0.0.1:9/x", "--oscore", ctx);
        Assert.Equal(2, client.ExitCode);
        Assert.Contains("popiot: OSCORE context file '" + ctx + "': " + message, client.Error, StringComparison.Ordinal);
        var server = CliRunner.Run("coap", "serve", "--port", "0", "--duration", "1", "--oscore", ctx);
        Assert.Equal(2, server.ExitCode);
        Assert.Contains(message, server.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, server.Out);
    }

    [Fact]
    public void A_missing_context_file_exits_2()
    {
        var r = CliRunner.Run("coap", "get", "coap://127.0.0.1:9/x", "--oscore", F("absent.json"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("cannot read OSCORE context file", r.Error, StringComparison.Ordinal);
    }
}
