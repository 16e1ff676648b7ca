using System.CommandLine;
using System.Globalization;
using PopIoT.AuthorizationServer.Storage;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot as migrate --from A --to B</c>: copies every row and counter of one AS database into another (SQLite to
/// PostgreSQL, or back), refuses a target that holds anything unless told to replace it, and checks the copy row by
/// row (docs/authorization-server.md, "Storage").
/// </summary>
internal static class AsMigrateCommand
{
    public static Command Create(CliContext io)
    {
        var from = new Option<string>("--from") { Description = "The database to copy (an SQLite file or postgres://…); it is only read.", Required = true };
        var to = new Option<string>("--to") { Description = "The database to copy into (postgres://user@host:port/db, Host=…;… or an SQLite file); created when it has no schema yet.", Required = true };
        var replace = new Option<bool>("--replace") { Description = "Delete what the target holds first (without it, a target that is not empty is refused). Counters never go down." };
        var cmd = new Command("migrate", "Copy every client, RS, grant, token and counter of one AS database into another and check the copy row by row.") { from, to, replace };
        cmd.SetAction(p => AsCommand.Guard(() =>
        {
            string source = p.GetValue(from)!;
            string target = p.GetValue(to)!;
            if (string.Equals(AuthorizationStores.Display(source), AuthorizationStores.Display(target), StringComparison.Ordinal))
            {
                throw new CliUsageException("--from and --to name the same database");
            }

            using IAuthorizationStore a = AuthorizationStores.Open(source);
            using IAuthorizationStore b = AuthorizationStores.OpenOrCreate(target);
            StoreSnapshot copied = AuthorizationStores.Copy(a, b, p.GetValue(replace));
            io.Out.WriteLine(
                "copied " + AuthorizationStores.Display(source) + " to " + AuthorizationStores.Display(target) + ": "
                + copied.Clients.Count.ToString(CultureInfo.InvariantCulture) + " client(s), "
                + copied.ResourceServers.Count.ToString(CultureInfo.InvariantCulture) + " resource server(s), "
                + copied.Grants.Count.ToString(CultureInfo.InvariantCulture) + " grant(s), "
                + copied.Tokens.Count.ToString(CultureInfo.InvariantCulture) + " token(s), "
                + (copied.OscoreSequences.Count + copied.ExiSequences.Count).ToString(CultureInfo.InvariantCulture) + " sequence(s); verified row by row");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
