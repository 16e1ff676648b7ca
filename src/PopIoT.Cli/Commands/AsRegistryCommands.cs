using System.CommandLine;
using System.Globalization;
using PopIoT.Ace;
using PopIoT.AuthorizationServer;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Crypto;
using PopIoT.IO;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot as client|rs list|show|remove|rotate</c>: the registries seen and changed from the command line
/// (docs/authorization-server.md). A running <c>as serve</c> sees every change at once. Secrets are never printed.
/// </summary>
internal static class AsRegistryCommands
{
    public static IEnumerable<Command> ClientCommands(CliContext io)
    {
        yield return List(io, false);
        yield return Show(io, false);
        yield return Remove(io, false);
        yield return Rotate(io, false);
        yield return Rekeying(io);
    }

    public static IEnumerable<Command> RsCommands(CliContext io)
    {
        yield return List(io, true);
        yield return Show(io, true);
        yield return Remove(io, true);
        yield return Rotate(io, true);
    }

    private static Option<string> Name(bool rs) => rs
        ? new("--audience") { Description = "The resource server's audience.", Required = true }
        : new("--client-id") { Description = "The client_id.", Required = true };

    private static string Noun(bool rs) => rs ? "resource server" : "client";

    private static Command List(CliContext io, bool rs)
    {
        var db = AsCommand.Db();
        var cmd = new Command("list", "List the registered " + Noun(rs) + "s: name, OSCORE kid, grants, tokens, registration time.") { db };
        cmd.SetAction(p => AsCommand.Guard(() =>
        {
            using IAuthorizationStore store = AuthorizationStores.Open(p.GetValue(db)!);
            var rows = new List<string[]> { new[] { rs ? "AUDIENCE" : "CLIENT", "KID", "GRANTS", "TOKENS", "ACTIVE", "REGISTERED (UTC)" } };
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            IReadOnlyList<IssuedTokenRecord> tokens = store.ListTokens();
            foreach ((string name, OscoreCredential? k, long created) in Entries(store, rs))
            {
                int grants = Grants(store, rs, name).Count;
                List<IssuedTokenRecord> mine = tokens.Where(t => (rs ? t.Audience : t.ClientId) == name).ToList();
                rows.Add(
                [
                    AsCommand.Cell(name), k == null ? "-" : Convert.ToHexStringLower(k.PeerSenderId), N(grants), N(mine.Count),
                    N(mine.Count(t => !t.Revoked && now < t.ExpiresAt)), AsCommand.Time(created),
                ]);
            }

            AsCommand.WriteTable(io, rows);
            io.Out.WriteLine(N(rows.Count - 1) + " " + Noun(rs) + "(s)");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Show(CliContext io, bool rs)
    {
        var db = AsCommand.Db();
        var name = Name(rs);
        var cmd = new Command("show", "Show one " + Noun(rs) + ": its OSCORE kid, grants and tokens (never its keys).") { db, name };
        cmd.SetAction(p => AsCommand.Guard(() =>
        {
            string n = p.GetValue(name)!;
            using IAuthorizationStore store = AuthorizationStores.Open(p.GetValue(db)!);
            var matches = Entries(store, rs).Where(x => x.Name == n).ToList();
            if (matches.Count == 0)
            {
                throw new CliUsageException("unknown " + Noun(rs) + " '" + n + "'; see `popiot as " + (rs ? "rs" : "client") + " list --db " + p.GetValue(db) + "`");
            }

            var e = matches[0];
            io.Out.WriteLine(Noun(rs) + " '" + n + "'");
            if (rs && store.FindResourceServer(n) is ResourceServerRecord r)
            {
                io.Out.WriteLine("  tokens:     " + r.Protection.ToString().ToLowerInvariant() + ", " + (r.HasClock ? "exp" : "exi") + ", up to " + N(r.MaxTokenBytes) + " bytes");
            }

            io.Out.WriteLine("  OSCORE kid: " + (e.Credential == null ? "none (no introspection credential)" : Convert.ToHexStringLower(e.Credential.PeerSenderId) + " (alg " + N(e.Credential.Algorithm) + ")"));
            if (!rs && store.FindClient(n) is ClientRecord client)
            {
                io.Out.WriteLine("  re-keying with the AS (RFC 8613 Appendix B.2): " + (client.Rekeying ? "allowed" : "not allowed")
                    + (client.Credential.IdContext == null ? string.Empty : "; ID Context " + Convert.ToHexStringLower(client.Credential.IdContext)));
            }

            io.Out.WriteLine("  registered: " + AsCommand.Time(e.Created) + " UTC");
            foreach (GrantRecord g in Grants(store, rs, n))
            {
                io.Out.WriteLine("  grant:      " + (rs ? "client '" + g.ClientId + "'" : "audience '" + g.Audience + "'") + " scope " + g.Scope);
            }

            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            List<IssuedTokenRecord> mine = store.ListTokens().Where(t => (rs ? t.Audience : t.ClientId) == n).ToList();
            io.Out.WriteLine("  tokens:     " + N(mine.Count) + " issued, " + N(mine.Count(t => !t.Revoked && now < t.ExpiresAt)) + " active (popiot as tokens --db " + p.GetValue(db) + (rs ? " --audience " : " --client ") + n + ")");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Remove(CliContext io, bool rs)
    {
        var db = AsCommand.Db();
        var name = Name(rs);
        var cmd = new Command("remove", "Remove a " + Noun(rs) + " with its grants and revoke its tokens; a running AS refuses it at once.") { db, name };
        cmd.SetAction(p => AsCommand.Guard(() =>
        {
            string n = p.GetValue(name)!;
            using IAuthorizationStore store = AuthorizationStores.Open(p.GetValue(db)!);
            int revoked = store.Remove(rs, n);
            if (revoked < 0)
            {
                throw new CliUsageException("unknown " + Noun(rs) + " '" + n + "'");
            }

            io.Out.WriteLine("removed " + Noun(rs) + " '" + n + "' and its grants; revoked " + N(revoked) + " token(s)");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    // RFC 8613 Appendix B.2: whether a client may derive a new ID Context with the AS when it lost its sequence number.
    private static Command Rekeying(CliContext io)
    {
        var db = AsCommand.Db();
        var name = Name(false);
        var allow = new Argument<string>("on|off") { Description = "on: the client may re-key with the AS by itself when it lost ID.json.seq (RFC 8613 Appendix B.2); off: it needs `as client rotate`." };
        allow.AcceptOnlyFromAmong("on", "off");
        var cmd = new Command("rekeying", "Allow or forbid a client to re-key its OSCORE context with the AS by itself (RFC 8613 Appendix B.2).") { db, name, allow };
        cmd.SetAction(p => AsCommand.Guard(() =>
        {
            string n = p.GetValue(name)!;
            bool on = p.GetValue(allow) == "on";
            using IAuthorizationStore store = AuthorizationStores.Open(p.GetValue(db)!);
            if (!store.SetRekeying(n, on))
            {
                throw new CliUsageException("unknown client '" + n + "'; see `popiot as client list --db " + p.GetValue(db) + "`");
            }

            io.Out.WriteLine("client '" + n + "' " + (on ? "may" : "may not") + " re-key with the AS by itself (RFC 8613 Appendix B.2); a running `popiot as serve` sees it at once");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Rotate(CliContext io, bool rs)
    {
        var db = AsCommand.Db();
        var name = Name(rs);
        var credentialOut = new Option<string>("--credential-out")
        {
            Description = "Write the new credential (" + (rs ? "RS.json" : "ID.json") + ") here, with its .seq at 0; an existing file is replaced only with --force.",
            Required = true,
        };
        var asUri = new Option<string>("--as-uri") { Description = "The AS URI written into the file (default " + AsCommand.DefaultAsUri + ").", DefaultValueFactory = _ => AsCommand.DefaultAsUri };
        var force = AsCommand.ForceOption();
        var cmd = new Command(
            "rotate",
            "Re-key the OSCORE context the " + Noun(rs) + " shares with the AS (new Master Secret and Sender ID, RFC 8613 Appendix B.2): the way out of a lost or copied .seq file. The old credential stops working at once.")
        {
            db, name, credentialOut, asUri, force,
        };
        cmd.SetAction(p => AsCommand.Guard(() =>
        {
            string n = p.GetValue(name)!;
            string target = p.GetValue(credentialOut)!;
            bool overwrite = p.GetValue(force);
            Uri uri = AsCommand.ParseAsUri(p.GetValue(asUri)!);
            SecretFile.CheckWritable(target, overwrite);
            using IAuthorizationStore store = AuthorizationStores.Open(p.GetValue(db)!);
            OscoreCredential k = new AuthorizationServerRegistry(store, PlatformCryptoProvider.Instance.Random).Rotate(rs, n);
            AceCredentialFile.Write(target, rs, n, uri, k.PeerSenderId, k.AsSenderId, k.MasterSecret, k.MasterSalt, k.Algorithm, overwrite);
            io.Out.WriteLine("re-keyed " + Noun(rs) + " '" + n + "' (new OSCORE kid " + Convert.ToHexStringLower(k.PeerSenderId) + "); credential in " + target + ", Sender Sequence Number 0 in " + target + ".seq");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static IEnumerable<(string Name, OscoreCredential? Credential, long Created)> Entries(IAuthorizationStore store, bool rs) => rs
        ? store.ListResourceServers().Select(r => (r.Audience, r.Credential, r.CreatedAt))
        : store.ListClients().Select(c => (c.ClientId, (OscoreCredential?)c.Credential, c.CreatedAt));

    private static List<GrantRecord> Grants(IAuthorizationStore store, bool rs, string name) => rs
        ? store.ListClients().SelectMany(c => store.FindGrants(c.ClientId, name)).ToList()
        : store.ListResourceServers().SelectMany(r => store.FindGrants(name, r.Audience)).ToList();

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
}
