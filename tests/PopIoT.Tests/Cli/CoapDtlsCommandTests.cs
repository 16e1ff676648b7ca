using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using PopIoT.Coap;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary>
/// <c>popiot coap … coaps://</c> with <c>--psk-identity</c> and <c>--psk</c> against our DTLS server on 127.0.0.1, the
/// errors of the PSK options and of <c>coap serve --psk-file</c>, and both as processes (docs/dtls.md).
/// </summary>
public sealed partial class CoapDtlsCommandTests : TempDirectoryTest
{
    private const string KeyHex = "00112233445566778899aabbccddeeff";
    private const string ZeroKeyHex = "0102030405060708";
    private readonly DtlsPskTable _psks = new();
    private readonly CoapServer _server = new();
    private readonly string _base;

    public CoapDtlsCommandTests()
    {
        Assert.True(_psks.TryAdd("client1"u8, Convert.FromHexString(KeyHex)));
        Assert.True(_psks.TryAdd(new byte[] { 0x61, 0x00, 0x62, 0x63 }, Convert.FromHexString(ZeroKeyHex)));
        CoapDemoResources.Map(_server);
        var udp = new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0));
        _base = "coaps://127.0.0.1:" + _server.Start(new DtlsCoapTransport(udp, new DtlsCoapTransportOptions { PskStore = _psks })).Port;
    }

    [Fact]
    public async Task Get_put_and_observe_over_coaps()
    {
        var r = CliRunner.Run("coap", "get", _base + "/time", "--psk-identity", "client1", "--psk", KeyHex);
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("2.05 Content", r.Out, StringComparison.Ordinal);

        string body = string.Concat(Enumerable.Range(0, 3072).Select(i => (char)('a' + (i % 26))));
        File.WriteAllText(F("body"), body);
        var put = CliRunner.Run("coap", "put", _base + "/store", "-f", F("body"), "-u", "client1", "-k", KeyHex);
        Assert.Equal(0, put.ExitCode);
        Assert.Contains("Block1: 2/0/1024", put.Out, StringComparison.Ordinal);
        var get = CliRunner.Run("coap", "get", _base + "/store", "-u", "client1", "-k", KeyHex);
        Assert.Equal(0, get.ExitCode);
        Assert.EndsWith(body, get.Out.TrimEnd(), StringComparison.Ordinal);

        using var stop = new CancellationTokenSource();
        Task ticker = CoapDemoResources.RunTimeTickerAsync(_server, TimeSpan.FromMilliseconds(100), stop.Token);
        var o = CliRunner.Run("coap", "get", _base + "/time", "--observe", "3", "--timeout", "10", "-u", "client1", "-k", KeyHex);
        stop.Cancel();
        Assert.Equal(0, o.ExitCode);
        Assert.Equal(3, o.Out.Split(Environment.NewLine).Count(l => l.StartsWith("Observe: ", StringComparison.Ordinal)));
        await ticker.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void An_identity_given_in_hex_with_a_zero_byte_inside_is_sent_whole()
    {
        var r = CliRunner.Run("coap", "get", _base + "/time", "--psk-identity", "hex:61006263", "--psk", ZeroKeyHex);
        Assert.Equal(0, r.ExitCode);

        // Cut at the zero byte, the identity would be "a", which the server does not know.
        var cut = CliRunner.Run("coap", "get", _base + "/time", "--psk-identity", "a", "--psk", ZeroKeyHex, "--timeout", "5");
        Assert.Equal(1, cut.ExitCode);
        Assert.Contains("unknown_psk_identity", cut.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_identity_fails_at_once_with_the_alert_named()
    {
        var sw = Stopwatch.StartNew();
        var r = CliRunner.Run("coap", "get", _base + "/time", "-u", "stranger", "-k", KeyHex);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("DTLS handshake with 127.0.0.1:", r.Error, StringComparison.Ordinal);
        Assert.Contains("failed: alert 115 unknown_psk_identity (the server does not know this PSK identity)", r.Error, StringComparison.Ordinal);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), "the alert ends the request: " + sw.Elapsed);
    }

    [Fact]
    public void A_wrong_key_fails_before_the_timeout_and_names_the_likely_cause()
    {
        var r = CliRunner.Run("coap", "get", _base + "/time", "-u", "client1", "-k", "ffeeddccbbaa99887766554433221100", "--timeout", "3");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("the server answered but did not complete the handshake within 2.7 s: most likely a wrong PSK", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void No_server_fails_with_connection_refused()
    {
        int port;
        using (var probe = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        var r = CliRunner.Run("coap", "get", "coaps://127.0.0.1:" + port + "/time", "-u", "client1", "-k", KeyHex, "--timeout", "10");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("connection refused", r.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coaps:// needs --psk-identity and --psk", "coaps://127.0.0.1/time")]
    [InlineData("--psk-identity and --psk apply to coaps:// URIs", "coap://127.0.0.1/time", "-u", "client1", "-k", KeyHex)]
    [InlineData("--psk-identity and --psk go together", "coaps://127.0.0.1/time", "-u", "client1")]
    [InlineData("--psk: the key must be hex", "coaps://127.0.0.1/time", "-u", "client1", "-k", "xyz")]
    [InlineData("--psk: the key must have 1 to 64 bytes", "coaps://127.0.0.1/time", "-u", "client1", "-k", "")]
    [InlineData("--psk-identity: 'hex:6' is not hex after 'hex:'", "coaps://127.0.0.1/time", "-u", "hex:6", "-k", KeyHex)]
    [InlineData("--psk-identity: a PSK identity must not be empty", "coaps://127.0.0.1/time", "-u", "hex:", "-k", KeyHex)]
    public void Psk_option_errors_are_usage_errors(string message, params string[] args)
    {
        var r = CliRunner.Run(["coap", "get", .. args]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_file_must_be_owner_only()
    {
        File.WriteAllText(F("key"), KeyHex + "\n");
        Chmod(F("key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(0, CliRunner.Run("coap", "get", _base + "/time", "-u", "client1", "-k", "@" + F("key")).ExitCode);

        Chmod(F("key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var open = CliRunner.Run("coap", "get", _base + "/time", "-u", "client1", "-k", "@" + F("key"));
        Assert.Equal(2, open.ExitCode);
        Assert.Contains("holds a secret but is open to the group or others (mode 0644); make it owner-only: chmod 600", open.Error, StringComparison.Ordinal);

        var missing = CliRunner.Run("coap", "get", _base + "/time", "-u", "client1", "-k", "@" + F("nothing"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("cannot use '" + F("nothing") + "'", missing.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"client1\": ", "is not valid JSON")]
    [InlineData("[\"client1\"]", "must hold a JSON object mapping each PSK identity to its key in hex")]
    [InlineData("{}", "names no PSK identity")]
    [InlineData("{\"client1\": \"00112g\"}", "identity \"client1\": the key is not hex")]
    [InlineData("{\"client1\": 42}", "identity \"client1\": the key must be a string of hex digits")]
    [InlineData("{\"client1\": \"\"}", "identity \"client1\": the key is empty")]
    [InlineData("{\"hex:zz\": \"0011\"}", "identity \"hex:zz\": 'hex:zz' is not hex after 'hex:'")]
    [InlineData("{\"a\": \"0011\", \"hex:61\": \"2233\"}", "identity \"hex:61\": the same identity bytes appear twice (hex 61)")]
    [InlineData("{\"big\": \"" + "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00" + "\"}", "identity \"big\": the key has 65 bytes; at most 64")]
    public void Psk_file_errors_name_the_entry(string json, string message)
    {
        File.WriteAllText(F("psks.json"), json);
        Chmod(F("psks.json"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var r = CliRunner.Run("coap", "serve", "--port", "0", "--psk-file", F("psks.json"), "--duration", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--psk-file: '" + F("psks.json") + "'", r.Error, StringComparison.Ordinal);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_readable_psk_file_is_refused()
    {
        File.WriteAllText(F("psks.json"), "{\"client1\": \"" + KeyHex + "\"}");
        Chmod(F("psks.json"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var r = CliRunner.Run("coap", "serve", "--port", "0", "--psk-file", F("psks.json"), "--duration", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("open to the group or others (mode 0640)", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_with_a_psk_file_answers_coap_and_coaps_as_processes()
    {
        File.WriteAllText(F("psks.json"), "{\"client1\": \"" + KeyHex + "\", \"hex:61006263\": \"" + ZeroKeyHex + "\"}");
        Chmod(F("psks.json"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using Process serve = Popiot("coap", "serve", "--port", "0", "--psk-file", F("psks.json"), "--duration", "60");
        try
        {
            string line = serve.StandardOutput.ReadLine() ?? throw new InvalidOperationException("popiot coap serve printed nothing: " + serve.StandardError.ReadToEnd());
            Match coaps = CoapsAddress().Match(line);
            Assert.True(coaps.Success, line);
            Match coap = CoapAddress().Match(line);
            Assert.True(coap.Success, line);

            var (code, output, error) = Wait(Popiot("coap", "put", coaps.Value + "/store", "-e", "over dtls", "-u", "hex:61006263", "-k", ZeroKeyHex));
            Assert.True(code == 0, error);
            Assert.StartsWith("2.01 Created", output, StringComparison.Ordinal);

            // coap and coaps serve the same resources.
            (code, output, error) = Wait(Popiot("coap", "get", coap.Value + "/store"));
            Assert.True(code == 0, error);
            Assert.EndsWith("over dtls", output.TrimEnd(), StringComparison.Ordinal);

            (code, _, error) = Wait(Popiot("coap", "get", coaps.Value + "/store", "-u", "nobody", "-k", KeyHex));
            Assert.Equal(1, code);
            Assert.Contains("unknown_psk_identity", error, StringComparison.Ordinal);
        }
        finally
        {
            serve.Kill();
            serve.WaitForExit(10_000);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _server.Dispose();
            _psks.Dispose();
        }

        base.Dispose(disposing);
    }

    // The owner-only rule for secret files is a Unix permission check (SecretFile.ReadOwnerOnly).
    private static void Chmod(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("these tests set Unix file modes");
        }

        File.SetUnixFileMode(path, mode);
    }

    private static Process Popiot(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll"));
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start)!;
    }

    private static (int Code, string Out, string Err) Wait(Process p)
    {
        using (p)
        {
            Task<string> err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(60_000), "popiot did not exit within 60 s");
            return (p.ExitCode, output, err.Result);
        }
    }

    [GeneratedRegex(@"coaps://127\.0\.0\.1:\d+")]
    private static partial Regex CoapsAddress();

    [GeneratedRegex(@"coap://127\.0\.0\.1:\d+")]
    private static partial Regex CoapAddress();
}
