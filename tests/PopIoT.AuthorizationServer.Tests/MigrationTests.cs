using Microsoft.Data.Sqlite;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Storage;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>The versioned SQLite schema: ordered migrations upgrade old files; newer files are refused.</summary>
public sealed class MigrationTests : TempDirectoryTest
{
    private string NewFile()
    {
        string path = Path.Combine(Dir, Guid.NewGuid().ToString("n") + ".db");
        using (var c = new SqliteConnection("Data Source=" + path))
        {
            c.Open();
        }

        return path;
    }

    [Fact]
    public void A_version_1_database_is_upgraded_on_open_and_keeps_its_data()
    {
        string path = NewFile();
        using (SqliteAuthorizationStore v1 = SqliteAuthorizationStore.Open(path, 1))
        {
            Assert.Equal(1, v1.SchemaVersion);
            new AuthorizationServerRegistry(v1, Crypto.PlatformCryptoProvider.Instance.Random).AddClient("old");
            Assert.Throws<SqliteException>(() => v1.SaveSequenceNumber("client:old", 64)); // no such table yet
        }

        using SqliteAuthorizationStore latest = SqliteAuthorizationStore.Open(path);
        Assert.Equal(SqliteAuthorizationStore.LatestSchemaVersion, latest.SchemaVersion);
        Assert.Equal(4, SqliteAuthorizationStore.LatestSchemaVersion);
        ClientRecord old = latest.FindClient("old")!;

        // Schema 3: a client registered before may re-key with the AS (RFC 8613 Appendix B.2) and has no ID Context yet.
        Assert.True(old.Rekeying);
        Assert.Null(old.Credential.IdContext);
        latest.SaveSequenceNumber("client:old", 64);
        Assert.True(latest.TryLoadSequenceNumber("client:old", out long v));
        Assert.Equal(64, v);
    }

    [Fact]
    public void A_newer_schema_than_known_is_refused_with_a_clear_error()
    {
        string path = NewFile();
        using (SqliteAuthorizationStore.Open(path))
        {
        }

        using (var c = new SqliteConnection("Data Source=" + path + ";Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO schema_version VALUES (99)";
            cmd.ExecuteNonQuery();
        }

        var e = Assert.Throws<AuthorizationStoreException>(() => SqliteAuthorizationStore.Open(path));
        Assert.Contains("has schema version 99, newer than this popiot knows (4)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_and_existing_files_are_clear_errors_and_a_new_file_is_in_wal_mode()
    {
        string missing = Path.Combine(Dir, "none.db");
        Assert.Contains("does not exist; create it with `popiot as init", Assert.Throws<AuthorizationStoreException>(() => SqliteAuthorizationStore.Open(missing)).Message, StringComparison.Ordinal);
        using (SqliteAuthorizationStore.Create(missing))
        {
        }

        Assert.Contains("already exists", Assert.Throws<AuthorizationStoreException>(() => SqliteAuthorizationStore.Create(missing)).Message, StringComparison.Ordinal);
        using var c = new SqliteConnection("Data Source=" + missing + ";Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", cmd.ExecuteScalar());

        string junk = Path.Combine(Dir, "junk.db");
        File.WriteAllText(junk, new string('x', 4096));
        Assert.Contains("is not an SQLite database", Assert.Throws<AuthorizationStoreException>(() => SqliteAuthorizationStore.Open(junk)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_4_starts_each_exi_sequence_at_the_highest_number_stored_and_the_registry_version_at_1()
    {
        // A version 3 file with exi tokens of two RSs (numbers 7 and 9 for "a", 1_000 for "b") and an exp token.
        string path = NewFile();
        using (SqliteAuthorizationStore v3 = SqliteAuthorizationStore.Open(path, 3))
        {
            foreach ((string aud, long n) in new[] { ("a", 7L), ("a", 9L), ("b", 1_000L) })
            {
                await v3.AddTokenAsync(new IssuedTokenRecord(ExiCti.Encode(aud, n), [(byte)n, (byte)(n >> 8), 1], "c", aud, [1], 2, 100, null, 60, 160, [2], false));
            }

            await v3.AddTokenAsync(new IssuedTokenRecord([9, 9, 9, 9, 9, 9, 9, 9], [3], "c", "a", [1], 2, 100, 160, null, 160, [2], false));
        }

        using SqliteAuthorizationStore latest = SqliteAuthorizationStore.Open(path);
        Assert.True(latest.TryLoadExiSequence("a", out long a));
        Assert.Equal(9, a);
        Assert.True(latest.TryLoadExiSequence("b", out long b));
        Assert.Equal(1_000, b);
        Assert.False(latest.TryLoadExiSequence("c", out _));
        Assert.Equal("1", latest.RegistryVersion());

        // From here the table, not the tokens, numbers: purging every token leaves the sequence where it was.
        Assert.Equal(4, latest.PurgeTokens(long.MaxValue));
        Assert.True(latest.TryLoadExiSequence("a", out a));
        Assert.Equal(9, a);
    }
}
