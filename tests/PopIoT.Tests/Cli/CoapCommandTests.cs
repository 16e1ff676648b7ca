using System.Net;
using PopIoT.Coap;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary><c>popiot coap ...</c> in-process against our server on 127.0.0.1 with an ephemeral port.</summary>
public sealed class CoapCommandTests : IDisposable
{
    private readonly CoapServer _server = new();
    private readonly string _base;

    public CoapCommandTests()
    {
        CoapDemoResources.Map(_server);
        _base = "coap://127.0.0.1:" + _server.Start(new IPEndPoint(IPAddress.Loopback, 0)).Port;
    }

    public void Dispose() => _server.Dispose();

    [Fact]
    public void Get_prints_code_options_and_payload()
    {
        var r = CliRunner.Run("coap", "get", _base + "/time");
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Out.Split(Environment.NewLine);
        Assert.Equal("2.05 Content", lines[0]);
        Assert.Equal("Content-Format: 0 (text/plain)", lines[1]);
        Assert.Equal("", lines[2]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", lines[3]);
    }

    [Fact]
    public void Put_get_post_delete_round_trip_with_each_payload_form()
    {
        Assert.Equal("2.01 Created", CliRunner.Run("coap", "put", _base + "/store", "--payload", "hello", "--content-format", "0").Out.Trim());
        Assert.EndsWith("hello", CliRunner.Run("coap", "get", _base + "/store").Out.Trim(), StringComparison.Ordinal);
        Assert.Equal("2.04 Changed", CliRunner.Run("coap", "put", _base + "/store", "--payload-hex", "a10102", "-t", "cbor").Out.Trim());
        var cbor = CliRunner.Run("coap", "get", _base + "/store", "--accept", "60");
        Assert.Contains("Content-Format: 60 (application/cbor)", cbor.Out, StringComparison.Ordinal);
        Assert.EndsWith("a10102", cbor.Out.Trim(), StringComparison.Ordinal);

        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from a file");
            var post = CliRunner.Run("coap", "post", _base + "/echo", "--payload-file", file, "--non");
            Assert.Equal(0, post.ExitCode);
            Assert.EndsWith("from a file", post.Out.Trim(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }

        var stdin = CliRunner.RunWithStdin("piped", "coap", "post", _base + "/echo", "-f", "-");
        Assert.EndsWith("piped", stdin.Out.Trim(), StringComparison.Ordinal);

        Assert.Equal("2.02 Deleted", CliRunner.Run("coap", "delete", _base + "/store").Out.Trim());
        var gone = CliRunner.Run("coap", "get", _base + "/store");
        Assert.Equal(1, gone.ExitCode);
        Assert.Equal("4.04 Not Found", gone.Out.Trim());
    }

    [Fact]
    public async Task Block_size_fetches_large_block_wise_and_observe_counts_notifications()
    {
        var r = CliRunner.Run("coap", "get", _base + "/large", "--block-size", "64");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Block2: 63/0/64", r.Out, StringComparison.Ordinal);
        Assert.Contains("line 0063: ", r.Out, StringComparison.Ordinal);

        using var stop = new CancellationTokenSource();
        Task ticker = CoapDemoResources.RunTimeTickerAsync(_server, TimeSpan.FromMilliseconds(100), stop.Token);
        var o = CliRunner.Run("coap", "get", _base + "/time", "--observe", "3", "--timeout", "10");
        stop.Cancel();
        Assert.Equal(0, o.ExitCode);
        Assert.Equal(3, o.Out.Split(Environment.NewLine).Count(l => l.StartsWith("Observe: ", StringComparison.Ordinal)));
        await ticker.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("only coap:// and coaps:// URIs are supported", "coap", "get", "http://x/")]
    [InlineData("--block-size must be a power of two from 16 to 1024", "coap", "get", "coap://127.0.0.1/x", "--block-size", "100")]
    [InlineData("give at most one of --payload, --payload-hex and --payload-file", "coap", "put", "coap://127.0.0.1/x", "-e", "a", "--payload-hex", "00")]
    [InlineData("--con and --non exclude each other", "coap", "get", "coap://127.0.0.1/x", "--con", "--non")]
    [InlineData("--observe takes a COUNT of at least 1 and works with get only", "coap", "put", "coap://127.0.0.1/x", "--observe", "2")]
    [InlineData("--content-format must be", "coap", "put", "coap://127.0.0.1/x", "-t", "nonsense")]
    public void Usage_errors_exit_2_with_a_message(string message, params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void No_server_is_exit_1_after_the_timeout()
    {
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var r = CliRunner.Run("coap", "get", "coap://127.0.0.1:" + ((IPEndPoint)silent.LocalEndPoint!).Port + "/x", "--timeout", "0.3");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no response", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_runs_for_the_duration_and_answers()
    {
        int port;
        using (var probe = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        Task<CliRunner.Result> serve = Task.Run(() => CliRunner.Run("coap", "serve", "--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--duration", "5"));
        await ServerStart.AnswerAsync(new Uri("coap://127.0.0.1:" + port + "/echo"), serve);
        CliRunner.Result get = CliRunner.Run("coap", "post", "coap://127.0.0.1:" + port + "/echo", "-e", "up");

        Assert.True(get.ExitCode == 0, get.Out + get.Error);
        Assert.EndsWith("up", get.Out.Trim(), StringComparison.Ordinal);
        CliRunner.Result served = await serve.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, served.ExitCode);
        Assert.Contains("listening on coap://127.0.0.1:" + port, served.Out, StringComparison.Ordinal);
        Assert.Contains("stopped after", served.Out, StringComparison.Ordinal);
    }
}
