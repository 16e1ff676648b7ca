using PopIoT.Ace;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Endpoints;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Crypto;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// <c>popiot as migrate --from as.db --to postgres://…</c>: every row and every counter arrives, checked row by row;
/// a target that holds anything is refused unless --replace; the AS on the target goes on numbering where the source
/// stopped.
/// </summary>
public sealed class StoreMigrateTests : IDisposable
{
    private static readonly AcePeer Gw1 = new(false, "gw1");
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    [SkippableFact]
    public async Task Sqlite_to_postgres_keeps_every_row_and_the_sequences_and_refuses_a_full_target()
    {
        TestStore target = TestStore.Empty(StoreKind.Postgres);
        _owned.Add(target);

        // A source with something in every table: tokens (exp, exi, revoked), a re-keyed client that may not re-key
        // again, a stored Sender Sequence Number mark, and a cti prefix in use.
        var clock = new TestClock(1_800_000_000);
        string source;
        StoreSnapshot before;
        using (var bed = new AceTestBed(StoreKind.Sqlite))
        {
            var endpoint = new TokenEndpoint(bed.Store, PlatformCryptoProvider.Instance, clock, new AuthorizationServerSettings());
            for (int i = 0; i < 5; i++)
            {
                Assert.Null((await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("temp1"))).Error);
                Assert.Null((await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("enc1"))).Error);
            }

            Assert.True(bed.Store.RevokeToken(bed.Store.ListTokens()[0].Cti));
            Assert.True(bed.Store.SetIdContext("gw1", bed.Gw1.Credential.PeerSenderId, [1, 2, 3, 4]));
            Assert.True(bed.Store.SetRekeying("gw1", false));
            bed.Store.SaveSequenceNumber("client:gw1", 4096);
            before = bed.Store.ReadAll();
            source = Path.Combine(Path.GetTempPath(), "popiot-migrate-" + Guid.NewGuid().ToString("n") + ".db");
            using (var c = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + bed.DbPath + ";Pooling=False"))
            {
                // Everything into the main file (WAL mode), then a copy of the file is the whole database.
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                cmd.ExecuteNonQuery();
            }

            File.Copy(bed.DbPath, source);
        }

        try
        {
            CliRunner.Result r = CliRunner.Run("as", "migrate", "--from", source, "--to", target.Db);
            Assert.True(r.ExitCode == 0, r.Out + r.Error);
            Assert.True(r.Out.Contains(before.Clients.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " client(s)", StringComparison.Ordinal), r.Out);
            Assert.Contains("10 token(s)", r.Out, StringComparison.Ordinal);
            Assert.Contains("verified row by row", r.Out, StringComparison.Ordinal);

            using (IAuthorizationStore pg = AuthorizationStores.Open(target.Db))
            {
                // Row by row, every column, and the counters exactly.
                StoreSnapshot after = pg.ReadAll();
                Assert.Equal(before.Clients.Select(StoreSnapshotComparer.Row), after.Clients.Select(StoreSnapshotComparer.Row));
                Assert.Equal(before.ResourceServers.Select(StoreSnapshotComparer.Row), after.ResourceServers.Select(StoreSnapshotComparer.Row));
                Assert.Equal(before.Grants.Select(StoreSnapshotComparer.Row), after.Grants.Select(StoreSnapshotComparer.Row));
                Assert.Equal(before.Tokens.Select(StoreSnapshotComparer.Row), after.Tokens.Select(StoreSnapshotComparer.Row));
                Assert.Equal(before.OscoreSequences.OrderBy(e => e.Key), after.OscoreSequences.OrderBy(e => e.Key));
                Assert.Equal(before.ExiSequences.OrderBy(e => e.Key), after.ExiSequences.OrderBy(e => e.Key));
                Assert.Equal(before.CtiPrefix, after.CtiPrefix);
                Assert.True(before.CtiPrefix > 0);

                // The AS on the target continues every sequence: the next exi number on the same (frozen) clock, and a
                // cti prefix no source process had.
                var endpoint = new TokenEndpoint(pg, PlatformCryptoProvider.Instance, clock, new AuthorizationServerSettings());
                Assert.Null((await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("enc1"))).Error);
                Assert.Null((await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("temp1"))).Error);
                long[] exi = pg.QueryTokens(new TokenQuery(Audience: "enc1")).Select(t => ExiCti.SequenceOf(t.Cti, "enc1")).ToArray();
                Assert.Equal(before.ExiSequences["enc1"] + 1, exi[^1]);
                Assert.Equal(exi.Length, exi.Distinct().Count());
                Assert.Equal(before.CtiPrefix + 1, pg.ReserveCtiPrefix() - 1);
            }

            // The target now holds rows: a second copy is refused and changes nothing; --replace is the explicit way.
            CliRunner.Result again = CliRunner.Run("as", "migrate", "--from", source, "--to", target.Db);
            Assert.Equal(2, again.ExitCode);
            Assert.Contains("is not empty; give --replace to delete what it holds first", again.Error, StringComparison.Ordinal);
            using (IAuthorizationStore pg = AuthorizationStores.Open(target.Db))
            {
                Assert.Equal(12, pg.ListTokens().Count);
            }

            CliRunner.Result replaced = CliRunner.Run("as", "migrate", "--from", source, "--to", target.Db, "--replace");
            Assert.True(replaced.ExitCode == 0, replaced.Out + replaced.Error);
            using (IAuthorizationStore pg = AuthorizationStores.Open(target.Db))
            {
                Assert.Equal(before.Tokens.Select(StoreSnapshotComparer.Row), pg.ListTokens().Select(StoreSnapshotComparer.Row));

                // Counters never go down: the exi number the target handed out stays used.
                Assert.True(pg.TryLoadExiSequence("enc1", out long last));
                Assert.Equal(before.ExiSequences["enc1"] + 1, last);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(source);
        }
    }

    [SkippableFact]
    public void The_same_database_as_source_and_target_is_refused()
    {
        TestStore db = TestStore.Create(StoreKind.Sqlite, out IAuthorizationStore store);
        store.Dispose();
        _owned.Add(db);
        CliRunner.Result r = CliRunner.Run("as", "migrate", "--from", db.Db, "--to", db.Db);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--from and --to name the same database", r.Error, StringComparison.Ordinal);
    }
}
