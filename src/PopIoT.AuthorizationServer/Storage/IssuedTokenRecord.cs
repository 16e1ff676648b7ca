namespace PopIoT.AuthorizationServer.Storage;

/// <summary>A token the AS issued, as stored (the token bytes themselves are not kept, only their SHA-256).</summary>
/// <param name="Cti">The unique CWT ID (RFC 8392 §3.1.7).</param>
/// <param name="TokenHash">SHA-256 of the token, to find it at introspection.</param>
/// <param name="ClientId">Who got it.</param>
/// <param name="Audience">For which RS.</param>
/// <param name="Scope">The scope in the token, CBOR-encoded.</param>
/// <param name="Profile">The ace_profile.</param>
/// <param name="IssuedAt">When, Unix seconds (AS clock).</param>
/// <param name="Exp">The exp claim, or null.</param>
/// <param name="Exi">The exi claim in seconds, or null.</param>
/// <param name="ExpiresAt">When it stops being active, Unix seconds on the AS clock (exp, or issued_at + exi).</param>
/// <param name="Cnf">The encoded cnf map given to the client (secret: it holds the PoP key).</param>
/// <param name="Revoked">Whether revoked.</param>
public sealed record IssuedTokenRecord(
    byte[] Cti, byte[] TokenHash, string ClientId, string Audience, byte[] Scope, int Profile, long IssuedAt, long? Exp, long? Exi, long ExpiresAt, byte[] Cnf, bool Revoked);
