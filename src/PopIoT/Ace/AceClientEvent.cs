namespace PopIoT.Ace;

/// <summary>What an <see cref="AceClient"/> just did, for logs and the demo.</summary>
/// <param name="Kind">The step.</param>
/// <param name="ResourceServer">The resource server's authority ("host:port"), or null for steps with the AS only.</param>
/// <param name="Audience">The audience concerned, or null.</param>
/// <param name="Detail">A sentence without key material.</param>
public sealed record AceClientEvent(AceClientEventKind Kind, string? ResourceServer, string? Audience, string Detail);

/// <summary>The steps an <see cref="AceClient"/> reports.</summary>
public enum AceClientEventKind
{
    /// <summary>An unprotected request got 4.01 with AS Request Creation Hints (RFC 9200 §5.3).</summary>
    HintsReceived,

    /// <summary>A token was asked from the AS (RFC 9200 §5.8.1).</summary>
    TokenRequested,

    /// <summary>The AS issued a token (RFC 9200 §5.8.2).</summary>
    TokenIssued,

    /// <summary>A token was posted to a resource server's /authz-info and an OSCORE context derived (RFC 9203 §4).</summary>
    TokenPosted,

    /// <summary>A token near its expiry, or refused by the RS, was replaced by a new one.</summary>
    TokenRefreshed,

    /// <summary>A token kept from an earlier run (<see cref="AceClientOptions.TokenCache"/>) is used again.</summary>
    TokenReused,
}
