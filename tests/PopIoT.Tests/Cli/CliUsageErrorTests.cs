using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary>
/// The exit-code rule of docs/cli.md for what the command-line parser rejects: 2, with the error, one usage line of the
/// command that was meant (named <c>popiot</c>) and a hint where the help is, never the whole help.
/// </summary>
public sealed class CliUsageErrorTests
{
    [Theory]
    [InlineData(new string[0], "Required command was not provided", "Usage: popiot [command] [options]", "popiot --help")]
    [InlineData(new[] { "coap", "get", "coap://127.0.0.1/x", "--frob" }, "--frob", "Usage: popiot coap get <URI> [options]", "popiot coap get --help")]
    [InlineData(new[] { "coap", "get" }, "Required argument missing", "Usage: popiot coap get <URI> [options]", "popiot coap get --help")]
    [InlineData(new[] { "coap", "serve", "--port", "abc" }, "'abc'", "Usage: popiot coap serve [options]", "popiot coap serve --help")]
    [InlineData(new[] { "cbor", "frobnicate" }, "frobnicate", "Usage: popiot cbor [command] [options]", "popiot cbor --help")]
    [InlineData(new[] { "cose", "verify", "d28443a10105a0" }, "--key", "Usage: popiot cose verify <message> [options]", "popiot cose verify --help")]
    public void Parser_errors_exit_2_with_one_usage_line_and_a_hint(string[] args, string error, string usage, string hint)
    {
        var r = CliRunner.Run(args);

        Assert.Equal(2, r.ExitCode);
        Assert.Equal(string.Empty, r.Out);
        string[] lines = r.Error.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Contains(lines, l => l.StartsWith("popiot: ", StringComparison.Ordinal) && l.Contains(error, StringComparison.Ordinal));
        Assert.Contains(usage, lines);
        Assert.Contains(lines, l => l.Contains(hint, StringComparison.Ordinal));
        Assert.True(lines.Length <= 4, r.Error);
        Assert.DoesNotContain("PopIoT.Cli", r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Options:", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_help_names_the_command_popiot()
    {
        var root = CliRunner.Run("--help");
        Assert.Equal(0, root.ExitCode);
        Assert.Contains("popiot [command] [options]", root.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("PopIoT.Cli", root.Out, StringComparison.Ordinal);

        var sub = CliRunner.Run("coap", "get", "--help");
        Assert.Equal(0, sub.ExitCode);
        Assert.Contains("popiot coap get <URI> [options]", sub.Out, StringComparison.Ordinal);
        Assert.Contains("--if-match", sub.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cose", "verify", "d18443a10104a0", "--key", "a4010403040482090a205820c1698193abf68343052415da41085912c75e82eda59b3413f71914e07b1de3f1")]
    [InlineData("cwt", "verify", "d83dd18443a10104a0", "--key", "a4010403040482090a205820c1698193abf68343052415da41085912c75e82eda59b3413f71914e07b1de3f1")]
    public void Verify_on_truncated_input_exits_2(string command, string verb, string truncated, string keyOption, string key)
    {
        var r = CliRunner.Run(command, verb, truncated, keyOption, key);

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("popiot: ", r.Error, StringComparison.Ordinal);
    }
}
