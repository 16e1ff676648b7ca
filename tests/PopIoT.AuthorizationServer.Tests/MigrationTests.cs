using Microsoft.Data.Sqlite;
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
}
