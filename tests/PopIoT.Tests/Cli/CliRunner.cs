using System.Text;
using PopIoT.Cli;

namespace PopIoT.Tests.Cli;

/// <summary>Runs popiot in-process with captured streams.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Run(string stdin, params string[] args) => Run(Encoding.UTF8.GetBytes(stdin), args);

    public static Result Run(byte[] stdin, params string[] args)
    {
        using var input = new MemoryStream(stdin);
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = PopIotCli.Run(args, new CliContext(input, output, error));
        return new Result(code, output.ToString(), error.ToString());
    }

    public static Result Run(params string[] args) => Run([], args);
}
