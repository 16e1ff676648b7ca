using PopIoT.Core.Ace;
using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PopIoT.Ace;
using PopIoT.AuthorizationServer;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Hosting;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.IO;
using PopIoT.Crypto;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot as ...</c>: run and administer the authorization server (docs/authorization-server.md): init, rs add,
/// client add, grant, serve, revoke, tokens. Store problems (a missing database, an unknown client) exit 2.
/// </summary>
internal static class AsCommand
{
    internal const string DefaultAsUri = "coap://127.0.0.1:5690";

    // Table cells hold names and scopes whose length nobody bounds; longer ones are cut (--json has them whole).
    private const int MaxCell = 40;

    public static Command Create(CliContext io)
    {
        var root = new Command("as", "The ACE authorization server (RFC 9200, RFC 9203): registries, policy, tokens, and serving /token and /introspect.");
        root.Subcommands.Add(Init(io));
        var rs = new Command("rs", "Resource servers.") { RsAdd(io), AsExiSequenceCommand.Create(io) };
        foreach (Command c in AsRegistryCommands.RsCommands(io))
        {
            rs.Subcommands.Add(c);
        }

        var client = new Command("client", "Clients.") { ClientAdd(io) };
        foreach (Command c in AsRegistryCommands.ClientCommands(io))
        {
            client.Subcommands.Add(c);
        }

        root.Subcommands.Add(rs);
        root.Subcommands.Add(client);
        root.Subcommands.Add(Grant(io));
        root.Subcommands.Add(Serve(io));
        root.Subcommands.Add(Revoke(io));
        root.Subcommands.Add(AsTokenCommands.Tokens(io));
        root.Subcommands.Add(AsTokenCommands.Introspect(io));
        root.Subcommands.Add(AsMigrateCommand.Create(io));
        return root;
    }

    internal static Option<string> Db() => new("--db") { Description = "The AS database: an SQLite file, or PostgreSQL as postgres://user@host:port/db or Host=…;Database=… (docs/authorization-server.md, \"Storage\").", Required = true };

    private static Command Init(CliContext io)
    {
        var db = Db();
        var cmd = new Command("init", "Create a new, empty AS database (WAL mode, latest schema; readable by its owner only).") { db };
        cmd.SetAction(p => Guard(() =>
        {
            string path = p.GetValue(db)!;
            using IAuthorizationStore store = AuthorizationStores.Create(path);
            io.Out.WriteLine((AuthorizationStores.IsPostgres(path) ? "initialised " : "created ") + AuthorizationStores.Display(path) + " (schema version " + AuthorizationStores.SchemaVersion(store).ToString(CultureInfo.InvariantCulture) + ")");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command RsAdd(CliContext io)
    {
        var db = Db();
        var audience = new Option<string>("--audience") { Description = "The RS's audience (the aud its tokens carry).", Required = true };
        var protection = new Option<string>("--protection")
        {
            Description = "How the RS's tokens are protected; each carries the coap_oscore keys (RFC 9203 §3.2.1): encrypt0 (AES-CCM-16-64-128, the default: the whole token encrypted), mac0 (HMAC 256/64 token; the OSCORE input material in cnf sealed in an Encrypted_COSE_Key under the RS's AES-CCM key, RFC 8747 §3.3) or sign1 (ES256 token, cnf sealed the same way).",
            DefaultValueFactory = _ => "encrypt0",
        };
        protection.AcceptOnlyFromAmong("mac0", "encrypt0", "sign1");
        var noClock = new Option<bool>("--no-clock") { Description = "The RS has no clock: its tokens carry exi (RFC 9200 §5.10.3) instead of exp." };
        var maxToken = new Option<int>("--max-token") { Description = "The largest token the RS accepts at /authz-info, in bytes (default " + AuthorizationServerRegistry.DefaultMaxTokenBytes.ToString(CultureInfo.InvariantCulture) + ", the default of `device simulate --max-token`); the AS never issues a larger token for it.", DefaultValueFactory = _ => AuthorizationServerRegistry.DefaultMaxTokenBytes };
        var keyOut = new Option<string>("--key-out") { Description = "Write the RS's keys here (hex), each marked with its one purpose in key_ops: for encrypt0 a COSE_Key [decrypt]; for mac0 a COSE_KeySet of the HMAC key [MAC verify] and the AES-CCM key [unwrap key] that opens the cnf; for sign1 the AS's public ES256 key [verify] and that AES-CCM key. For `popiot device simulate --as-key @FILE`.", Required = true };
        var credentialOut = new Option<string?>("--credential-out") { Description = "Write the RS's introspection credential (RS.json: audience, AS URI, OSCORE context) here." };
        var asUri = new Option<string>("--as-uri") { Description = "The AS URI written into the credential file (default " + DefaultAsUri + ").", DefaultValueFactory = _ => DefaultAsUri };
        var force = ForceOption();
        var profiles = ProfileOption("The ACE profiles the RS supports (repeat for both): coap_oscore (RFC 9203, the default) or coap_dtls (RFC 9202). The AS picks one the client speaks too.");
        var dtlsPsk = new Option<string>("--dtls-psk")
        {
            Description = "coap_dtls PSK mode: cnf (default: each token carries its fresh PSK, inside an encrypt0 token or as an Encrypted_COSE_Key) or derive (the AS makes a key derivation key for the RS, written to --key-out with key_ops [derive key]; tokens carry only a kid and the RS derives the PSK, RFC 9202 §3.3).",
            DefaultValueFactory = _ => "cnf",
        };
        dtlsPsk.AcceptOnlyFromAmong("cnf", "derive");
        var derivationKey = new Option<string?>("--derivation-key") { Description = "coap_dtls: the key derivation key to share with the RS (HEX or @FILE: a symmetric COSE_Key with key_ops [derive key] only, `popiot key new --kty oct --purpose derive`) instead of one the AS makes; implies --dtls-psk derive." };
        var rsCnf = new Option<string?>("--rs-cnf") { Description = "coap_dtls RPK mode: the RS's public EC2 P-256 COSE_Key (HEX or @FILE, no d), given to clients as rs_cnf (RFC 9202 §3.2.1)." };
        var cmd = new Command("add", "Register a resource server with a fresh AS–RS key.") { db, audience, protection, noClock, maxToken, keyOut, credentialOut, asUri, force, profiles, dtlsPsk, rsCnf, derivationKey };
        cmd.SetAction(p => Guard(() =>
        {
            Uri uri = ParseAsUri(p.GetValue(asUri)!);
            TokenProtection prot = p.GetValue(protection) switch { "mac0" => TokenProtection.Mac0, "sign1" => TokenProtection.Sign1, _ => TokenProtection.Encrypt0 };
            bool overwrite = p.GetValue(force);

            // Refuse before registering: a key the AS keeps but nobody can read is worse than no registration.
            SecretFile.CheckWritable(p.GetValue(keyOut)!, overwrite);
            if (p.GetValue(credentialOut) is string target)
            {
                SecretFile.CheckWritable(target, overwrite);
            }

            int[] supported = ParseProfiles(p.GetValue(profiles));
            bool dtls = supported.Contains(PopIoT.Core.Ace.AceProfile.CoapDtls);
            if (!dtls && (p.GetValue(dtlsPsk) == "derive" || p.GetValue(rsCnf) != null || p.GetValue(derivationKey) != null))
            {
                throw new CliUsageException("--dtls-psk derive, --derivation-key and --rs-cnf are for a coap_dtls RS: add --profile coap_dtls");
            }

            byte[]? rsPublic = p.GetValue(rsCnf) is string rsKeyArg ? CliInput.Resolve(rsKeyArg, io.Stdin) : null;
            byte[]? givenKdk = p.GetValue(derivationKey) is string kdkArg ? CliInput.Resolve(kdkArg, io.Stdin) : null;
            bool derive = dtls && (p.GetValue(dtlsPsk) == "derive" || givenKdk != null);
            using IAuthorizationStore store = AuthorizationStores.Open(p.GetValue(db)!);
            ResourceServerRecord rs;
            try
            {
                rs = new AuthorizationServerRegistry(store, PlatformCryptoProvider.Instance.Random).AddResourceServer(
                    p.GetValue(audience)!, prot, !p.GetValue(noClock), p.GetValue(maxToken),
                    new ResourceServerDtls(supported, derive, rsPublic, givenKdk));
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException(e.Message);
            }

            SecretFile.WriteText(p.GetValue(keyOut)!, Convert.ToHexStringLower(AuthorizationServerRegistry.KeysForResourceServer(rs)) + "\n", overwrite);
            if (p.GetValue(credentialOut) is string cred)
            {
                OscoreCredential rc = rs.Credential!;
                AceCredentialFile.Write(cred, true, rs.Audience, uri, rc.PeerSenderId, rc.AsSenderId, rc.MasterSecret, rc.MasterSalt, rc.Algorithm, overwrite);
            }

            io.Out.WriteLine("registered resource server '" + rs.Audience + "' (" + (prot switch { TokenProtection.Mac0 => "mac0: HMAC 256/64 token, cnf sealed with AES-CCM-16-64-128", TokenProtection.Sign1 => "sign1: ES256 token, cnf sealed with AES-CCM-16-64-128", _ => "encrypt0, AES-CCM-16-64-128" })
                + ", " + (rs.HasClock ? "exp" : "exi") + ", tokens up to " + rs.MaxTokenBytes.ToString(CultureInfo.InvariantCulture) + " bytes; profiles " + ProfileNames(rs.Profiles)
                + (dtls ? ", DTLS PSK " + (derive ? "derived from the token" : "in the token") + (rs.RsPublicKey != null ? ", RPK with rs_cnf" : string.Empty) : string.Empty)
                + "); key in " + p.GetValue(keyOut));
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command ClientAdd(CliContext io)
    {
        var db = Db();
        var clientId = new Option<string>("--client-id") { Description = "The client_id.", Required = true };
        var credentialOut = new Option<string>("--credential-out") { Description = "Write the client's credential (ID.json: client id, AS URI, OSCORE context) here.", Required = true };
        var asUri = new Option<string>("--as-uri") { Description = "The AS URI written into ID.json (default " + DefaultAsUri + ").", DefaultValueFactory = _ => DefaultAsUri };
        var force = ForceOption();
        var noRekeying = new Option<bool>("--no-rekeying")
        {
            Description = "Do not let this client re-key its OSCORE context with the AS by itself when it lost ID.json.seq (RFC 8613 Appendix B.2); it then needs `as client rotate`.",
        };
        var profiles = ProfileOption("The ACE profiles the client speaks, most preferred first (repeat for both): coap_oscore (the default) or coap_dtls. Without ace_profile in its token request the AS picks the first one the RS supports too.");
        var cmd = new Command("add", "Register a client with a fresh OSCORE context to authenticate to the AS (RFC 9203 §5).") { db, clientId, credentialOut, asUri, force, noRekeying, profiles };
        cmd.SetAction(p => Guard(() =>
        {
            Uri uri = ParseAsUri(p.GetValue(asUri)!);
            bool overwrite = p.GetValue(force);
            SecretFile.CheckWritable(p.GetValue(credentialOut)!, overwrite);
            using IAuthorizationStore store = AuthorizationStores.Open(p.GetValue(db)!);
            ClientRecord c = new AuthorizationServerRegistry(store, PlatformCryptoProvider.Instance.Random).AddClient(p.GetValue(clientId)!, !p.GetValue(noRekeying), ParseProfiles(p.GetValue(profiles)));
            OscoreCredential cc = c.Credential;
            AceCredentialFile.Write(p.GetValue(credentialOut)!, false, c.ClientId, uri, cc.PeerSenderId, cc.AsSenderId, cc.MasterSecret, cc.MasterSalt, cc.Algorithm, overwrite);
            io.Out.WriteLine("registered client '" + c.ClientId + "'; credential in " + p.GetValue(credentialOut) + " (a running `popiot as serve` sees it at once)");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>The repeatable <c>--profile coap_oscore|coap_dtls</c> of <c>as rs add</c> and <c>as client add</c>.</summary>
    internal static Option<string[]> ProfileOption(string description)
    {
        var o = new Option<string[]>("--profile") { Description = description, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        o.AcceptOnlyFromAmong("coap_oscore", "coap_dtls");
        return o;
    }

    /// <summary>The profile numbers, in the order given; none means coap_oscore; a profile named twice is a usage error.</summary>
    internal static int[] ParseProfiles(string[]? names)
    {
        if (names == null || names.Length == 0)
        {
            return [PopIoT.Core.Ace.AceProfile.CoapOscore];
        }

        if (names.Distinct().Count() != names.Length)
        {
            throw new CliUsageException("--profile names a profile twice");
        }

        return names.Select(AceProfileNames.Parse).ToArray();
    }

    /// <summary>Profile names for output: "coap_dtls, coap_oscore".</summary>
    internal static string ProfileNames(int[] profiles) => string.Join(", ", profiles.Select(AceProfileNames.Name));

    private static Command Grant(CliContext io)
    {
        var db = Db();
        var client = new Option<string>("--client") { Description = "The client_id.", Required = true };
        var audience = new Option<string>("--audience") { Description = "The resource server.", Required = true };
        var scope = new Option<string>("--scope")
        {
            Description = "The most the client may get. " + TokenCommand.ScopeHelp,
            Required = true,
        };
        var cmd = new Command("grant", "Allow a client tokens for an audience with at most SCOPE (grants add up).") { db, client, audience, scope };
        cmd.SetAction(p => Guard(() =>
        {
            AccessScope s = AccessScope.Parse(p.GetValue(scope)!);
            using IAuthorizationStore store = AuthorizationStores.Open(p.GetValue(db)!);
            new AuthorizationServerRegistry(store, PlatformCryptoProvider.Instance.Random).Grant(p.GetValue(client)!, p.GetValue(audience)!, s);
            io.Out.WriteLine("granted client '" + p.GetValue(client) + "' scope " + s + " for audience '" + p.GetValue(audience) + "'");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Serve(CliContext io)
    {
        // No defaults here: an option given on the command line wins, then POPIOT_AS__*, then the config file, then
        // AuthorizationServerSettings' defaults (docs/authorization-server.md).
        var db = new Option<string?>("--db") { Description = "The AS database (SQLite file, or postgres://user@host:port/db); or As:Database in the configuration." };
        var port = new Option<int?>("--port") { Description = "UDP port (default 5690)." };
        var bind = new Option<string?>("--bind") { Description = "Address to listen on (default 0.0.0.0)." };
        var duration = new Option<double?>("--duration") { Description = "Stop after S seconds (default: run until Ctrl-C, SIGINT or SIGTERM)." };
        var config = new Option<string?>("--config") { Description = "A JSON configuration file (section \"As\"); the environment POPIOT_AS__* wins over it, and options given here win over both." };
        var prometheus = new Option<string?>("--prometheus") { Description = "Serve the AS's metrics in the Prometheus text format at this URL, e.g. http://127.0.0.1:9464/metrics (default: none)." };
        var purgeEvery = new Option<int?>("--purge-every") { Description = "Purge expired and revoked tokens every S seconds (default 3600; 0: never); or As:PurgeEverySeconds." };
        var cmd = new Command("serve", "Serve /token and /introspect over CoAP with OSCORE until Ctrl-C, SIGINT or SIGTERM.") { db, port, bind, duration, config, prometheus, purgeEvery };
        cmd.SetAction(p => Guard(() =>
        {
            double? seconds = p.GetValue(duration);
            if (seconds is <= 0 or > 31_536_000)
            {
                throw new CliUsageException("--duration must be positive");
            }

            var overrides = new Dictionary<string, string?>();
            if (p.GetValue(db) is string givenDb)
            {
                overrides["As:Database"] = givenDb;
            }

            if (p.GetValue(port) is int givenPort)
            {
                overrides["As:Port"] = givenPort.ToString(CultureInfo.InvariantCulture);
            }

            if (p.GetValue(bind) is string givenBind)
            {
                overrides["As:Bind"] = givenBind;
            }

            if (p.GetValue(prometheus) is string givenPrometheus)
            {
                overrides["As:Prometheus"] = givenPrometheus;
            }

            if (p.GetValue(purgeEvery) is int givenPurge)
            {
                overrides["As:PurgeEverySeconds"] = givenPurge.ToString(CultureInfo.InvariantCulture);
            }

            HostApplicationBuilder builder = AuthorizationServerHost.CreateBuilder(p.GetValue(config), overrides);
            AuthorizationServerSettings settings = AuthorizationServerConfiguration.Read(builder.Configuration);
            if (builder.Configuration["As:Database"] == null)
            {
                throw new CliUsageException("which database? give --db FILE (or As:Database in --config, or POPIOT_AS__DATABASE)");
            }

            if (!AuthorizationStores.IsPostgres(settings.Database) && !File.Exists(settings.Database))
            {
                throw new AuthorizationStoreException("database '" + settings.Database + "' does not exist; create it with `popiot as init --db " + settings.Database + "`");
            }

            using OpenTelemetry.Metrics.MeterProvider? metrics = AsMetricsExport.Start(settings.Prometheus);
            if (metrics != null)
            {
                io.Out.WriteLine("popiot as serve: metrics on " + settings.Prometheus + " (Prometheus text format)");
            }

            return RunHost(io, builder.Build(), seconds).GetAwaiter().GetResult();
        }));
        return cmd;
    }

    // SIGTERM and SIGINT (also when started in the background) stop the host: requests in flight finish, the store
    // closes after its pending writes, and the exit is 0, as a service manager expects.
    private static async Task<int> RunHost(CliContext io, IHost host, double? seconds)
    {
        using (host)
        using (var stop = new StopSignal(seconds is double s ? TimeSpan.FromSeconds(s) : null))
        {
            var service = host.Services.GetRequiredService<AuthorizationServerService>();
            using CancellationTokenRegistration stopped = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(stop.Stop);
            await host.StartAsync(CancellationToken.None).ConfigureAwait(false);
            System.Net.IPEndPoint at;
            try
            {
                at = await service.Started.ConfigureAwait(false);
            }
            catch (Exception e) when (e is AuthorizationStoreException or ArgumentException or FormatException or System.Net.Sockets.SocketException or FileLockedException)
            {
                throw new CliUsageException(e.Message);
            }

            io.Out.WriteLine("popiot as serve: listening on coap://" + at + " (/token, /introspect)");
            io.Out.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            io.Out.WriteLine("popiot as serve: stopped");
            io.Out.Flush();
            return ExitCodes.Ok;
        }
    }

    private static Command Revoke(CliContext io)
    {
        var db = Db();
        var cti = new Option<string>("--cti") { Description = "The token's cti as HEX (see `popiot as tokens`).", Required = true };
        var cmd = new Command("revoke", "Revoke a token: introspection answers active=false from now on.") { db, cti };
        cmd.SetAction(p => Guard(() =>
        {
            byte[] id = CliInput.ParseHex(p.GetValue(cti)!, "--cti");
            using IAuthorizationStore store = AuthorizationStores.Open(p.GetValue(db)!);
            if (!store.RevokeToken(id))
            {
                throw new CliUsageException("no token with cti " + Convert.ToHexStringLower(id));
            }

            io.Out.WriteLine("revoked token " + Convert.ToHexStringLower(id));
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>A table cell: at most <see cref="MaxCell"/> characters, a longer value cut with "…".</summary>
    internal static string Cell(string value) => value.Length <= MaxCell ? value : value[..(MaxCell - 1)] + "…";

    /// <summary>Unix seconds as "yyyy-MM-dd HH:mm:ss" (UTC).</summary>
    internal static string Time(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Writes rows as aligned columns (the first row is the header).</summary>
    internal static void WriteTable(CliContext io, List<string[]> rows)
    {
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (string[] r in rows)
        {
            io.Out.WriteLine(string.Join("  ", r.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }
    }

    internal static string ExistsMessage(TargetExistsException e) =>
        e.Message + "; it holds a secret, so it is not overwritten (--force replaces it)";

    internal static Uri ParseAsUri(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out Uri? u) && u.Scheme == "coap" ? u : throw new CliUsageException("--as-uri must be a coap:// URI, not '" + text + "'");

    internal static Option<bool> ForceOption() => new("--force")
    {
        Description = "Replace output files that exist (they hold secrets, so they are never replaced by default).",
    };

    // Store and input problems are the operator's to fix: one line and exit 2 (docs/cli.md).
    internal static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (TargetExistsException e)
        {
            throw new CliUsageException(ExistsMessage(e));
        }
        catch (Exception e) when (e is AuthorizationStoreException or AuthorizationServerConfigurationException or FormatException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException(e.Message);
        }
    }
}
