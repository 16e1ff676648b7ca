using System.CommandLine;
using System.Globalization;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Endpoints;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.IO;

namespace PopIoT.Cli.Commands;

/// <summary><c>popiot token mint</c>: a developer tool that mints an access token and TOKEN.json as an AS would (docs/device.md).</summary>
internal static class TokenCommand
{
    /// <summary>The scope syntax of <c>token mint</c> and <c>as grant</c> (one parser: <see cref="AccessScope.Parse"/>).</summary>
    internal const string ScopeHelp = "A text scope (\"read admin\"), an AIF scope (RFC 9237) as JSON with methods as a number or names ([[\"/temp\",1],[\"/led\",\"GET|PUT\"]], Dynamic-GET .. for the dynamic bits) or cbor:HEX.";

    public static Command Create(CliContext io)
    {
        var asKey = new Option<string[]>("--as-key")
        {
            Description = "The AS–RS key (COSE_Key as HEX or @FILE) pinned by its alg: an AEAD key (Encrypt0 tokens), a MAC key (Mac0 tokens), or both (Mac0 with the Master Secret sealed by the AEAD key). Repeat for two keys.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var audience = new Option<string>("--audience") { Description = "aud: the device's audience, e.g. coap://rs1.", Required = true };
        var scope = new Option<string>("--scope")
        {
            Description = ScopeHelp,
            Required = true,
        };
        var profile = new Option<string>("--profile")
        {
            Description = "ace_profile: coap_oscore (default), coap_dtls (RFC 9202: a fresh PSK in cnf, or only its kid when an --as-key has key_ops [derive key]; with --client-key the client's raw public key) or a number.",
            DefaultValueFactory = _ => "coap_oscore",
        };
        var clientKey = new Option<string?>("--client-key") { Description = "coap_dtls RPK mode: the client's public EC2 P-256 COSE_Key (HEX or @FILE), bound in cnf (RFC 9202 §3.2.1)." };
        var exp = new Option<long?>("--exp") { Description = "Valid for S seconds from now as exp (default 3600), for a device with a clock." };
        var exi = new Option<long?>("--exi") { Description = "Valid for S seconds from the device's receipt (exi, RFC 9200 §5.10.3), for a device without a clock." };
        var db = new Option<string?>("--db")
        {
            Description = "With --exi: the AS database (SQLite file or postgres://…) whose exi sequence for --audience numbers the token, shared with the AS without gaps; the token is stored there. Without it the number counts milliseconds (docs/cli.md, \"Exi tokens and cti\").",
        };
        var protection = new Option<string?>("--protection") { Description = "mac0 (needs a MAC and an AEAD --as-key), sign1 (a private ES256 key and an AEAD key) or encrypt0 (an AEAD --as-key). Default: mac0 when a MAC key is given, else sign1 when a signing key is." };
        protection.AcceptOnlyFromAmong("mac0", "encrypt0", "sign1");
        var output = new Option<string>("--out", "-o") { Description = "Where to write TOKEN.json (holds the Master Secret: created owner-only, never over an existing file without --force).", Required = true };
        var force = AsCommand.ForceOption();
        var mint = new Command("mint", "Mint an access token with fresh key material (coap_oscore: an OSCORE Master Secret; coap_dtls: a PSK or the client's public key), and write it with the client's key material to TOKEN.json.")
        {
            asKey, audience, scope, profile, exp, exi, protection, output, force, clientKey, db,
        };
        mint.SetAction(p => Mint(io, new MintArgs(p.GetValue(asKey)!, p.GetValue(audience)!, p.GetValue(scope)!, p.GetValue(profile)!, p.GetValue(exp), p.GetValue(exi), p.GetValue(protection), p.GetValue(output)!, p.GetValue(force), p.GetValue(clientKey), p.GetValue(db))));
        return new Command("token", "Access tokens for devices (developer tools).") { mint };
    }

    private static int Mint(CliContext io, MintArgs a)
    {
        (string[] keyArgs, string audience, string scopeText, string profileText, long? exp, long? exi, string? protectionText, string output, bool force, string? clientKeyArg, string? db) = a;
        try
        {
            SecretFile.CheckWritable(output, force);
        }
        catch (TargetExistsException e)
        {
            throw new CliUsageException(AsCommand.ExistsMessage(e));
        }

        if (exp != null && exi != null)
        {
            throw new CliUsageException("--exp and --exi exclude each other (exi is for a device without a clock)");
        }

        if (db != null && exi == null)
        {
            throw new CliUsageException("--db numbers exi tokens from the AS database's exi sequence: add --exi SECONDS (tokens with exp need no number)");
        }

        if (exp is < 1 || exi is < 1)
        {
            throw new CliUsageException("--exp and --exi take a number of seconds of at least 1");
        }

        AccessScope scope;
        int profile;
        try
        {
            scope = AccessScope.Parse(scopeText);
            profile = AceProfileNames.Parse(profileText);
        }
        catch (FormatException e)
        {
            throw new CliUsageException(e.Message);
        }

        using CliKeySet keys = CliKeys.ParseKeys(keyArgs, io.Stdin, "--as-key");
        using PopIoT.Core.Cose.CoseKey? client = clientKeyArg == null ? null : CliKeys.ParseKey(clientKeyArg, io.Stdin, "--client-key");
        if (client != null && profile != PopIoT.Core.Ace.AceProfile.CoapDtls)
        {
            throw new CliUsageException("--client-key binds a raw public key, which only coap_dtls does (RFC 9202 §3.2.1): add --profile coap_dtls");
        }

        AccessTokenFile file;
        try
        {
            using var minter = new AccessTokenMinter(keys.Keys);
            var now = DateTimeOffset.UtcNow;
            TokenMintRequest Request(long? sequence) => new()
            {
                Audience = audience,
                Scope = scope,
                Profile = profile,
                ExpiresInSeconds = exp,
                Exi = exi,
                ExiSequence = sequence,
                Protection = protectionText switch { "mac0" => TokenProtection.Mac0, "encrypt0" => TokenProtection.Encrypt0, "sign1" => TokenProtection.Sign1, _ => null },
                ClientPublicKey = client,
                Now = now,
            };

            // Offline: the clock-scale number of this process. With --db: the RS's next number in the AS's sequence,
            // taken in the transaction that stores the token (RFC 9200 §5.10.3; docs/cli.md, "Exi tokens and cti").
            file = db == null ? minter.Mint(Request(null)) : MintStored(db, audience, now, n => minter.Mint(Request(n)));
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException(e.Message);
        }

        try
        {
            file.Save(output, force);
        }
        catch (TargetExistsException e)
        {
            throw new CliUsageException(AsCommand.ExistsMessage(e));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException("cannot write '" + output + "': " + e.Message);
        }
        finally
        {
            Array.Clear(file.MasterSecret);
            if (file.Psk != null)
            {
                Array.Clear(file.Psk);
            }
        }

        string life = file.Exi is long x ? "exi " + x.ToString(CultureInfo.InvariantCulture) + " s, cti number " + ExiCti.SequenceOf(file.Cti!, audience).ToString(CultureInfo.InvariantCulture) + (db == null ? "" : " from " + AuthorizationStores.Display(db)) : "exp " + DateTimeOffset.FromUnixTimeSeconds(file.Expiration!.Value).ToString("u", CultureInfo.InvariantCulture);
        io.Out.WriteLine("popiot token mint: " + file.Protection + " token of " + file.AccessToken.Length.ToString(CultureInfo.InvariantCulture)
            + " bytes for " + audience + ", scope " + scope + ", profile " + AceProfileNames.Name(profile) + ", " + life + " -> " + output);
        return ExitCodes.Ok;
    }

    private static AccessTokenFile MintStored(string db, string audience, DateTimeOffset now, Func<long, AccessTokenFile> mint)
    {
        if (!AuthorizationStores.IsPostgres(db) && !File.Exists(db))
        {
            throw new CliUsageException("--db: database '" + db + "' does not exist; give the AS's database (`popiot as init --db` creates one)");
        }

        try
        {
            using IAuthorizationStore store = AuthorizationStores.Open(db);
            return HandMintedExiToken.MintAsync(store, audience, now, mint).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is AuthorizationStoreException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException("--db " + AuthorizationStores.Display(db) + ": " + e.Message);
        }
    }

    private sealed record MintArgs(string[] Keys, string Audience, string Scope, string Profile, long? Exp, long? Exi, string? Protection, string Output, bool Force, string? ClientKey, string? Db);
}
