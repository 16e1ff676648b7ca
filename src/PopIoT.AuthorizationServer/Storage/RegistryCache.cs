using System.Collections.Concurrent;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// The registry rows a serving AS reads for every request (the RS, the client's grants for it, the client), kept in
/// memory under the registry's version (<see cref="IAuthorizationStore.RegistryVersion"/>, bumped in the transaction
/// of every registry change by any process). The version is read again when the store heard of a change
/// (<see cref="IAuthorizationStore.RegistryChangesHeard"/>: PostgreSQL's LISTEN/NOTIFY), when this process made one,
/// or when the last read is older than <see cref="IAuthorizationStore.RegistryVersionMaxAge"/> (every request for
/// SQLite, whose read is in-process). So a change made through any instance or the CLI reaches every instance at
/// once, and on PostgreSQL a request costs no registry query (docs/authorization-server.md, "Running a fleet").
/// Tokens are never cached: introspection and revocation read the token's row every time.
/// </summary>
internal sealed class RegistryCache
{
    private static long _localChanges;

    private readonly IAuthorizationStore _store;
    private readonly long _maxAge;
    private readonly Lock _gate = new();
    private Rows _rows = new(null, 0, 0);

    /// <summary>Creates the cache of one store.</summary>
    /// <param name="store">The store.</param>
    public RegistryCache(IAuthorizationStore store)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _maxAge = (long)store.RegistryVersionMaxAge.TotalMilliseconds;
    }

    /// <summary>Tells every cache of this process that the registry changed (after the change committed).</summary>
    public static void NoteLocalChange() => Interlocked.Increment(ref _localChanges);

    /// <summary>The registry's version, read again when older than the store's <see cref="IAuthorizationStore.RegistryVersionMaxAge"/>.</summary>
    /// <returns>The version.</returns>
    /// <exception cref="AuthorizationStoreException">The store cannot be read.</exception>
    public string Version() => Current().Version!;

    /// <summary>The RS, as <see cref="IAuthorizationStore.FindResourceServer"/>.</summary>
    /// <param name="audience">Its audience.</param>
    /// <returns>The RS, or null.</returns>
    public ResourceServerRecord? FindResourceServer(string audience)
    {
        // Only registered audiences are kept: a client naming ever new ones must not grow the cache.
        Rows rows = Current();
        if (rows.Servers.TryGetValue(audience, out ResourceServerRecord? rs))
        {
            return rs;
        }

        rs = _store.FindResourceServer(audience);
        return rs == null ? null : rows.Servers.GetOrAdd(audience, rs);
    }

    /// <summary>The client, as <see cref="IAuthorizationStore.FindClient"/> (the request's authenticated client).</summary>
    /// <param name="clientId">The client_id.</param>
    /// <returns>The client, or null.</returns>
    public ClientRecord? FindClient(string clientId) => Current().Clients.GetOrAdd(clientId, _store.FindClient);

    /// <summary>The grants, as <see cref="IAuthorizationStore.FindGrants"/> (an authenticated client, a registered RS).</summary>
    /// <param name="clientId">The client.</param>
    /// <param name="audience">The audience.</param>
    /// <returns>The grants.</returns>
    public IReadOnlyList<GrantRecord> FindGrants(string clientId, string audience) =>
        Current().Grants.GetOrAdd((clientId, audience), k => _store.FindGrants(k.Item1, k.Item2));

    // The rows under the newest version known. A row read after its version was read may be newer than that version,
    // never older, so a cache is at most one change behind until the next version read, which drops it.
    private Rows Current()
    {
        // The count is read before the version, so a change heard in between makes the next call read again.
        Rows rows = Volatile.Read(ref _rows);
        long changes = Interlocked.Read(ref _localChanges) + _store.RegistryChangesHeard;
        if (rows.IsFresh(changes, _maxAge))
        {
            return rows;
        }

        lock (_gate)
        {
            rows = _rows;
            if (rows.IsFresh(changes, _maxAge))
            {
                return rows;
            }

            string version = _store.RegistryVersion();
            rows = version == rows.Version ? rows.Renewed(changes) : new Rows(version, Environment.TickCount64, changes);
            Volatile.Write(ref _rows, rows);
            return rows;
        }
    }

    private sealed class Rows(string? version, long readAt, long changes)
    {
        private long _readAt = readAt;
        private long _changes = changes;

        public string? Version { get; } = version;

        public ConcurrentDictionary<string, ResourceServerRecord> Servers { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, ClientRecord?> Clients { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<(string, string), IReadOnlyList<GrantRecord>> Grants { get; } = new();

        public bool IsFresh(long changes, long maxAge) =>
            Version != null && Interlocked.Read(ref _changes) == changes && Environment.TickCount64 - Interlocked.Read(ref _readAt) < maxAge;

        // The same version read again: the rows stay valid, the age of the read starts again.
        public Rows Renewed(long changes)
        {
            Interlocked.Exchange(ref _changes, changes);
            Interlocked.Exchange(ref _readAt, Environment.TickCount64);
            return this;
        }
    }
}
