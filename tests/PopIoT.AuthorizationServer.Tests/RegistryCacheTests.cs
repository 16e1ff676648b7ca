using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using PopIoT.Ace;
using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Endpoints;
using PopIoT.AuthorizationServer.Storage;
using PopIoT.Core.Ace;
using PopIoT.Crypto;

namespace PopIoT.AuthorizationServer.Tests;

/// <summary>
/// The registry rows a token request reads (the RS, the grants, the client) come from the AS's memory under the
/// registry version (RegistryCache): read once per version, and read again at the next request after a change made
/// through any store object (docs/authorization-server.md, "Running a fleet").
/// </summary>
public abstract class RegistryCacheTests(StoreKind kind) : IDisposable
{
    private static readonly AcePeer Gw1 = new(false, "gw1");
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        GC.SuppressFinalize(this);
    }

    [SkippableFact]
    public async Task Registry_rows_are_read_once_per_version_and_a_change_made_elsewhere_is_seen_at_the_next_request()
    {
        TestStore db = TestStore.Create(kind, out IAuthorizationStore admin);
        _owned.Add(db);
        _owned.Add(admin);
        var registry = new AuthorizationServerRegistry(admin, PlatformCryptoProvider.Instance.Random);
        registry.AddResourceServer("temp1");
        registry.AddClient("gw1");
        registry.Grant("gw1", "temp1", AccessScope.Parse("read"));
        IAuthorizationStore serving = AuthorizationStores.Open(db.Db);
        _owned.Add(serving);
        IAuthorizationStore counted = CountingStore.Wrap(serving, out ConcurrentDictionary<string, int> calls);
        var endpoint = new TokenEndpoint(counted, PlatformCryptoProvider.Instance, new TestClock(1_800_000_000), new AuthorizationServerSettings());

        for (int i = 0; i < 10; i++)
        {
            Assert.Null((await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("temp1"))).Error);
        }

        Assert.Equal(1, calls.GetValueOrDefault("FindResourceServer"));
        Assert.Equal(1, calls.GetValueOrDefault("FindGrants"));
        Assert.True(calls.GetValueOrDefault("FindClient") <= 1);

        // A grant added through another store object: the next request gets the wider scope.
        registry.Grant("gw1", "temp1", AccessScope.Parse("write"));
        Assert.Null((await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("temp1", AccessScope.Parse("write").Encode()))).Error);
        Assert.Equal(2, calls.GetValueOrDefault("FindGrants"));

        // Removed elsewhere: refused at the next request, as by a store without a cache.
        Assert.Equal(11, admin.Remove(false, "gw1")); // its tokens are revoked with it
        Assert.Equal(AceErrorCode.UnauthorizedClient, (await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("temp1"))).Error);

        // Audiences nobody registered are never kept: a client naming ever new ones cannot grow the cache.
        int before = calls.GetValueOrDefault("FindResourceServer");
        for (int i = 0; i < 3; i++)
        {
            Assert.NotNull((await endpoint.HandleAsync(Gw1, AceTestBed.TokenRequest("nobody"))).Error);
        }

        Assert.Equal(before + 3, calls.GetValueOrDefault("FindResourceServer"));
    }

    /// <summary>A store that counts the calls of each member by name and passes them on.</summary>
    public class CountingStore : DispatchProxy
    {
        private IAuthorizationStore? _inner;

        public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

        public static IAuthorizationStore Wrap(IAuthorizationStore inner, out ConcurrentDictionary<string, int> calls)
        {
            IAuthorizationStore proxy = Create<IAuthorizationStore, CountingStore>();
            var counting = (CountingStore)(object)proxy;
            counting._inner = inner;
            calls = counting.Calls;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            Calls.AddOrUpdate(targetMethod.Name, 1, (_, n) => n + 1);
            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException != null)
            {
                ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }
        }
    }
}

/// <summary>On SQLite.</summary>
public sealed class RegistryCacheTestsOnSqlite() : RegistryCacheTests(StoreKind.Sqlite);

/// <summary>On PostgreSQL.</summary>
public sealed class RegistryCacheTestsOnPostgres() : RegistryCacheTests(StoreKind.Postgres);
