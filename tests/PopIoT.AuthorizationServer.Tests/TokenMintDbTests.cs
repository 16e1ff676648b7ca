using PopIoT.Ace;
using PopIoT.AuthorizationServer.Endpoints;
using PopIoT.AuthorizationServer.Storage;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// <c>popiot token mint --exi --db</c>: the number of a hand-minted exi token comes from the AS database's exi sequence
/// of the RS, exactly last + 1, and the token is stored there; bad uses of --db get one clear line (docs/cli.md,
/// "Exi tokens and cti").
/// </summary>
public abstract class TokenMintDbTests(StoreKind kind) : TempDirectoryTest
{
    [SkippableFact]
    public void Hand_minted_exi_tokens_take_consecutive_numbers_from_the_database_and_are_stored_there()
    {
        using TestStore db = TestStore.Empty(kind);
        Ok("as", "init", "--db", db.Db);
        Ok("as", "rs", "add", "--db", db.Db, "--audience", "clockless", "--no-clock", "--key-out", F("device.key"));
        AsKey(db.Db);
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        CliRunner.Result first = Mint(db.Db, "one.json");
        Mint(db.Db, "two.json");

        using IAuthorizationStore store = AuthorizationStores.Open(db.Db);
        IssuedTokenRecord[] stored = [.. store.QueryTokens(new TokenQuery(Audience: "clockless"))];
        Assert.Equal(2, stored.Length);
        long a = Number(store, "one.json");
        long b = Number(store, "two.json");
        Assert.True(a >= before, "the first number of an RS starts at the clock in ms (" + a + " < " + before + ")");
        Assert.Equal(a + 1, b);
        Assert.Contains("cti number " + a, first.Out, StringComparison.Ordinal);
        Assert.True(store.TryLoadExiSequence("clockless", out long last));
        Assert.Equal(b, last);
        Assert.All(stored, t => Assert.Equal(HandMintedExiToken.ClientId, t.ClientId));
        Assert.All(stored, t => Assert.Equal([0xA0], t.Cnf));
    }

    [SkippableFact]
    public void After_an_offline_exi_token_the_operator_moves_the_sequence_to_the_clock_and_the_next_numbers_lie_above_it()
    {
        using TestStore db = TestStore.Empty(kind);
        Ok("as", "init", "--db", db.Db);
        Ok("as", "rs", "add", "--db", db.Db, "--audience", "clockless", "--no-clock", "--key-out", F("device.key"));
        AsKey(db.Db);
        Mint(db.Db, "first.json");
        using IAuthorizationStore store = AuthorizationStores.Open(db.Db);
        long first = Number(store, "first.json");
        Assert.Contains("last " + first + ";", Output("as", "rs", "exi-sequence", "--db", db.Db, "--audience", "clockless"), StringComparison.Ordinal);

        // Offline (no --db): a clock-scale number, above the AS's sequence; a device that burns it refuses lower ones.
        CliRunner.Result offline = CliRunner.Run("token", "mint", "--as-key", "@" + F("rs.key"), "--audience", "clockless", "--scope", "read", "--exi", "60", "--out", F("offline.json"));
        Assert.True(offline.ExitCode == 0, offline.Error);
        long burnt = long.Parse(offline.Out.Split("cti number ")[1].Split(' ', ',')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(burnt > first + 1);

        // The operator's fix: move the AS's sequence up to the clock; the next token (AS or --db) lies above the burnt one.
        Output("as", "rs", "exi-sequence", "--db", db.Db, "--audience", "clockless", "--to-clock");
        Mint(db.Db, "after.json");
        Assert.True(Number(store, "after.json") > burnt, Number(store, "after.json") + " <= " + burnt);

        // Never down: a second move keeps what is there when the clock is not ahead of it.
        store.AdvanceExiSequence("clockless", 5);
        Assert.True(store.TryLoadExiSequence("clockless", out long last));
        Assert.Equal(Number(store, "after.json"), last);
    }

    [SkippableFact]
    public void Bad_uses_of_db_are_refused_with_one_line_and_take_no_number()
    {
        using TestStore db = TestStore.Empty(kind);
        Ok("as", "init", "--db", db.Db);
        Ok("as", "rs", "add", "--db", db.Db, "--audience", "clockless", "--no-clock", "--key-out", F("device.key"));
        AsKey(db.Db);

        Assert.Contains("add --exi", Refused("token", "mint", "--as-key", "@" + F("rs.key"), "--audience", "clockless", "--scope", "read", "--exp", "60", "--db", db.Db, "--out", F("t.json")), StringComparison.Ordinal);
        Assert.Contains("not a resource server of this database", Refused("token", "mint", "--as-key", "@" + F("rs.key"), "--audience", "other", "--scope", "read", "--exi", "60", "--db", db.Db, "--out", F("t.json")), StringComparison.Ordinal);
        Assert.Contains("does not exist", Refused("token", "mint", "--as-key", "@" + F("rs.key"), "--audience", "clockless", "--scope", "read", "--exi", "60", "--db", F("missing.db"), "--out", F("t.json")), StringComparison.Ordinal);
        Assert.Contains("cannot reach", Refused("token", "mint", "--as-key", "@" + F("rs.key"), "--audience", "clockless", "--scope", "read", "--exi", "60", "--db", "postgres://nobody@127.0.0.1:1/none", "--out", F("t.json")), StringComparison.Ordinal);

        // A token that cannot be minted (encrypt0 needs an AEAD key; the RS key here is MAC + AEAD, so ask for sign1)
        // gives its number back.
        Refused("token", "mint", "--as-key", "@" + F("rs.key"), "--audience", "clockless", "--scope", "read", "--exi", "60", "--protection", "sign1", "--db", db.Db, "--out", F("t.json"));
        Assert.False(File.Exists(F("t.json")));
        using IAuthorizationStore store = AuthorizationStores.Open(db.Db);
        Assert.False(store.TryLoadExiSequence("clockless", out _));
        Assert.Empty(store.ListTokens());
    }

    // The number of the stored token whose bytes are in FILE.
    private long Number(IAuthorizationStore store, string file) =>
        ExiCti.SequenceOf(store.FindTokenByHash(System.Security.Cryptography.SHA256.HashData(AccessTokenFile.Load(F(file)).AccessToken))!.Cti, "clockless");

    // The AS's side of the RS's key set (what the AS mints with), as `token mint --as-key @rs.key` reads it.
    private void AsKey(string db)
    {
        using IAuthorizationStore store = AuthorizationStores.Open(db);
        File.WriteAllText(F("rs.key"), Convert.ToHexStringLower(store.FindResourceServer("clockless")!.CoseKey));
    }

    private CliRunner.Result Mint(string db, string file)
    {
        CliRunner.Result r = CliRunner.Run("token", "mint", "--as-key", "@" + F("rs.key"), "--audience", "clockless", "--scope", "read", "--exi", "60", "--db", db, "--out", F(file));
        Assert.True(r.ExitCode == 0, r.Out + r.Error);
        return r;
    }

    private static string Refused(params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 2, "popiot " + string.Join(' ', args) + " exited " + r.ExitCode + ": " + r.Out + r.Error);
        Assert.DoesNotContain("   at ", r.Error, StringComparison.Ordinal);
        return r.Error;
    }

    private static string Output(params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, "popiot " + string.Join(' ', args) + " exited " + r.ExitCode + ": " + r.Out + r.Error);
        return r.Out;
    }

    private static void Ok(params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, "popiot " + string.Join(' ', args) + " exited " + r.ExitCode + ": " + r.Out + r.Error);
    }
}

/// <summary>On SQLite.</summary>
public sealed class TokenMintDbTestsOnSqlite() : TokenMintDbTests(StoreKind.Sqlite);

/// <summary>On PostgreSQL.</summary>
public sealed class TokenMintDbTestsOnPostgres() : TokenMintDbTests(StoreKind.Postgres);
