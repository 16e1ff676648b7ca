using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PopIoT.Coap;
using PopIoT.Core.Coap;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary>
/// OSCORE with the AEAD algorithms of RFC 8613 §3.2.1 beyond AES-CCM on the desktop: A128GCM (1), A256GCM (3) and
/// ChaCha20/Poly1305 (24) (RFC 9053 §4.1, §4.3), where the platform has them. The algorithm comes from the context
/// file on each side, never from a message.
/// </summary>
public sealed class CoapOscoreAlgorithmCommandTests : TempDirectoryTest
{
    private const string Secret = "0102030405060708090a0b0c0d0e0f10";

    private string Context(string name, string sender, string recipient, string alg)
    {
        string path = F(name);
        File.WriteAllText(path, "{\"sender_id\":\"" + sender + "\",\"recipient_id\":\"" + recipient + "\",\"master_secret\":\"" + Secret
            + "\",\"master_salt\":\"9e7ca92223786340\",\"id_context\":\"37cbf3210017a2d3\",\"alg\":" + alg + "}");
        File.WriteAllText(path + ".seq", "0\n");
        return path;
    }

    private static bool Supported(string alg) => alg.Contains("ChaCha", StringComparison.Ordinal) || alg == "24"
        ? System.Security.Cryptography.ChaCha20Poly1305.IsSupported
        : System.Security.Cryptography.AesGcm.IsSupported;

    private static async Task<Task<CliRunner.Result>> ServeAsync(string ctx, int port)
    {
        Task<CliRunner.Result> server = Task.Run(() => CliRunner.Run("coap", "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--duration", "10", "--oscore", ctx));
        await ServerStart.AnswerAsync(new Uri("coap://127.0.0.1:" + port + "/time"), server);
        return server;
    }

    [SkippableTheory]
    [InlineData("\"A128GCM\"")]
    [InlineData("3")]
    [InlineData("\"ChaCha20/Poly1305\"")]
    public async Task Client_and_server_talk_oscore_with_the_algorithm_of_their_context_files(string alg)
    {
        Skip.IfNot(Supported(alg.Trim('"')), "the platform has no " + alg);
        int port = CoapRequestOptionsCommandTests.FreePort();
        Task<CliRunner.Result> server = await ServeAsync(Context("server.json", "01", "", alg), port);
        string client = Context("client.json", "", "01", alg);
        string uri = "coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);

        var put = CliRunner.Run("coap", "put", uri + "/store", "-e", "sealed with " + alg, "--oscore", client, "-B", "10");
        Assert.True(put.ExitCode == 0, put.Out + put.Error);
        var get = CliRunner.Run("coap", "get", uri + "/store", "--oscore", client, "-B", "10");
        Assert.True(get.ExitCode == 0, get.Out + get.Error);
        Assert.EndsWith("sealed with " + alg, get.Out.TrimEnd(), StringComparison.Ordinal);
        var large = CliRunner.Run("coap", "get", uri + "/large", "--oscore", client, "-B", "10");
        Assert.Contains("line 0063: ", large.Out, StringComparison.Ordinal);

        // The same keys under AES-CCM on the client (with sequence numbers the server has not seen, so the replay check
        // passes): the server's context pins its algorithm, so the 8-byte CCM tag does not even make a COSE object for
        // it (4.02, RFC 8613 §8.2 step 2) or nothing decrypts (4.00, step 6); no data either way.
        var other = CliRunner.Run("coap", "get", uri + "/store", "--oscore", Context("ccm.json", "", "01", "10"), "--seq", "1000", "-B", "10");
        Assert.Equal(1, other.ExitCode);
        Assert.Matches("^4\\.0[02] ", other.Out);
        Assert.DoesNotContain("sealed", other.Out, StringComparison.Ordinal);
        Assert.Equal(0, (await server).ExitCode);
    }

    [Fact]
    public void A_seven_byte_id_does_not_fit_a_12_byte_nonce_and_exits_2()
    {
        // RFC 8613 §3.3: an ID is at most nonce length − 6 bytes: 7 for AES-CCM (13), 6 for AES-GCM and ChaCha20/Poly1305 (12).
        string ctx = Context("long-id.json", "01020304050607", "", "\"A128GCM\"");
        var r = CliRunner.Run("coap", "get", "coap://127.0.0.1:9/x", "--oscore", ctx);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("at most 6 bytes", r.Error, StringComparison.Ordinal);
    }
}
