namespace PopIoT.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        using Stream stdin = Console.OpenStandardInput();
        return PopIotCli.Run(args, new CliContext(stdin, Console.Out, Console.Error));
    }
}
