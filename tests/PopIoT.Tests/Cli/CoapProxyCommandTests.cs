using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary>
/// <c>popiot coap ... --proxy</c> input errors (docs/coap.md, "Through a forward proxy"); the requests through a real
/// proxy are in PopIoT.Interop.Tests (OscoreProxyTests).
/// </summary>
public sealed class CoapProxyCommandTests
{
    [Theory]
    [InlineData("without a path", "--proxy", "coap://127.0.0.1:5999/forward")]
    [InlineData("only coap:// and coaps:// URIs", "--proxy", "http://127.0.0.1:8080")]
    [InlineData("not an absolute URI", "--proxy", "127.0.0.1:5999")]
    [InlineData("--proxy-scheme applies with --proxy", "--proxy-scheme")]
    [InlineData("does not go through a proxy yet", "--proxy", "coap://127.0.0.1:5999", "--token", "t.json")]
    [InlineData("does not go through a proxy yet", "--proxy", "coap://127.0.0.1:5999", "--ace", "gw1.json")]
    public void A_bad_proxy_argument_exits_2_naming_it(string message, params string[] proxyArgs)
    {
        var r = CliRunner.Run(["coap", "get", "coap://127.0.0.1:5998/time", "-B", "1", .. proxyArgs]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
    }
}
