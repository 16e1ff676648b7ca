using System.Text;
using PopIoT.Cli;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>Runs popiot in-process with captured streams.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Run(params string[] args)
    {
        using var input = new MemoryStream();
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = PopIotCli.Run(args, new CliContext(input, output, error));
        return new Result(code, output.ToString(), error.ToString());
    }
}
