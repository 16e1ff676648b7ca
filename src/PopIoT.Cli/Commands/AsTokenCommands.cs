using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Coap;
using PopIoT.Core.Oscore;
using PopIoT.Oscore;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot as tokens</c> (the issued tokens, as a table or JSON, with filters) and <c>popiot as introspect</c> (ask the
/// running AS about a token as a resource server would, RFC 9200 §5.9). docs/authorization-server.md.
/// </summary>
internal static class AsTokenCommands
{
    public static Command Tokens(CliContext io)
    {
        var db = AsCommand.Db();
        var json = new Option<bool>("--json") { Description = "Print a JSON array, one object per token, with every value whole." };
        var client = new Option<string?>("--client") { Description = "Only the tokens issued to this client_id." };
        var audience = new Option<string?>("--audience") { Description = "Only the tokens for this audience." };
        var active = new Option<bool>("--active") { Description = "Only the tokens still active (neither expired nor revoked)." };
        var cmd = new Command("tokens", "List the issued tokens: a table whose long cells are cut, or --json.") { db, json, client, audience, active };
        cmd.Subcommands.Add(Purge(io));
        cmd.SetAction(p => AsCommand.Guard(() =>
        {
            using IAuthorizationStore store = AuthorizationStores.Open(p.GetValue(db)!);
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            string? c = p.GetValue(client);
            string? a = p.GetValue(audience);
            // The filters go to the store, which answers them from its indexes (client, audience, expiry).
            IReadOnlyList<IssuedTokenRecord> tokens = store.QueryTokens(new TokenQuery(c, a, p.GetValue(active) ? now : null));
            if (p.GetValue(json))
            {
                WriteJson(io, tokens, now);
                return ExitCodes.Ok;
            }

            var rows = new List<string[]> { new[] { "CTI", "CLIENT", "AUDIENCE", "SCOPE", "PROFILE", "ISSUED (UTC)", "LIFETIME", "STATE" } };
            foreach (IssuedTokenRecord t in tokens)
            {
                rows.Add(
                [
                    AsCommand.Cell(Convert.ToHexStringLower(t.Cti)), AsCommand.Cell(t.ClientId), AsCommand.Cell(t.Audience), AsCommand.Cell(AccessScope.Decode(t.Scope).ToString()),
                    AceProfileNames.Name(t.Profile), AsCommand.Time(t.IssuedAt),
                    t.Exp is long exp ? "exp " + AsCommand.Time(exp) : "exi " + t.Exi?.ToString(CultureInfo.InvariantCulture) + " s",
                    State(t, now),
                ]);
            }

            AsCommand.WriteTable(io, rows);
            io.Out.WriteLine((rows.Count - 1).ToString(CultureInfo.InvariantCulture) + " token(s)");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Purge(CliContext io)
    {
        var db = AsCommand.Db();
        var cmd = new Command("purge", "Delete the tokens that are expired or revoked now (as serve does every --purge-every); the exi sequences stay.") { db };
        cmd.SetAction(p => AsCommand.Guard(() =>
        {
            using IAuthorizationStore store = AuthorizationStores.Open(p.GetValue(db)!);
            int n = store.PurgeTokens(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            io.Out.WriteLine("purged " + n.ToString(CultureInfo.InvariantCulture) + " expired or revoked token(s)");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    public static Command Introspect(CliContext io)
    {
        var credential = new Option<string>("--credential") { Description = "The resource server's credential (RS.json from `as rs add --credential-out`); its Sender Sequence Number is kept in RS.json.seq.", Required = true };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the AS (default 30).", DefaultValueFactory = _ => 30 };
        var seq = CoapOscoreFiles.SeqOption();
        var token = new Argument<string>("token") { Description = "The token: HEX, @FILE, - or a TOKEN.json (as `cwt decode` takes it)." };
        var cmd = new Command("introspect", "Ask the AS whether a token is active, as the resource server of RS.json (RFC 9200 §5.9, over OSCORE). Exits 0 when active, 1 when not.")
        {
            credential, timeout, seq, token,
        };
        cmd.SetAction(p =>
        {
            byte[] bytes = CliInput.ResolveToken(p.GetValue(token)!, io.Stdin);
            string file = p.GetValue(credential)!;
            double seconds = p.GetValue(timeout);
            if (seconds is <= 0 or > 3600 || double.IsNaN(seconds))
            {
                throw new CliUsageException("--timeout must be 0..3600 seconds");
            }

            AceCredentialFile rs;
            try
            {
                rs = AceCredentialFile.Load(file);
            }
            catch (FormatException e)
            {
                throw new CliUsageException(e.Message);
            }

            if (rs.Audience == null)
            {
                throw new CliUsageException("'" + file + "' is a client's credential; introspection needs a resource server's (popiot as rs add --credential-out)");
            }

            using FileSequenceNumberStore store = CoapOscoreFiles.OpenStore(file, p.GetValue(seq));
            AceIntrospectionClient client;
            try
            {
                client = new AceIntrospectionClient(rs, new CoapClientOptions { Timeout = TimeSpan.FromSeconds(seconds) }, null, store);
            }
            catch (SequenceNumberStoreException e)
            {
                throw new CliUsageException(CoapOscoreFiles.SeqHint(e));
            }

            using (client)
            {
                AceIntrospection r;
                try
                {
                    r = client.IntrospectAsync(bytes).GetAwaiter().GetResult();
                }
                catch (AceAuthorizationException e)
                {
                    io.Error.WriteLine("popiot: " + e.Message);
                    return CoapOscoreFiles.StoreFailed(io, store) ?? ExitCodes.Rejected;
                }
                catch (CoapException e)
                {
                    io.Error.WriteLine("popiot: " + e.Message);
                    return CoapOscoreFiles.StoreFailed(io, store) ?? ExitCodes.Rejected;
                }

                io.Out.WriteLine("active: " + (r.Active ? "true" : "false"));
                if (r.Active)
                {
                    io.Out.WriteLine("aud: " + r.Audience);
                    io.Out.WriteLine("client_id: " + r.ClientId);
                    io.Out.WriteLine("cti: " + (r.Cti != null ? Convert.ToHexStringLower(r.Cti) : string.Empty));
                    if (r.Expiration is long exp)
                    {
                        io.Out.WriteLine("exp: " + exp.ToString(CultureInfo.InvariantCulture) + " (" + AsCommand.Time(exp) + " UTC)");
                    }
                }

                return r.Active ? ExitCodes.Ok : ExitCodes.Rejected;
            }
        });
        return cmd;
    }

    private static string State(IssuedTokenRecord t, long now) => t.Revoked ? "revoked" : now >= t.ExpiresAt ? "expired" : "active";

    private static void WriteJson(CliContext io, IReadOnlyList<IssuedTokenRecord> tokens, long now)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (IssuedTokenRecord t in tokens)
            {
                w.WriteStartObject();
                w.WriteString("cti", Convert.ToHexStringLower(t.Cti));
                w.WriteString("client", t.ClientId);
                w.WriteString("audience", t.Audience);
                w.WriteString("scope", AccessScope.Decode(t.Scope).ToString());
                w.WriteString("profile", AceProfileNames.Name(t.Profile));
                w.WriteNumber("issued_at", t.IssuedAt);
                if (t.Exp is long exp)
                {
                    w.WriteNumber("exp", exp);
                }

                if (t.Exi is long exi)
                {
                    w.WriteNumber("exi", exi);
                }

                w.WriteNumber("expires_at", t.ExpiresAt);
                w.WriteString("state", State(t, now));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        io.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
