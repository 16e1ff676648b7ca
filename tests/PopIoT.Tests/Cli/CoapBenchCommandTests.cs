using System.Net;
using System.Text.Json;
using PopIoT.Coap;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary><c>popiot bench coap</c>: the shape of its JSON line, never the timings (DESIGN.md §8).</summary>
public sealed class CoapBenchCommandTests : IDisposable
{
    private readonly CoapServer _server = new();
    private readonly string _base;

    public CoapBenchCommandTests()
    {
        CoapDemoResources.Map(_server);
        _base = "coap://127.0.0.1:" + _server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
    }

    public void Dispose() => _server.Dispose();

    [Fact]
    public void Bench_coap_prints_one_json_line_with_throughput_latencies_and_errors()
    {
        var r = CliRunner.Run("bench", "coap", "--target", _base + "/time", "--requests", "300", "--concurrency", "4");
        Assert.Equal(0, r.ExitCode);
        JsonElement line = JsonDocument.Parse(r.Out.Trim()).RootElement;
        Assert.Equal("coap-get", line.GetProperty("bench").GetString());
        Assert.Equal("popiot-client", line.GetProperty("impl").GetString());
        Assert.Equal(300, line.GetProperty("requests").GetInt32());
        Assert.Equal(4, line.GetProperty("concurrency").GetInt32());
        Assert.Equal(300, line.GetProperty("ok").GetInt32());
        Assert.Equal(0, line.GetProperty("errors").GetInt32());
        Assert.True(line.GetProperty("requests_per_s").GetDouble() > 0);
        Assert.True(line.GetProperty("latency_ms_p50").GetDouble() <= line.GetProperty("latency_ms_p99").GetDouble());
    }

    [Theory]
    [InlineData("give --target URI (or --compare-libcoap)", "bench", "coap")]
    [InlineData("--requests must be", "bench", "coap", "--target", "coap://127.0.0.1/x", "--requests", "0")]
    [InlineData("--compare-libcoap starts its own servers", "bench", "coap", "--target", "coap://127.0.0.1/x", "--compare-libcoap")]
    public void Bench_coap_usage_errors(string message, params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
    }
}
