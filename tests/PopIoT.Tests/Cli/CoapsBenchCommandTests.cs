using System.Net;
using System.Text.Json;
using PopIoT.Coap;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary><c>popiot bench coap --target coaps://…</c>: one DTLS session per client, the JSON line's shape, never the timings.</summary>
public sealed class CoapsBenchCommandTests : IDisposable
{
    private const string KeyHex = "00112233445566778899aabbccddeeff";
    private readonly DtlsPskTable _psks = new();
    private readonly CoapServer _server = new();
    private readonly DtlsCoapTransport _dtls;
    private readonly string _base;

    public CoapsBenchCommandTests()
    {
        Assert.True(_psks.TryAdd("bench"u8, Convert.FromHexString(KeyHex)));
        CoapDemoResources.Map(_server);
        _dtls = new DtlsCoapTransport(new UdpCoapTransport(new IPEndPoint(IPAddress.Loopback, 0)), new DtlsCoapTransportOptions { PskStore = _psks });
        _base = "coaps://127.0.0.1:" + _server.Start(_dtls).Port;
    }

    public void Dispose()
    {
        _server.Dispose();
        _psks.Dispose();
    }

    [Fact]
    public void Bench_coaps_opens_one_session_per_client_and_prints_the_json_line()
    {
        var r = CliRunner.Run("bench", "coap", "--target", _base + "/time", "--requests", "200", "--concurrency", "3", "-u", "bench", "-k", KeyHex);
        Assert.Equal(0, r.ExitCode);
        JsonElement line = JsonDocument.Parse(r.Out.Trim()).RootElement;
        Assert.Equal("coaps://127.0.0.1:" + _base.Split(':')[^1] + "/time", line.GetProperty("target").GetString());
        Assert.Equal(200, line.GetProperty("ok").GetInt32());
        Assert.Equal(0, line.GetProperty("errors").GetInt32());

        // Three handshakes, each past its cookie (RFC 6347 §4.2.1), and no other.
        Assert.Equal(3, _dtls.Inspect(e => e.CookiesSent));
    }

    [Theory]
    [InlineData("coaps:// needs --psk-identity and --psk", "bench", "coap", "--target", "coaps://127.0.0.1/time")]
    [InlineData("--psk-identity and --psk apply to coaps:// URIs", "bench", "coap", "--target", "coap://127.0.0.1/time", "-u", "a", "-k", "00")]
    [InlineData("--compare-libcoap measures plain CoAP", "bench", "coap", "--compare-libcoap", "-u", "a", "-k", "00")]
    public void Bench_coaps_usage_errors(string message, params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
    }
}
