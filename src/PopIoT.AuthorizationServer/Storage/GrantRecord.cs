using PopIoT.Ace;


namespace PopIoT.AuthorizationServer.Storage;

/// <summary>Policy: a client may get tokens for an audience with at most this scope.</summary>
/// <param name="ClientId">The client.</param>
/// <param name="Audience">The resource server.</param>
/// <param name="Scope">The most it may get.</param>
public sealed record GrantRecord(string ClientId, string Audience, AccessScope Scope);
