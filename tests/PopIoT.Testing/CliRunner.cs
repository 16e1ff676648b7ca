using System.Text;
using PopIoT.Cli;

namespace PopIoT.Testing;

/// <summary>Runs popiot in-process with captured streams.</summary>
public static class CliRunner
{
    /// <summary>Runs popiot with empty stdin.</summary>
    public static Result Run(params string[] args) => RunWithStdin(Array.Empty<byte>(), args);

    /// <summary>Runs popiot with <paramref name="stdin"/> (UTF-8) on stdin.</summary>
    public static Result RunWithStdin(string stdin, params string[] args) => RunWithStdin(Encoding.UTF8.GetBytes(stdin), args);

    /// <summary>Runs popiot with <paramref name="stdin"/> on stdin.</summary>
    public static Result RunWithStdin(byte[] stdin, params string[] args)
    {
        using var input = new MemoryStream(stdin);
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = PopIotCli.Run(args, new CliContext(input, output, error));
        return new Result(code, output.ToString(), error.ToString());
    }

    /// <summary>What one popiot run wrote and returned.</summary>
    public sealed record Result(int ExitCode, string Out, string Error);
}
