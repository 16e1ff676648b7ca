using System.Globalization;
using PopIoT.AuthorizationServer.Storage;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The storage commands on both stores: `as tokens` filtered by the store, `as tokens purge` by hand and
/// `as serve --purge-every` on a schedule (docs/authorization-server.md, "Storage").
/// </summary>
public abstract class AsStorageCommandTests(StoreKind kind) : TempDirectoryTest
{
    private readonly List<TestStore> _stores = [];

    protected override void Dispose(bool disposing)
    {
        foreach (TestStore s in _stores)
        {
            s.Dispose();
        }

        base.Dispose(disposing);
    }

    private static CliRunner.Result Ok(params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, string.Join(' ', args) + " → " + r.ExitCode + ": " + r.Out + r.Error);
        return r;
    }

    // A registered RS and client, and three tokens: active, expired, revoked (their cti 01.., 02.., 03..).
    private string Database()
    {
        TestStore s = TestStore.Empty(kind);
        _stores.Add(s);
        Assert.Contains("(schema version ", Ok("as", "init", "--db", s.Db).Out, StringComparison.Ordinal);
        Ok("as", "rs", "add", "--db", s.Db, "--audience", "temp1", "--key-out", F("temp1.key"));
        Ok("as", "client", "add", "--db", s.Db, "--client-id", "gw1", "--credential-out", F("gw1.json"));
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using IAuthorizationStore store = AuthorizationStores.Open(s.Db);
        store.AddTokenAsync(Token(1, now - 10, now + 3600)).GetAwaiter().GetResult();
        store.AddTokenAsync(Token(2, now - 7200, now - 3600)).GetAwaiter().GetResult();
        store.AddTokenAsync(Token(3, now - 10, now + 3600)).GetAwaiter().GetResult();
        Assert.True(store.RevokeToken(Cti(3)));
        return s.Db;
    }

    private static byte[] Cti(byte n) => [n, 0, 0, 0, 0, 0, 0, 0];

    private static IssuedTokenRecord Token(byte n, long issuedAt, long expiresAt) =>
        new(Cti(n), [n, 1], "gw1", "temp1", [0x64, 0x72, 0x65, 0x61, 0x64], 2, issuedAt, expiresAt, null, expiresAt, [0xa0], false);

    [SkippableFact]
    public void Tokens_are_filtered_by_the_store_and_purged_by_hand()
    {
        string db = Database();
        Assert.Contains("3 token(s)", Ok("as", "tokens", "--db", db).Out, StringComparison.Ordinal);
        string active = Ok("as", "tokens", "--db", db, "--active").Out;
        Assert.Contains("1 token(s)", active, StringComparison.Ordinal);
        Assert.Contains("0100000000000000", active, StringComparison.Ordinal);
        Assert.Contains("0 token(s)", Ok("as", "tokens", "--db", db, "--client", "nobody").Out, StringComparison.Ordinal);

        Assert.Contains("purged 2 expired or revoked token(s)", Ok("as", "tokens", "purge", "--db", db).Out, StringComparison.Ordinal);
        string left = Ok("as", "tokens", "--db", db).Out;
        Assert.Contains("1 token(s)", left, StringComparison.Ordinal);
        Assert.Contains("0100000000000000", left, StringComparison.Ordinal);
        Assert.Contains("purged 0 expired or revoked token(s)", Ok("as", "tokens", "purge", "--db", db).Out, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Serve_purges_on_its_schedule_and_refuses_a_bad_interval()
    {
        string db = Database();
        CliRunner.Result bad = CliRunner.Run("as", "serve", "--db", db, "--purge-every", "-1");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("As:PurgeEverySeconds must be 0 (never) .. 31536000, not -1", bad.Error, StringComparison.Ordinal);

        string port = PopiotProcess.FreeUdpPort().ToString(CultureInfo.InvariantCulture);
        using PopiotProcess serve = PopiotProcess.Start("listening on", false, "as", "serve", "--db", db, "--bind", "127.0.0.1", "--port", port, "--purge-every", "1");

        // The first tick comes after one second; wait for its log line (bounded), not for a guessed time.
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (!serve.Error.Contains("purged 2 expired or revoked token(s)", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        Assert.Contains("purged 2 expired or revoked token(s)", serve.Error, StringComparison.Ordinal);
        using IAuthorizationStore store = AuthorizationStores.Open(db);
        Assert.Equal(Convert.ToHexString(Cti(1)), Convert.ToHexString(store.ListTokens().Single().Cti));
    }
}

/// <summary>The commands on SQLite.</summary>
public sealed class AsStorageCommandTestsOnSqlite() : AsStorageCommandTests(StoreKind.Sqlite);

/// <summary>The commands on PostgreSQL.</summary>
public sealed class AsStorageCommandTestsOnPostgres() : AsStorageCommandTests(StoreKind.Postgres);
