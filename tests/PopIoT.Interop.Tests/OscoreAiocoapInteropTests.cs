using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>
/// OSCORE (RFC 8613) between popiot and aiocoap, the reference implementation, in both directions, with and without
/// an ID Context, using the contexts of aiocoap's OSCORE plugtest (contrib/oscore-plugtest/common-context: A/B without,
/// C/D with the ID Context 37cbf3210017a2d3; B and D share Recipient ID and keys, so only the 'kid context' tells them
/// apart, RFC 8613 §5.1). Each popiot run is a separate process, as a person would start it.
/// </summary>
public sealed class OscoreAiocoapInteropTests : TempDirectoryTest
{
    private static string Cli => Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll");

    private static string PlugtestContext(string name) =>
        Path.Combine(AiocoapPeer.SourceDir!, "contrib", "oscore-plugtest", "common-context", name);

    // One of aiocoap's plugtest contexts (settings.json + secret.json) as a popiot CTX.json, with a fresh .seq.
    private string PopiotContext(string plugtestName)
    {
        JsonNode settings = JsonNode.Parse(File.ReadAllText(Path.Combine(PlugtestContext(plugtestName), "settings.json")))!;
        JsonNode secret = JsonNode.Parse(File.ReadAllText(Path.Combine(PlugtestContext(plugtestName), "secret.json")))!;
        var ctx = new JsonObject
        {
            ["sender_id"] = (string)settings["sender-id_hex"]!,
            ["recipient_id"] = (string)settings["recipient-id_hex"]!,
            ["master_secret"] = (string)secret["secret_hex"]!,
            ["master_salt"] = (string)secret["salt_hex"]!,
            ["id_context"] = settings["id-context_hex"] is JsonNode idc ? (string)idc! : null,
            ["alg"] = (string)settings["algorithm"]!,
        };
        string path = F("ctx-" + plugtestName + ".json");
        File.WriteAllText(path, ctx.ToJsonString());
        File.WriteAllText(path + ".seq", "0\n");
        return path;
    }

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    private static (int Code, string Output, string Error) Popiot(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet", [Cli, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process p = Process.Start(info)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "popiot did not exit within 60 s");
        return (p.ExitCode, output, err.Result);
    }

    // Starts a long-running process and waits for the line that says it listens; the rest of its output is kept.
    private sealed class Background : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly Task _reader;

        public Background(ProcessStartInfo info, string ready)
        {
            _process = Process.Start(info)!;
            var seen = new TaskCompletionSource();
            _process.ErrorDataReceived += (_, e) => Append(e.Data);
            _process.BeginErrorReadLine();
            _reader = Task.Run(() =>
            {
                string? line;
                while ((line = _process.StandardOutput.ReadLine()) != null)
                {
                    Append(line);
                    if (line.Contains(ready, StringComparison.Ordinal))
                    {
                        seen.TrySetResult();
                    }
                }

                seen.TrySetResult();
            });
            Assert.True(seen.Task.Wait(TimeSpan.FromSeconds(30)) && !_process.HasExited, "'" + ready + "' did not appear within 30 s: " + Output);
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(10_000);
            _reader.Wait(TimeSpan.FromSeconds(10));
            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line != null)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                }
            }
        }
    }

    [SkippableFact]
    public void Popiot_client_against_aiocoaps_oscore_plugtest_server_with_and_without_id_context()
    {
        PeerRequirement.Require(AiocoapPeer.Missing());
        int port = FreeUdpPort();
        string server = "coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        using var aiocoap = new Background(
            AiocoapPeer.StartInfo(Path.Combine(AiocoapPeer.ScriptsDir, "aiocoap_oscore_server.py"), "--bind", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), F("aiocoap-contexts")),
            "Plugtest server ready.");
        string a = PopiotContext("a"), c = PopiotContext("c");

        // Plugtest test 1 (context A, no ID Context) and test 2 (context C): aiocoap holds B and D with the same
        // Recipient ID; only the 'kid context' lets it pick D (RFC 8613 §6.1).
        foreach (string ctx in new[] { a, c })
        {
            var hello = Popiot("coap", "get", server + "/oscore/hello/1", "--oscore", ctx, "-B", "20");
            Assert.True(hello.Code == 0, ctx + ": " + hello.Output + hello.Error);
            Assert.StartsWith("2.05 Content", hello.Output, StringComparison.Ordinal);
            Assert.EndsWith("Hello World!", hello.Output.TrimEnd(), StringComparison.Ordinal);
        }

        // Test 3: a Uri-Query inside OSCORE; the response carries ETag 0x2b.
        var query = Popiot("coap", "get", server + "/oscore/hello/2?first=1", "--oscore", c, "-B", "20");
        Assert.True(query.Code == 0, query.Output + query.Error);
        Assert.Contains("ETag: 0x2b", query.Output, StringComparison.Ordinal);

        // Test 8: POST with Content-Format 0 and payload 0x4a.
        var post = Popiot("coap", "post", server + "/oscore/hello/6", "--payload-hex", "4a", "-t", "0", "--oscore", c, "-B", "20");
        Assert.True(post.Code == 0, post.Output + post.Error);
        Assert.StartsWith("2.04 Changed", post.Output, StringComparison.Ordinal);

        // Test 9: PUT with If-Match 0x7b; test 10: PUT with If-None-Match, answered 4.12 by the plugtest resource.
        var ifMatch = Popiot("coap", "put", server + "/oscore/hello/7", "-e", "z", "-t", "0", "--if-match", "7b", "--oscore", c, "-B", "20");
        Assert.True(ifMatch.Code == 0, ifMatch.Output + ifMatch.Error);
        Assert.StartsWith("2.04 Changed", ifMatch.Output, StringComparison.Ordinal);
        var ifNoneMatch = Popiot("coap", "put", server + "/oscore/hello/7", "--payload-hex", "8a", "-t", "0", "--if-none-match", "--oscore", c, "-B", "20");
        Assert.Equal(1, ifNoneMatch.Code);
        Assert.StartsWith("4.12 Precondition Failed", ifNoneMatch.Output, StringComparison.Ordinal);

        // Test 11: DELETE.
        var delete = Popiot("coap", "delete", server + "/oscore/test", "--oscore", a, "-B", "20");
        Assert.True(delete.Code == 0, delete.Output + delete.Error);
        Assert.StartsWith("2.02 Deleted", delete.Output, StringComparison.Ordinal);

        // RFC 7959 §2.7: a POST whose body and response both go in 64-byte blocks, protected (inner blocks, each its own
        // OSCORE request) and in plain CoAP; aiocoap answers a block request whose options differ with 4.08.
        string body = string.Concat(Enumerable.Range(0, 60).Select(i => "block " + i.ToString("00", CultureInfo.InvariantCulture) + " of the echoed body;\n"));
        File.WriteAllText(F("body.txt"), body);
        foreach (string[] protection in new[] { new[] { "--oscore", a }, Array.Empty<string>() })
        {
            var echo = Popiot(["coap", "post", server + "/echo", "-f", F("body.txt"), "-t", "0", "-b", "64", "-B", "30", .. protection]);
            Assert.True(echo.Code == 0, echo.Output + echo.Error);
            Assert.StartsWith("2.04 Changed", echo.Output, StringComparison.Ordinal);
            Assert.EndsWith(body.TrimEnd(), echo.Output.TrimEnd(), StringComparison.Ordinal);
        }

        // The plugtest resources check the options they received and print the verdict.
        Assert.Contains("Additional verify passed", aiocoap.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Additional verify failed", aiocoap.Output, StringComparison.Ordinal);
    }

    // A context pair for an AEAD algorithm as aiocoap folders (settings.json + secret.json): the client side's folder and
    // the server side's, with Sender/Recipient IDs of their own so aiocoap's server finds it by 'kid' (RFC 8613 §8.2).
    private static void AiocoapContext(string dir, string algorithm, string senderId, string recipientId)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "settings.json"), new JsonObject
        {
            ["algorithm"] = algorithm,
            ["sender-id_hex"] = senderId,
            ["recipient-id_hex"] = recipientId,
        }.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "secret.json"), new JsonObject
        {
            ["secret_hex"] = "0f0e0d0c0b0a09080706050403020100",
            ["salt_hex"] = "a0a1a2a3",
        }.ToJsonString());
    }

    private string PopiotContextFor(string name, string algorithm, string senderId, string recipientId)
    {
        string path = F(name);
        File.WriteAllText(path, new JsonObject
        {
            ["sender_id"] = senderId,
            ["recipient_id"] = recipientId,
            ["master_secret"] = "0f0e0d0c0b0a09080706050403020100",
            ["master_salt"] = "a0a1a2a3",
            ["alg"] = algorithm,
        }.ToJsonString());
        File.WriteAllText(path + ".seq", "0\n");
        return path;
    }

    [SkippableTheory]
    [InlineData("A128GCM", "a1")]
    [InlineData("A256GCM", "a3")]
    [InlineData("ChaCha20/Poly1305", "c4")]
    public void Oscore_with_aes_gcm_and_chacha20_poly1305_both_ways_with_aiocoap(string algorithm, string clientId)
    {
        PeerRequirement.Require(AiocoapPeer.Missing());
        Skip.IfNot(
            algorithm.StartsWith("ChaCha", StringComparison.Ordinal) ? System.Security.Cryptography.ChaCha20Poly1305.IsSupported : System.Security.Cryptography.AesGcm.IsSupported,
            "this platform has no " + algorithm);

        // popiot's client against aiocoap's server.
        int port = FreeUdpPort();
        string aiocoapServer = "coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        AiocoapContext(Path.Combine(F("aiocoap-contexts"), "alg"), algorithm, "02", clientId);
        using (var aiocoap = new Background(
            AiocoapPeer.StartInfo(Path.Combine(AiocoapPeer.ScriptsDir, "aiocoap_oscore_server.py"), "--bind", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), F("aiocoap-contexts")),
            "Plugtest server ready."))
        {
            string ctx = PopiotContextFor("client.json", algorithm, clientId, "02");
            var hello = Popiot("coap", "get", aiocoapServer + "/oscore/hello/1", "--oscore", ctx, "-B", "20");
            Assert.True(hello.Code == 0, hello.Output + hello.Error + aiocoap.Output);
            Assert.EndsWith("Hello World!", hello.Output.TrimEnd(), StringComparison.Ordinal);
            var echo = Popiot("coap", "post", aiocoapServer + "/echo", "-e", "sealed with " + algorithm, "-t", "0", "--oscore", ctx, "-B", "20");
            Assert.True(echo.Code == 0, echo.Output + echo.Error);
            Assert.EndsWith("sealed with " + algorithm, echo.Output.TrimEnd(), StringComparison.Ordinal);
        }

        // aiocoap's client against popiot's server.
        port = FreeUdpPort();
        string popiotServer = "coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        string serverCtx = PopiotContextFor("server.json", algorithm, "02", clientId);
        using var popiot = new Background(
            new ProcessStartInfo("dotnet", [Cli, "coap", "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--oscore", serverCtx, "--duration", "60"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
            "listening on");
        string clientDir = F("aiocoap-client");
        AiocoapContext(clientDir, algorithm, clientId, "02");
        string credentials = F("credentials.json");
        File.WriteAllText(credentials, new JsonObject { [popiotServer + "/*"] = new JsonObject { ["oscore"] = new JsonObject { ["basedir"] = clientDir + "/" } } }.ToJsonString());
        var post = AiocoapPeer.Run(TimeSpan.FromSeconds(60), "-m", "aiocoap.cli.client", "--credentials", credentials, "-m", "POST", "--payload", "aiocoap with " + algorithm, popiotServer + "/echo");
        Assert.True(post.Code == 0, post.Output + post.Error);
        Assert.Equal("aiocoap with " + algorithm, post.Output.Trim());
    }

    [SkippableTheory]
    [InlineData("b", "a")]
    [InlineData("d", "c")]
    public void Aiocoaps_oscore_client_against_popiot_coap_serve(string serverContext, string clientContext)
    {
        PeerRequirement.Require(AiocoapPeer.Missing());
        int port = FreeUdpPort();
        string server = "coap://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        string ctx = PopiotContext(serverContext);
        using var popiot = new Background(
            new ProcessStartInfo("dotnet", [Cli, "coap", "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--oscore", ctx, "--duration", "60"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
            "listening on");

        // aiocoap's client context: a writable copy of the plugtest's (it keeps its sequence numbers there).
        string clientDir = F("aiocoap-client-" + clientContext);
        Directory.CreateDirectory(clientDir);
        foreach (string file in Directory.GetFiles(PlugtestContext(clientContext)))
        {
            File.Copy(file, Path.Combine(clientDir, Path.GetFileName(file)));
        }

        string credentials = F("credentials.json");
        File.WriteAllText(credentials, new JsonObject { [server + "/*"] = new JsonObject { ["oscore"] = new JsonObject { ["basedir"] = clientDir + "/" } } }.ToJsonString());

        // popiot's server starts with its replay window unknown and challenges the first request with Echo (RFC 8613
        // Appendix B.1.2); aiocoap repeats it.
        var time = AiocoapPeer.Run(TimeSpan.FromSeconds(60), "-m", "aiocoap.cli.client", "--credentials", credentials, server + "/time");
        Assert.True(time.Code == 0, time.Output + time.Error);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", time.Output.Trim());

        var echo = AiocoapPeer.Run(TimeSpan.FromSeconds(60), "-m", "aiocoap.cli.client", "--credentials", credentials, "-m", "POST", "--payload", "hello from aiocoap", server + "/echo");
        Assert.True(echo.Code == 0, echo.Output + echo.Error);
        Assert.Equal("hello from aiocoap", echo.Output.Trim());

        // /large is 4096 bytes: Block2 inside OSCORE (RFC 8613 §4.1.3.4.1).
        var large = AiocoapPeer.Run(TimeSpan.FromSeconds(60), "-m", "aiocoap.cli.client", "--credentials", credentials, server + "/large");
        Assert.True(large.Code == 0, large.Output + large.Error);
        Assert.Contains("line 0000: ", large.Output, StringComparison.Ordinal);
        Assert.Contains("line 0063: ", large.Output, StringComparison.Ordinal);

        // Without the credentials aiocoap sends plain CoAP, which popiot's OSCORE server refuses.
        var plain = AiocoapPeer.Run(TimeSpan.FromSeconds(60), "-m", "aiocoap.cli.client", server + "/time");
        Assert.DoesNotMatch(@"^\d{4}-\d\d-\d\dT", plain.Output.Trim());
        Assert.Contains("4.01", plain.Output + plain.Error, StringComparison.Ordinal);

        Assert.Contains("with OSCORE", popiot.Output, StringComparison.Ordinal);
    }
}
