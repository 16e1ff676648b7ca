using System.CommandLine;
using PopIoT.Cbor;
using PopIoT.Core.Cbor;

namespace PopIoT.Cli.Commands;

/// <summary><c>popiot cbor ...</c>: look inside CBOR (RFC 8949).</summary>
internal static class CborCommand
{
    public static Command Create(CliContext io)
    {
        var input = new Argument<string>("input")
        {
            Description = "The CBOR: HEX, @FILE (raw or hex text) or - (stdin).",
        };
        var sequence = new Option<bool>("--sequence")
        {
            Description = "Read a CBOR sequence (RFC 8742) and print every item, separated by ', '.",
        };
        var diag = new Command("diag", "Print CBOR in diagnostic notation (RFC 8949 §8). Malformed input exits 2 with the byte offset.")
        {
            input,
            sequence,
        };
        diag.SetAction(parsed => Diag(io, parsed.GetValue(input)!, parsed.GetValue(sequence)));

        return new Command("cbor", "Work with CBOR (RFC 8949).") { diag };
    }

    private static int Diag(CliContext io, string input, bool sequence)
    {
        byte[] bytes = CliInput.Resolve(input, io.Stdin);
        if (bytes.Length == 0)
        {
            throw new CliUsageException("the input is empty: there is no CBOR item to print");
        }

        try
        {
            io.Out.WriteLine(CborDiagnostic.ToDiagnosticString(bytes, 0, bytes.Length, new CborDiagnosticOptions { Sequence = sequence }));
            return ExitCodes.Ok;
        }
        catch (CborException e)
        {
            // CborException's message already names the problem and the byte offset.
            io.Error.WriteLine("popiot: malformed " + e.Message);
            return ExitCodes.BadInput;
        }
    }
}
