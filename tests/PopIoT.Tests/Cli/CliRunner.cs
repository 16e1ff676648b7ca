using System.Text;
using PopIoT.Cli;

namespace PopIoT.Tests.Cli;

/// <summary>Runs popiot in-process with captured streams.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result RunWithStdin(string stdin, params string[] args) => RunWithStdin(Encoding.UTF8.GetBytes(stdin), args);

    public static Result RunWithStdin(byte[] stdin, params string[] args)
    {
        using var input = new MemoryStream(stdin);
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = PopIotCli.Run(args, new CliContext(input, output, error));
        return new Result(code, output.ToString(), error.ToString());
    }

    public static Result Run(params string[] args) => RunWithStdin(Array.Empty<byte>(), args);
}
