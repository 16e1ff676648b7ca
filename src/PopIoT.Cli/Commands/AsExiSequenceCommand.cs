using System.CommandLine;
using System.Globalization;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot as rs exi-sequence</c>: shows an RS's exi sequence (RFC 9200 §5.10.3), and moves it up to the clock for a
/// device that burnt a higher, clock-scale number from an offline <c>token mint --exi</c> (docs/cli.md, "Exi tokens
/// and cti").
/// </summary>
internal static class AsExiSequenceCommand
{
    public static Command Create(CliContext io)
    {
        var db = AsCommand.Db();
        var audience = new Option<string>("--audience") { Description = "The RS.", Required = true };
        var toClock = new Option<bool>("--to-clock")
        {
            Description = "Move the sequence up to the current time in ms (never down), above every number an offline `token mint --exi` gave out before now.",
        };
        var cmd = new Command("exi-sequence", "Show the last exi sequence number the AS gave an RS without a clock (the next token gets one more), or move it up with --to-clock.") { db, audience, toClock };
        cmd.SetAction(p => AsCommand.Guard(() =>
        {
            string a = p.GetValue(audience)!;
            using IAuthorizationStore store = AuthorizationStores.Open(p.GetValue(db)!);
            if (store.FindResourceServer(a) == null)
            {
                throw new CliUsageException("unknown resource server '" + a + "'");
            }

            if (p.GetValue(toClock))
            {
                long last = store.AdvanceExiSequence(a, ExiCti.First(DateTimeOffset.UtcNow));
                io.Out.WriteLine("exi sequence of '" + a + "': last " + last.ToString(CultureInfo.InvariantCulture) + "; the next token gets " + (last + 1).ToString(CultureInfo.InvariantCulture));
            }
            else if (store.TryLoadExiSequence(a, out long last))
            {
                io.Out.WriteLine("exi sequence of '" + a + "': last " + last.ToString(CultureInfo.InvariantCulture) + "; the next token gets " + (last + 1).ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                io.Out.WriteLine("exi sequence of '" + a + "': none yet; the first token gets the time in ms when it is minted");
            }

            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
