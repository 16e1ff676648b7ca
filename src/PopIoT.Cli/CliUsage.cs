using System.CommandLine;

namespace PopIoT.Cli;

/// <summary>
/// What a command line the parser rejects gets (docs/cli.md, exit codes): each error, one usage line of the command
/// that was meant and where its help is, on stderr, and exit 2; the whole help only on --help.
/// </summary>
internal static class CliUsage
{
    public static int Report(CliContext io, ParseResult parsed)
    {
        foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
        {
            io.Error.WriteLine("popiot: " + error.Message);
        }

        Command command = parsed.CommandResult.Command;
        string path = Path(parsed.CommandResult);
        io.Error.WriteLine("Usage: " + UsageLine(path, command));
        io.Error.WriteLine("Try '" + path + " --help' for more.");
        return ExitCodes.BadInput;
    }

    // The names from the root down ("popiot coap get").
    private static string Path(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? r = result; r != null; r = r.Parent)
        {
            if (r is System.CommandLine.Parsing.CommandResult c)
            {
                names.Insert(0, c.Command.Name);
            }
        }

        return string.Join(' ', names);
    }

    // As System.CommandLine's help writes it: arguments in angle brackets, then [command] and [options].
    private static string UsageLine(string path, Command command)
    {
        var parts = new List<string> { path };
        foreach (Argument a in command.Arguments)
        {
            if (!a.Hidden)
            {
                parts.Add("<" + a.Name + ">");
            }
        }

        if (command.Subcommands.Count > 0)
        {
            parts.Add("[command]");
        }

        parts.Add("[options]");
        return string.Join(' ', parts);
    }
}
