using System.Diagnostics;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary>
/// Runs the real popiot executable, as a person at a terminal would, to check what the
/// in-process tests cannot: the exit code the shell sees and that no stack trace is printed.
/// </summary>
public class CliProcessTests
{
    private static (int Code, string Out, string Err) Popiot(string stdin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll"));
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "popiot did not exit within 60 s");
        return (p.ExitCode, output, err.Result);
    }

    [Fact]
    public void Malformed_cbor_on_stdin_exits_2_with_one_line_and_no_stack_trace()
    {
        var (code, output, err) = Popiot("9f 01 02", "cbor", "diag", "-");

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal("popiot: malformed CBOR: unexpected end of data inside a data item at byte 3", err.TrimEnd());
    }

    [Fact]
    public void Valid_cbor_exits_0_and_prints_the_notation()
    {
        var (code, output, err) = Popiot("", "cbor", "diag", "d83dd28443a10126a104524173796d6d657472696345434453413235365850a70175636f61703a2f2f61732e6578616d706c652e636f6d02656572696b77037818636f61703a2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d9f0061a5610d9f007420b7158405427c1ff28d23fbad1f29c4c7c6a555e601d6fa29f9179bc3d7438bacaca5acd08c8d4d4f96131680c429a01f85951ecee743a52b9b63632c57209120e1c9e30");

        Assert.Equal(0, code);
        Assert.Equal("", err);
        // RFC 8392 Appendix A.3: a signed CWT, tag 61 around a COSE_Sign1 (tag 18).
        Assert.StartsWith("61(18([h'a10126', {4: h'4173796d6d65747269634543445341323536'}, h'a70175", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_command_is_a_usage_error()
    {
        var (code, _, err) = Popiot("", "cbor", "frobnicate");

        Assert.NotEqual(0, code);
        Assert.Contains("frobnicate", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }
}
