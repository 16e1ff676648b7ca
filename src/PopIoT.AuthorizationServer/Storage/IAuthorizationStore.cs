namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// Where the AS keeps its registries, policy and issued tokens. SQLite is the embedded default
/// (<see cref="SqliteAuthorizationStore"/>); the interface leaves room for a server database (PostgreSQL) shared by
/// several AS nodes. Implementations are thread-safe. Names that do not exist or already exist raise
/// <see cref="AuthorizationStoreException"/> with a message for the operator.
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
    /// running AS can tell cheaply that its OSCORE contexts are out of date.
    /// </summary>
    /// <returns>The registry's version.</returns>
    string RegistryVersion();

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

    /// <summary>Revokes a token.</summary>
    /// <param name="cti">Its cti.</param>
    /// <returns>False when no token has this cti.</returns>
    bool RevokeToken(byte[] cti);

    /// <summary>Reads the stored OSCORE Sender Sequence Number mark of a peer's context (RFC 8613 Appendix B.1.1).</summary>
    /// <param name="peer">The peer's name ("client:ID" or "rs:AUD").</param>
    /// <param name="value">The stored value.</param>
    /// <returns>True when one is stored.</returns>
    bool TryLoadSequenceNumber(string peer, out long value);

    /// <summary>Durably stores the OSCORE Sender Sequence Number mark of a peer's context.</summary>
    /// <param name="peer">The peer's name.</param>
    /// <param name="value">The first number not yet reserved.</param>
    void SaveSequenceNumber(string peer, long value);
}
