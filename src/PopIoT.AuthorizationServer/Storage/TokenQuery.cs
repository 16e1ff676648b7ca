namespace PopIoT.AuthorizationServer.Storage;

/// <summary>Which issued tokens to list (<see cref="IAuthorizationStore.QueryTokens"/>); null means any.</summary>
/// <param name="ClientId">Only those issued to this client.</param>
/// <param name="Audience">Only those for this audience.</param>
/// <param name="ActiveAt">Only those neither revoked nor expired at this time (Unix seconds on the AS clock).</param>
public sealed record TokenQuery(string? ClientId = null, string? Audience = null, long? ActiveAt = null);
