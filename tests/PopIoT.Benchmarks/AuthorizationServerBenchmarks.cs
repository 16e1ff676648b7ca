using PopIoT.Ace;
using PopIoT.Core.Ace;
using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

using BenchmarkDotNet.Attributes;

using Microsoft.Data.Sqlite;

using PopIoT.AuthorizationServer;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Cbor;
using PopIoT.Crypto;

namespace PopIoT.Benchmarks;

/// <summary>
/// Tokens issued per second against SQLite: the token endpoint end to end (policy lookups, minting an
/// Encrypt0 CWT with a fresh OSCORE_Input_Material, a durable commit) for one client, and for 32 clients at once
/// (group commit shares the fsync). The baseline is the floor of durability: one row of the same size committed
/// alone with synchronous=FULL into a scratch table of the same file. Tokens/s = 1 / Mean.
/// Run: <c>dotnet run -c Release --project tests/PopIoT.Benchmarks -- --filter '*AuthorizationServer*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class AuthorizationServerBenchmarks
{
    private const int Concurrent = 32;
    private string _dir = string.Empty;
    private SqliteAuthorizationStore _store = null!;
    private AceAuthorizationServer _server = null!;
    private SqliteConnection _raw = null!;
    private byte[] _request = Array.Empty<byte>();
    private AcePeer[] _peers = Array.Empty<AcePeer>();
    private long _row;

    /// <summary>A database with one RS and 32 granted clients.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("popiot-as-bench-").FullName;
        string db = Path.Combine(_dir, "as.db");
        _store = SqliteAuthorizationStore.Create(db);
        var registry = new AuthorizationServerRegistry(_store, PlatformCryptoProvider.Instance.Random);
        registry.AddResourceServer("temp1");
        _peers = Enumerable.Range(0, Concurrent).Select(i =>
        {
            registry.AddClient("c" + i);
            registry.Grant("c" + i, "temp1", AccessScope.Parse("""[["/temp",1],["/led",5]]"""));
            return new AcePeer(false, "c" + i);
        }).ToArray();
        _server = new AceAuthorizationServer(_store, new AuthorizationServerSettings(), PlatformCryptoProvider.Instance);
        byte[] buffer = new byte[64];
        var w = new CborWriter(buffer);
        w.WriteStartMap(1);
        w.WriteInt32(AceParameters.Audience);
        w.WriteTextString("temp1");
        _request = buffer.AsSpan(0, w.BytesWritten).ToArray();

        _raw = new SqliteConnection("Data Source=" + db);
        _raw.Open();
        Exec("PRAGMA synchronous=FULL; CREATE TABLE scratch (id INTEGER PRIMARY KEY, cti BLOB, hash BLOB, client TEXT, aud TEXT, scope BLOB, cnf BLOB);");
    }

    /// <summary>Closes and deletes the database.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _raw.Dispose();
        _server.Dispose();
        _store.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The floor: one token-sized row committed on its own (one fsync).</summary>
    [Benchmark(Baseline = true)]
    public void CommitOneRow()
    {
        using SqliteCommand cmd = _raw.CreateCommand();
        cmd.CommandText = "INSERT INTO scratch VALUES ($id, randomblob(8), randomblob(32), 'c0', 'temp1', randomblob(25), randomblob(32))";
        cmd.Parameters.AddWithValue("$id", ++_row);
        cmd.ExecuteNonQuery();
    }

    /// <summary>One client asking for one token at a time.</summary>
    /// <returns>The response.</returns>
    [Benchmark]
    public async Task<AceResponse> IssueOneClient() => await _server.Token.HandleAsync(_peers[0], _request).ConfigureAwait(false);

    /// <summary>32 clients asking at once; per token.</summary>
    /// <returns>A task.</returns>
    [Benchmark(OperationsPerInvoke = Concurrent)]
    public Task Issue32Concurrent() => Task.WhenAll(_peers.Select(p => _server.Token.HandleAsync(p, _request)));

    private void Exec(string sql)
    {
        using SqliteCommand cmd = _raw.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
