using System.CommandLine;
using PopIoT.Cli.Commands;

namespace PopIoT.Cli;

/// <summary>Builds the <c>popiot</c> command tree and runs it with explicit streams.</summary>
internal static class PopIotCli
{
    public static int Run(string[] args, CliContext io)
    {
        // A plain command named popiot rather than RootCommand, whose name is the assembly's (PopIoT.Cli): the help and
        // the usage lines then say what people type.
        var root = new Command("popiot", "popiot: OAuth 2.0 proof-of-possession for constrained devices (ACE: CWT, COSE, CoAP, OSCORE).")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
        };
        root.Subcommands.Add(CborCommand.Create(io));
        root.Subcommands.Add(CoseCommand.Create(io));
        root.Subcommands.Add(CwtCommand.Create(io));
        root.Subcommands.Add(KeyCommand.Create(io));
        root.Subcommands.Add(DemoCommand.Create(io));
        root.Subcommands.Add(BenchCommand.Create(io));
        root.Subcommands.Add(CoapCommand.Create(io));
        root.Subcommands.Add(TokenCommand.Create(io));
        root.Subcommands.Add(AsCommand.Create(io));
        root.Subcommands.Add(DeviceCommand.Create(io));
        root.Subcommands.Add(OscoreCommand.Create(io));

        // "@FILE" is one of popiot's byte-input forms, not a System.CommandLine response file.
        ParseResult parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            return CliUsage.Report(io, parsed);
        }

        var config = new InvocationConfiguration { Output = io.Out, Error = io.Error, EnableDefaultExceptionHandler = false };
        try
        {
            return parsed.Invoke(config);
        }
        catch (CliUsageException e)
        {
            io.Error.WriteLine("popiot: " + e.Message);
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("POPIOT_DEBUG") != "1")
        {
            io.Error.WriteLine("popiot: internal error (" + e.GetType().Name + "): " + e.Message);
            io.Error.WriteLine("popiot: this is a bug; set POPIOT_DEBUG=1 to see where it happened.");
            return ExitCodes.InternalError;
        }
    }
}
