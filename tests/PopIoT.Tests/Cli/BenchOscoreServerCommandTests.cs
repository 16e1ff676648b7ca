using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary><c>popiot bench oscore-server</c> (hidden, started by the suite): bad Master Secrets on standard input are
/// refused with a usage error before anything listens.</summary>
public class BenchOscoreServerCommandTests
{
    [Theory]
    [InlineData("", "standard input ended after 0 of 1 Master Secrets")]
    [InlineData("zz\n", "Master Secret 1")]
    [InlineData("0011223344\n", "Master Secret 1 must be 16 to 64 bytes, not 5")]
    [InlineData("00112233445566778899aabbccddeeff\n", "standard input ended after 1 of 2 Master Secrets")]
    public void Bad_master_secrets_are_a_usage_error(string stdin, string message)
    {
        int clients = message.Contains("of 2", StringComparison.Ordinal) ? 2 : 1;

        var r = CliRunner.RunWithStdin(stdin, "bench", "oscore-server", "--clients", clients.ToString(System.Globalization.CultureInfo.InvariantCulture), "--duration", "1");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("listening", r.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    public void The_number_of_clients_is_bounded(string clients)
    {
        var r = CliRunner.RunWithStdin(string.Empty, "bench", "oscore-server", "--clients", clients);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--clients must be 1..100", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void It_serves_for_the_given_duration_and_stops_by_itself()
    {
        var r = CliRunner.RunWithStdin("00112233445566778899aabbccddeeff\n", "bench", "oscore-server", "--clients", "1", "--port", "0", "--duration", "0.3");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("with 1 clients' OSCORE contexts for 0.3 s", r.Out, StringComparison.Ordinal);
    }
}
