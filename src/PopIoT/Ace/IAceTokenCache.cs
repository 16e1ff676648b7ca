namespace PopIoT.Ace;

/// <summary>
/// Where an <see cref="AceClient"/> keeps the tokens it got between runs, by audience, so a process that runs once per
/// request (<c>popiot coap --ace</c>) reuses its token until it nears expiry instead of taking a new slot on the device
/// each time. An implementation holds key material (the OSCORE Master Secret of each token): keep it owner-only.
/// </summary>
public interface IAceTokenCache
{
    /// <summary>The token kept for an audience, or null.</summary>
    /// <param name="audience">The audience.</param>
    /// <param name="issuedAt">When it was issued (its expires_in counts from there).</param>
    /// <returns>The token file, or null.</returns>
    AccessTokenFile? Load(string audience, out DateTimeOffset issuedAt);

    /// <summary>Keeps a token for an audience, replacing the one kept before.</summary>
    /// <param name="audience">The audience.</param>
    /// <param name="token">The token with its key material.</param>
    /// <param name="issuedAt">When it was issued.</param>
    void Save(string audience, AccessTokenFile token, DateTimeOffset issuedAt);
}
