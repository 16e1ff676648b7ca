namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// Where the AS keeps its registries, policy and issued tokens. SQLite is the embedded default
/// (<see cref="SqliteAuthorizationStore"/>); PostgreSQL (<see cref="PostgresAuthorizationStore"/>) is shared by several
/// AS instances. <see cref="AuthorizationStores"/> opens either from one <c>--db</c> value. Implementations are
/// thread-safe and correct with other processes writing the same database. Names that do not exist or already exist
/// raise <see cref="AuthorizationStoreException"/> with a message for the operator.
/// </summary>
public interface IAuthorizationStore : IDisposable
{
    /// <summary>Registers a client; its <see cref="OscoreCredential.PeerSenderId"/> must be unused by every peer.</summary>
    /// <param name="client">The client.</param>
    void AddClient(ClientRecord client);

    /// <summary>Finds a client.</summary>
    /// <param name="clientId">The client_id.</param>
    /// <returns>The client, or null.</returns>
    ClientRecord? FindClient(string clientId);

    /// <summary>All clients.</summary>
    /// <returns>The clients, by client_id.</returns>
    IReadOnlyList<ClientRecord> ListClients();

    /// <summary>Registers a resource server.</summary>
    /// <param name="server">The RS.</param>
    void AddResourceServer(ResourceServerRecord server);

    /// <summary>Finds a resource server.</summary>
    /// <param name="audience">Its audience.</param>
    /// <returns>The RS, or null.</returns>
    ResourceServerRecord? FindResourceServer(string audience);

    /// <summary>All resource servers.</summary>
    /// <returns>The servers, by audience.</returns>
    IReadOnlyList<ResourceServerRecord> ListResourceServers();

    /// <summary>Removes a client or resource server with its grants, and revokes the tokens issued to or for it.</summary>
    /// <param name="isResourceServer">True for a resource server (by audience), false for a client (by client_id).</param>
    /// <param name="name">The client_id or audience.</param>
    /// <returns>The number of tokens revoked, or -1 when there was no such registration.</returns>
    int Remove(bool isResourceServer, string name);

    /// <summary>Replaces the OSCORE context a client or resource server authenticates to the AS with (re-keying, RFC 8613 Appendix B.2).</summary>
    /// <param name="isResourceServer">True for a resource server, false for a client.</param>
    /// <param name="name">The client_id or audience.</param>
    /// <param name="credential">The new context (a new Master Secret and a new Sender ID).</param>
    /// <exception cref="AuthorizationStoreException">No such registration, or the Sender ID is taken.</exception>
    void ReplaceCredential(bool isResourceServer, string name, OscoreCredential credential);

    /// <summary>Allows or forbids a client to re-key with the AS by itself (RFC 8613 Appendix B.2).</summary>
    /// <param name="clientId">The client_id.</param>
    /// <param name="allowed">Whether it may.</param>
    /// <returns>False when there is no such client.</returns>
    bool SetRekeying(string clientId, bool allowed);

    /// <summary>
    /// Records the ID Context a client re-keyed to with the AS (RFC 8613 Appendix B.2 step 4), if the client is still
    /// registered with that Sender ID and allowed to re-key.
    /// </summary>
    /// <param name="clientId">The client_id.</param>
    /// <param name="peerSenderId">The client's Sender ID the new context was derived for.</param>
    /// <param name="idContext">The new ID Context.</param>
    /// <returns>True when recorded.</returns>
    bool SetIdContext(string clientId, byte[] peerSenderId, byte[] idContext);

    /// <summary>
    /// A value that changes whenever a client or resource server is added, removed or re-keyed (by any process), so a
    /// running AS can tell cheaply that its OSCORE contexts are out of date: a version row bumped in the transaction of
    /// every registry change, read with one indexed query.
    /// </summary>
    /// <returns>The registry's version.</returns>
    string RegistryVersion();

    /// <summary>
    /// How long a serving AS may trust a <see cref="RegistryVersion"/> it read before reading it again (RegistryCache)
    /// when <see cref="RegistryChangesHeard"/> has not moved: zero where the read costs no round trip (SQLite), a
    /// safety net behind the pushed changes otherwise (PostgreSQL).
    /// </summary>
    TimeSpan RegistryVersionMaxAge { get; }

    /// <summary>
    /// A count that moves when the store hears that another process changed the registry (PostgreSQL: LISTEN/NOTIFY),
    /// or on every read while it cannot hear; constant where changes are not pushed (SQLite).
    /// </summary>
    long RegistryChangesHeard { get; }

    /// <summary>Whether any client or RS already uses this OSCORE Sender ID.</summary>
    /// <param name="peerSenderId">The ID.</param>
    /// <returns>True when taken.</returns>
    bool IsPeerSenderIdTaken(byte[] peerSenderId);

    /// <summary>Adds to what a client may get for an audience (both must exist).</summary>
    /// <param name="grant">The grant.</param>
    void AddGrant(GrantRecord grant);

    /// <summary>The grants of a client for an audience.</summary>
    /// <param name="clientId">The client.</param>
    /// <param name="audience">The audience.</param>
    /// <returns>The grants (empty when none).</returns>
    IReadOnlyList<GrantRecord> FindGrants(string clientId, string audience);

    /// <summary>Stores an issued token durably: when the task completes the record is committed.</summary>
    /// <param name="token">The record.</param>
    /// <param name="cancellationToken">Cancels waiting (the write may still happen).</param>
    /// <returns>A task that completes after the commit.</returns>
    Task AddTokenAsync(IssuedTokenRecord token, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a token for an RS without a clock durably, numbering it inside the transaction that stores it: the
    /// store takes the RS's exi sequence number (RFC 9200 §5.10.3) from its own table — exactly the last number + 1,
    /// or <paramref name="first"/> for an RS that has none yet — calls <paramref name="mint"/> with it and commits the
    /// token with the new number, so the numbers of an RS run without gap or repeat across processes and restarts and
    /// none is used up without its token. A mint that returns null (a refusal) or a token that cannot be stored takes
    /// no number.
    /// </summary>
    /// <param name="audience">The RS.</param>
    /// <param name="first">The number to start an RS's sequence with (the AS and `token mint` give the time in ms,
    /// docs/cli.md "Exi tokens and cti"), 0 .. 2^48 − 1.</param>
    /// <param name="mint">Mints the token with the given number, or returns null to store nothing.</param>
    /// <param name="cancellationToken">Cancels waiting (the write may still happen).</param>
    /// <returns>The stored record, or null when <paramref name="mint"/> returned null.</returns>
    Task<IssuedTokenRecord?> AddExiTokenAsync(string audience, long first, Func<long, IssuedTokenRecord?> mint, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reserves a cti prefix no process has had on this database (a counter in the database), so the cti values an AS
    /// instance makes from it with its own counter never collide with another instance's, before or after a restart.
    /// </summary>
    /// <returns>The prefix, 1 .. 2^32 − 1.</returns>
    long ReserveCtiPrefix();

    /// <summary>The last exi sequence number of an RS (RFC 9200 §5.10.3).</summary>
    /// <param name="audience">The RS.</param>
    /// <param name="last">The last number used, or 0.</param>
    /// <returns>True when the RS has one.</returns>
    bool TryLoadExiSequence(string audience, out long last);

    /// <summary>
    /// Moves an RS's exi sequence up to at least <paramref name="atLeast"/>, never down (RFC 9200 §5.10.3: a lower number
    /// would be taken for a used one): for a device that burnt a higher number from an offline minter (docs/cli.md,
    /// "Exi tokens and cti"). The next token gets the returned number + 1.
    /// </summary>
    /// <param name="audience">The RS.</param>
    /// <param name="atLeast">The lowest last number wanted, 0 .. 2^48 − 1.</param>
    /// <returns>The RS's last number now.</returns>
    long AdvanceExiSequence(string audience, long atLeast);

    /// <summary>Finds a token by the SHA-256 of its bytes.</summary>
    /// <param name="tokenHash">The hash.</param>
    /// <returns>The record, or null.</returns>
    IssuedTokenRecord? FindTokenByHash(byte[] tokenHash);

    /// <summary>Finds a token by cti.</summary>
    /// <param name="cti">The cti.</param>
    /// <returns>The record, or null.</returns>
    IssuedTokenRecord? FindTokenByCti(byte[] cti);

    /// <summary>The tokens issued to a client for an audience, oldest first.</summary>
    /// <param name="clientId">The client.</param>
    /// <param name="audience">The audience.</param>
    /// <returns>The records.</returns>
    IReadOnlyList<IssuedTokenRecord> FindTokens(string clientId, string audience);

    /// <summary>All issued tokens, oldest first.</summary>
    /// <returns>The records.</returns>
    IReadOnlyList<IssuedTokenRecord> ListTokens();

    /// <summary>The issued tokens that match a filter, oldest first (indexed by client, audience and expiry).</summary>
    /// <param name="query">The filter.</param>
    /// <returns>The records.</returns>
    IReadOnlyList<IssuedTokenRecord> QueryTokens(TokenQuery query);

    /// <summary>
    /// Deletes the tokens that are expired or revoked at <paramref name="now"/>. Introspection answers active=false
    /// for an unknown token as for an expired one (RFC 7662 §2.2), and the exi sequence lives in its own table, so
    /// nothing the AS answers or numbers depends on the rows removed.
    /// </summary>
    /// <param name="now">Unix seconds on the AS clock.</param>
    /// <returns>The number of tokens deleted.</returns>
    int PurgeTokens(long now);

    /// <summary>Revokes a token.</summary>
    /// <param name="cti">Its cti.</param>
    /// <returns>False when no token has this cti.</returns>
    bool RevokeToken(byte[] cti);

    /// <summary>Reads everything the store holds, in one consistent view (<c>popiot as migrate</c>).</summary>
    /// <returns>The contents.</returns>
    StoreSnapshot ReadAll();

    /// <summary>
    /// Writes a snapshot into this store in one transaction: every row, and the counters raised to the snapshot's
    /// values. The store must hold no client, RS, grant or token, unless <paramref name="replace"/> says to delete what
    /// it holds first; it never merges and never overwrites silently.
    /// </summary>
    /// <param name="snapshot">The contents.</param>
    /// <param name="replace">Delete this store's contents first.</param>
    /// <exception cref="AuthorizationStoreException">The store is not empty and <paramref name="replace"/> is false.</exception>
    void WriteAll(StoreSnapshot snapshot, bool replace);

    /// <summary>Reads the stored OSCORE Sender Sequence Number mark of a peer's context (RFC 8613 Appendix B.1.1).</summary>
    /// <param name="peer">The peer's name ("client:ID" or "rs:AUD").</param>
    /// <param name="value">The stored value.</param>
    /// <returns>True when one is stored.</returns>
    bool TryLoadSequenceNumber(string peer, out long value);

    /// <summary>
    /// Claims <paramref name="count"/> Sender Sequence Numbers of a peer's context for this process (RFC 8613
    /// Appendix B.1.1): raises the stored mark by <paramref name="count"/> in one atomic step and returns where the
    /// claimed block starts, so AS instances sharing the context never use one number twice.
    /// </summary>
    /// <param name="peer">The peer's name ("client:ID" or "rs:AUD").</param>
    /// <param name="count">How many numbers to claim.</param>
    /// <returns>The first claimed number (0 for a context never used).</returns>
    long ClaimSequenceNumbers(string peer, long count);

    /// <summary>Raises a peer's stored mark from <paramref name="from"/> to <paramref name="to"/>, only if no process moved it since.</summary>
    /// <param name="peer">The peer's name.</param>
    /// <param name="from">The mark this process last wrote.</param>
    /// <param name="to">The new mark.</param>
    /// <returns>False when another process claimed numbers in between (then none of them may be used).</returns>
    bool ExtendSequenceNumbers(string peer, long from, long to);

    /// <summary>
    /// Durably stores the OSCORE Sender Sequence Number mark of a peer's context; a mark below the stored one leaves it
    /// (numbers once reserved are never handed out again, RFC 8613 §7.2.1).
    /// </summary>
    /// <param name="peer">The peer's name.</param>
    /// <param name="value">The first number not yet reserved.</param>
    void SaveSequenceNumber(string peer, long value);
}
