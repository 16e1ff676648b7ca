using System.Text;
using PopIoT.Coap;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>
/// DTLS 1.2 PSK with OpenSSL (a TLS stack nobody here wrote), both directions, held to TLS_PSK_WITH_AES_128_CCM_8:
/// <c>openssl s_client</c> against <c>popiot coap serve --psk-file</c>, and <c>popiot coap</c> against
/// <c>openssl s_server</c>. OpenSSL knows no CoAP: the CoAP messages go through its stdin and stdout as raw records
/// (<see cref="RawCoapExchanges"/>), block-wise transfers message by message. OpenSSL cannot express a PSK identity with a
/// zero byte inside (it takes identities as C strings), so that case is tested against GnuTLS.
/// </summary>
public sealed class DtlsOpensslInteropTests : TempDirectoryTest
{
    internal const string KeyHex = "00112233445566778899aabbccddeeff";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task Openssl_s_client_gets_and_puts_3_KB_blockwise_through_popiot_coap_serve()
    {
        PeerRequirement.Require(DtlsPeers.OpensslMissing);
        using PopiotServe serve = PopiotServe.Start(Dir, ("s_client", KeyHex));
        using StdioPeer client = StdioPeer.Start(
            "openssl", "s_client", "-dtls1_2", "-psk", KeyHex, "-psk_identity", "s_client", "-cipher", DtlsPeers.OpensslCipher,
            "-connect", "127.0.0.1:" + DtlsPeers.Text(serve.DtlsPort), "-quiet", "-nocommands");

        // s_client hands a received record to stdout in pieces of at most 1,024 bytes (its SSL_read size), so the
        // responses it carries here stay below that: Block2 blocks of 512 bytes.
        await ExerciseServeAsync(new RawCoapExchanges(client, stream: false), getSzx: 5);
        serve.AssertRunning();
    }

    /// <summary>
    /// What a raw-record client does against popiot coap serve: GET /time, a 3 KB PUT of /store in 1 KB Block1 blocks and
    /// its GET back in Block2 blocks of 2^(getSzx+4) bytes, the 4 KB /large likewise (RFC 7959), and an observation of
    /// /time (RFC 7641).
    /// </summary>
    internal static async Task ExerciseServeAsync(RawCoapExchanges coap, int getSzx)
    {
        // /time is 20 bytes of text, yyyy-MM-ddTHH:mm:ssZ.
        RawCoap time = await coap.RequestAsync(RawCoap.CodeOf(0, 1), "/time", [], r => r.Payload.Length == 20);
        Assert.Equal("2.05", time.CodeText);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", Encoding.ASCII.GetString(time.Payload));

        byte[] body = ThreeKilobytes("raw records");
        RawCoap stored = await coap.PutBlockwiseAsync("/store", body, szx: 6);
        Assert.True(stored.CodeText is "2.01" or "2.04", "the last block of the PUT: " + stored);
        Assert.Equal(body, await coap.GetBlockwiseAsync("/store", getSzx, body.Length));

        Assert.Equal(CoapDemoResources.LargeBody.ToArray(), await coap.GetBlockwiseAsync("/large", getSzx, CoapDemoResources.LargeSize));

        // /time is observable and notifies every second: two notifications, then the deregistration.
        List<byte[]> times = await coap.ObserveAsync("/time", 2, r => r.Payload.Length == 20);
        Assert.Equal(3, times.Count);
        Assert.All(times, t => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", Encoding.ASCII.GetString(t)));
    }

    [SkippableFact]
    public async Task Popiot_coap_get_reaches_openssl_s_server_intact_and_prints_its_answer()
    {
        PeerRequirement.Require(DtlsPeers.OpensslMissing);
        (StdioPeer server, int port) = await StartServerAsync();
        using StdioPeer _ = server;
        var coap = new RawCoapExchanges(server, stream: false);

        Task<(int Code, string Output, string Error)> get = Task.Run(() => PopIotProcesses.Popiot(
            "coap", "get", "coaps://127.0.0.1:" + DtlsPeers.Text(port) + "/sensors/temp?unit=C", "--psk-identity", "popiot", "--psk", KeyHex));
        RawCoap request = await coap.AnswerAsync(r => RawCoap.AckFor(r, RawCoap.CodeOf(2, 5), "21.5 C"u8.ToArray()));

        // The request as OpenSSL decrypted it: a whole CoAP GET with its path and query, nothing more.
        Assert.Equal(RawCoap.Con, request.Type);
        Assert.Equal("0.01", request.CodeText);
        Assert.Equal("sensors/temp", request.UriPathText);
        Assert.Equal("unit=C", Encoding.UTF8.GetString(request.Option(15)));
        Assert.Empty(request.Payload);

        (int code, string output, string error) = await get.WaitAsync(Limit);
        Assert.True(code == 0, output + error);
        Assert.Contains("2.05 Content", output, StringComparison.Ordinal);
        Assert.Contains("21.5 C", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Popiot_coap_get_observe_takes_notifications_written_through_openssl_s_server()
    {
        PeerRequirement.Require(DtlsPeers.OpensslMissing);
        (StdioPeer server, int port) = await StartServerAsync();
        using StdioPeer _ = server;
        var coap = new RawCoapExchanges(server, stream: false);

        // popiot's output is read as it comes: s_server may read two quick writes of its stdin as one record, so each
        // notification is written only once popiot has printed the one before.
        using StdioPeer get = StdioPeer.Start(
            "dotnet", PopIotProcesses.Cli, "coap", "get", "coaps://127.0.0.1:" + DtlsPeers.Text(port) + "/time", "--observe", "3", "--psk-identity", "popiot", "--psk", KeyHex);
        RawCoap register = await coap.AnswerAsync(r => RawCoap.AckFor(r, RawCoap.CodeOf(2, 5), "n=1"u8.ToArray(), (RawCoap.Observe, RawCoap.Uint(1))));
        Assert.Equal("0.01", register.CodeText);
        Assert.Equal(RawCoap.Uint(0), register.Option(RawCoap.Observe));
        await get.WaitForTextAsync("n=1", Limit);

        // Two NON notifications (RFC 7641 §4.2): the registration's token, a larger Observe value each, new message IDs.
        for (uint n = 2; n <= 3; n++)
        {
            server.Write(new RawCoap(1, RawCoap.CodeOf(2, 5), (ushort)(0x7000 + n), register.Token, [(RawCoap.Observe, RawCoap.Uint(n))], Encoding.ASCII.GetBytes("n=" + n)).Encode());
            await get.WaitForTextAsync("n=" + n, Limit);
        }

        Assert.True(await get.WaitForExitAsync(Limit) == 0, get.OutputText + get.Error);
    }

    [SkippableFact]
    public async Task Popiot_coap_put_and_get_3_KB_blockwise_through_openssl_s_server()
    {
        PeerRequirement.Require(DtlsPeers.OpensslMissing);
        byte[] body = ThreeKilobytes("popiot to openssl");
        string file = F("body.txt");
        File.WriteAllBytes(file, body);

        // Each popiot process is its own DTLS client; s_server serves one association at a time, so one s_server each.
        (StdioPeer putServer, int putPort) = await StartServerAsync();
        using (putServer)
        {
            var coap = new RawCoapExchanges(putServer, stream: false);
            Task<(int Code, string Output, string Error)> put = Task.Run(() => PopIotProcesses.Popiot(
                "coap", "put", "coaps://127.0.0.1:" + DtlsPeers.Text(putPort) + "/store", "-f", file, "--block-size", "1024", "--psk-identity", "popiot", "--psk", KeyHex));
            var received = new List<byte>();
            while (true)
            {
                bool more = false;
                RawCoap block = await coap.AnswerAsync(r =>
                {
                    (uint num, bool m, int szx) = RawCoap.ReadBlock(r.Option(RawCoap.Block1));
                    more = m;
                    return RawCoap.AckFor(r, RawCoap.CodeOf(2, m ? 31 : 4), [], (RawCoap.Block1, RawCoap.Block(num, m, szx)));
                });
                Assert.Equal("0.03", block.CodeText);
                Assert.Equal("store", block.UriPathText);
                (uint n, _, int size) = RawCoap.ReadBlock(block.Option(RawCoap.Block1));
                Assert.Equal(received.Count, (int)n * (16 << size));
                received.AddRange(block.Payload);
                if (!more)
                {
                    break;
                }
            }

            Assert.Equal(body, received.ToArray());
            (int code, string output, string error) = await put.WaitAsync(Limit);
            Assert.True(code == 0, output + error);
            Assert.StartsWith("2.04 Changed", output, StringComparison.Ordinal);
        }

        (StdioPeer getServer, int getPort) = await StartServerAsync();
        using (getServer)
        {
            var coap = new RawCoapExchanges(getServer, stream: false);
            Task<(int Code, string Output, string Error)> get = Task.Run(() => PopIotProcesses.Popiot(
                "coap", "get", "coaps://127.0.0.1:" + DtlsPeers.Text(getPort) + "/store", "--psk-identity", "popiot", "--psk", KeyHex));
            bool more = true;
            while (more)
            {
                await coap.AnswerAsync(r =>
                {
                    // RFC 7959 §2.4: block NUM of size 2^(SZX+4); without Block2 in the request, block 0 at 1024 bytes.
                    (uint num, _, int szx) = r.Has(RawCoap.Block2) ? RawCoap.ReadBlock(r.Option(RawCoap.Block2)) : (0u, false, 6);
                    int size = 16 << szx, offset = (int)num * size;
                    more = offset + size < body.Length;
                    byte[] slice = body.AsSpan(offset, Math.Min(size, body.Length - offset)).ToArray();
                    return RawCoap.AckFor(r, RawCoap.CodeOf(2, 5), slice, (RawCoap.Block2, RawCoap.Block(num, more, szx)));
                });
            }

            (int code, string output, string error) = await get.WaitAsync(Limit);
            Assert.True(code == 0, output + error);
            Assert.Contains(Encoding.ASCII.GetString(body), output.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    /// <summary>3,072 printable bytes: numbered lines, so a block out of place shows.</summary>
    internal static byte[] ThreeKilobytes(string what)
    {
        var sb = new StringBuilder();
        for (int i = 0; sb.Length < 3072; i++)
        {
            sb.Append("line ").Append(i.ToString("000", System.Globalization.CultureInfo.InvariantCulture)).Append(' ').Append(what).Append(": ").Append('x', 30).Append('\n');
        }

        return Encoding.ASCII.GetBytes(sb.ToString(0, 3072));
    }

    // s_server -quiet writes each record it receives to stdout and sends each read of its stdin as one record.
    private static async Task<(StdioPeer Server, int Port)> StartServerAsync()
    {
        int port = CoapPeers.FreePort();
        StdioPeer server = StdioPeer.Start(
            "openssl", "s_server", "-dtls1_2", "-psk", KeyHex, "-cipher", DtlsPeers.OpensslCipher, "-nocert", "-accept", "127.0.0.1:" + DtlsPeers.Text(port), "-quiet");
        await DtlsPeers.WaitBoundAsync(port, server, Limit);
        return (server, port);
    }
}
