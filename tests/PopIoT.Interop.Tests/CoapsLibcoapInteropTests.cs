using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using PopIoT.Coap;
using PopIoT.Interop.Tests.Peers;
using Xunit;

namespace PopIoT.Interop.Tests;

/// <summary>
/// CoAP over DTLS with a pre-shared key (RFC 7252 §9, RFC 4279, TLS_PSK_WITH_AES_128_CCM_8) between popiot and libcoap
/// 4.3's DTLS builds, both directions, as separate processes: <c>coap-client-openssl</c> and <c>coap-client-gnutls</c>
/// (<c>-u</c>, <c>-k</c>) against <c>popiot coap serve --psk-file</c>; <c>popiot coap … coaps://</c> against
/// <c>coap-server-openssl</c> and <c>coap-server-gnutls</c> (<c>-k</c>, <c>-h</c>). Each with a GET, a block-wise
/// 3 KiB PUT read back, and observe (docs/dtls.md).
/// </summary>
public sealed partial class CoapsLibcoapInteropTests : IDisposable
{
    // libcoap takes the key as text (-k); popiot as hex: the same 9 bytes.
    private const string Identity = "popiot-interop";
    private const string KeyText = "secretKey";
    private static readonly string KeyHex = Convert.ToHexStringLower(Encoding.ASCII.GetBytes(KeyText));
    private readonly string _dir = Directory.CreateTempSubdirectory("popiot-coaps-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [SkippableTheory]
    [InlineData("coap-client-openssl")]
    [InlineData("coap-client-gnutls")]
    public async Task Libcoap_client_against_popiot_coap_serve(string client)
    {
        PeerRequirement.Require(Missing(client));
        string psks = Path.Combine(_dir, "psks.json");
        File.WriteAllText(psks, "{\"" + Identity + "\": \"" + KeyHex + "\", \"other\": \"00112233\"}");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(psks, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        using Process serve = PopIotProcesses.Start("dotnet", PopIotProcesses.Cli, "coap", "serve", "--port", "0", "--psk-file", psks, "--duration", "120");
        try
        {
            string line = await serve.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("popiot coap serve exited: " + serve.StandardError.ReadToEnd());
            Match at = CoapsAddress().Match(line);
            Assert.True(at.Success, line);
            string b = at.Value;
            string[] psk = ["-u", Identity, "-k", KeyText, "-B", "10"];

            var time = await CoapPeers.RunAsync(client, ["-m", "get", .. psk, b + "/time"], TimeSpan.FromSeconds(30));
            Assert.True(time.ExitCode == 0, time.Stderr);
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", time.Text);

            byte[] body = Body(3 * 1024);
            string file = Path.Combine(_dir, "body");
            await File.WriteAllBytesAsync(file, body);
            var put = await CoapPeers.RunAsync(client, ["-m", "put", "-f", file, "-b", "1024", .. psk, b + "/store"], TimeSpan.FromSeconds(30));
            Assert.True(put.ExitCode == 0, put.Stderr);
            var get = await CoapPeers.RunAsync(client, ["-m", "get", "-b", "1024", .. psk, b + "/store"], TimeSpan.FromSeconds(30));
            Assert.True(get.ExitCode == 0, get.Stderr);
            Assert.Equal(body, get.Stdout.AsSpan(0, Math.Min(get.Stdout.Length, body.Length)).ToArray());

            // popiot coap serve notifies /time observers every second (RFC 7641).
            var observed = await CoapPeers.RunAsync(client, ["-m", "get", "-s", "3", .. psk, b + "/time"], TimeSpan.FromSeconds(30));
            Assert.True(observed.ExitCode == 0, observed.Stderr);
            int count = DateLine().Matches(observed.Text).Count;
            Assert.True(count >= 3, "the first response and notifications, got " + count + ": " + observed.Text);

            // A key the server does not hold for the identity: no response, libcoap gives up.
            var wrong = await CoapPeers.RunAsync(client, ["-m", "get", "-u", Identity, "-k", "wrongKey!", "-B", "3", b + "/time"], TimeSpan.FromSeconds(30));
            Assert.DoesNotMatch(@"\d{4}-\d\d-\d\dT", wrong.Text);
        }
        finally
        {
            PopIotProcesses.Stop(serve);
        }
    }

    [SkippableTheory]
    [InlineData("coap-server-openssl", "")]
    [InlineData("coap-server-openssl", "CoAP")]
    [InlineData("coap-server-gnutls", "")]
    [InlineData("coap-server-gnutls", "CoAP")]
    public async Task Popiot_coap_against_libcoap_server(string server, string hint)
    {
        PeerRequirement.Require(Missing(server));
        int port = FreePortPair();
        using Process peer = PopIotProcesses.StartDrained(server, "-A", "127.0.0.1", "-p", PopIotProcesses.Text(port), "-k", KeyText, "-h", hint, "-d", "10", "-v", "0");
        try
        {
            await WaitUntilAnswering(peer, port);
            string b = "coaps://127.0.0.1:" + PopIotProcesses.Text(port + 1);
            string[] psk = ["--psk-identity", Identity, "--psk", KeyHex, "--timeout", "15"];

            var time = PopIotProcesses.Popiot(["coap", "get", b + "/time", .. psk]);
            Assert.True(time.Code == 0, time.Error);
            Assert.StartsWith("2.05 Content", time.Output, StringComparison.Ordinal);

            // coap-server -d: a PUT creates the resource; 3 KiB go in three Block1 blocks of 1024 (RFC 7959).
            string body = Encoding.ASCII.GetString(Body(3 * 1024));
            string file = Path.Combine(_dir, "body");
            await File.WriteAllTextAsync(file, body);
            var put = PopIotProcesses.Popiot(["coap", "put", b + "/popiot", "-f", file, "-t", "text", "-v", .. psk]);
            Assert.True(put.Code == 0, put.Error + put.Output);
            Assert.StartsWith("2.01 Created", put.Output, StringComparison.Ordinal);
            Assert.Contains("c:PUT", put.Error, StringComparison.Ordinal);
            Assert.Contains("Block1:2/_/1024", put.Error, StringComparison.Ordinal);
            var get = PopIotProcesses.Popiot(["coap", "get", b + "/popiot", "--block-size", "512", .. psk]);
            Assert.True(get.Code == 0, get.Error);
            Assert.EndsWith(body, get.Output.TrimEnd(), StringComparison.Ordinal);

            // coap-server's /time is observable and notifies every second.
            var observed = PopIotProcesses.Popiot(["coap", "get", b + "/time", "--observe", "2", .. psk]);
            Assert.True(observed.Code == 0, observed.Error);
            Assert.Equal(2, observed.Output.Split('\n').Count(l => l.StartsWith("Observe: ", StringComparison.Ordinal)));

            var wrong = PopIotProcesses.Popiot(["coap", "get", b + "/time", "--psk-identity", Identity, "--psk", "00112233", "--timeout", "4"]);
            Assert.Equal(1, wrong.Code);
            Assert.Contains("DTLS handshake with 127.0.0.1:" + PopIotProcesses.Text(port + 1) + " failed", wrong.Error, StringComparison.Ordinal);
        }
        finally
        {
            PopIotProcesses.Stop(peer);
        }
    }

    private static string? Missing(string program) =>
        PeerRequirement.FindOnPath(program) == null ? "libcoap 4.3's " + program + " is not on PATH (apt-get install libcoap3-bin)" : null;

    private static byte[] Body(int n)
    {
        // Printable, so libcoap's output compares byte for byte.
        var b = new byte[n];
        var r = SeededRandomSource.NewRandom(n);
        for (int i = 0; i < n; i++)
        {
            b[i] = (byte)('a' + r.Next(26));
        }

        return b;
    }

    // libcoap's coap-server listens for coap on PORT and coaps on PORT + 1: both must be free.
    private static int FreePortPair()
    {
        for (int i = 0; i < 20; i++)
        {
            int port = PopIotProcesses.FreeUdpPort();
            if (port >= 65535)
            {
                continue;
            }

            try
            {
                using var probe = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, port + 1));
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
            }
        }

        throw new InvalidOperationException("no two adjacent free UDP ports");
    }

    // libcoap prints nothing when ready: it is when its plain port answers /.well-known/core (RFC 6690 §4).
    private static async Task WaitUntilAnswering(Process peer, int port)
    {
        var waited = Stopwatch.StartNew();
        await using var probe = new CoapClient(new CoapClientOptions { Timeout = TimeSpan.FromMilliseconds(500) });
        while (true)
        {
            try
            {
                await probe.GetAsync(new Uri("coap://127.0.0.1:" + PopIotProcesses.Text(port) + "/.well-known/core"));
                return;
            }
            catch (Exception e) when ((e is TimeoutException or CoapException) && !peer.HasExited && waited.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(50);
            }
        }
    }

    [GeneratedRegex(@"coaps://127\.0\.0\.1:\d+")]
    private static partial Regex CoapsAddress();

    [GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")]
    private static partial Regex DateLine();
}
