using System.CommandLine;
using PopIoT.Core.Cbor;
using PopIoT.Cose;

namespace PopIoT.Cli.Commands;

/// <summary><c>popiot cwt decode|verify</c>: CBOR Web Tokens (RFC 8392).</summary>
internal static class CwtCommand
{
    public static Command Create(CliContext io)
    {
        var token = new Argument<string>("token") { Description = "The CWT: HEX, @FILE or -." };
        var showSecrets = new Option<bool>("--show-secrets") { Description = "Print key bytes (COSE_Key k and d, OSCORE master secrets) instead of hiding them." };
        var decode = new Command("decode", "Print a CWT or COSE message in diagnostic notation with header, claim and cnf names; nested layers are opened. Verifies nothing.")
        {
            token, showSecrets,
        };
        decode.SetAction(p => Decode(io, p.GetValue(token)!, p.GetValue(showSecrets)));
        return new Command("cwt", "Decode and verify CBOR Web Tokens (RFC 8392).") { decode };
    }

    private static int Decode(CliContext io, string tokenArg, bool showSecrets)
    {
        byte[] token = CliInput.Resolve(tokenArg, io.Stdin);
        if (token.Length == 0)
        {
            throw new CliUsageException("the token is empty");
        }

        try
        {
            io.Out.WriteLine(AnnotatedDiagnostic.Format(token, showSecrets));
            return ExitCodes.Ok;
        }
        catch (CborException e)
        {
            io.Error.WriteLine("popiot: malformed " + e.Message);
            return ExitCodes.BadInput;
        }
    }
}
