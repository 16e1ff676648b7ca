using PopIoT.Core.Ace;

namespace PopIoT.Ace;

/// <summary>What an <see cref="AccessTokenMinter"/> puts in a token.</summary>
public sealed class TokenMintRequest
{
    /// <summary>The default lifetime when neither <see cref="ExpiresInSeconds"/> nor <see cref="Exi"/> is set: one hour.</summary>
    public const long DefaultLifetimeSeconds = 3600;

    /// <summary>aud: the RS's audience (RFC 8392 §3.1.3).</summary>
    public required string Audience { get; init; }

    /// <summary>scope (RFC 9200 §5.8.1): text or AIF (RFC 9237).</summary>
    public required AccessScope Scope { get; init; }

    /// <summary>ace_profile (RFC 9200 §5.10.1.1); coap_oscore by default. Other numbers are minted as given (for tests of RSs that refuse them).</summary>
    public int Profile { get; init; } = AceProfile.CoapOscore;

    /// <summary>Lifetime as exp = now + this (RFC 8392 §3.1.4), for an RS with a clock. Excludes <see cref="Exi"/>.</summary>
    public long? ExpiresInSeconds { get; init; }

    /// <summary>exi: lifetime counted from the RS's receipt (RFC 9200 §5.10.3), for an RS without a clock. Excludes <see cref="ExpiresInSeconds"/>.</summary>
    public long? Exi { get; init; }

    /// <summary>
    /// For an exi token: the cti as the AS's sequence number for this RS (RFC 9200 §5.10.3: the RS accepts each number
    /// once), 0 .. 2^48 − 1, written after the audience (<see cref="ExiCti"/>). Null: <see cref="ExiCti.NextInProcess"/>.
    /// </summary>
    public long? ExiSequence { get; init; }

    /// <summary>
    /// The cti of a token without exi (RFC 8392 §3.1.7), made unique by the issuer (the AS: its cti prefix and a counter);
    /// null for 8 random bytes.
    /// </summary>
    public byte[]? Cti { get; init; }

    /// <summary>cnonce (RFC 9200 §5.3.1): the nonce the RS gave in its creation hints, echoed in the token; or null.</summary>
    public byte[]? Cnonce { get; init; }

    /// <summary>
    /// For an update of access rights (RFC 9203 §3.2): the id of the OSCORE_Input_Material the RS already holds. The
    /// token's cnf is then { kid: id } and no new Master Secret is made. Null for a new token.
    /// </summary>
    public byte[]? UpdateInputMaterialId { get; init; }

    /// <summary>The protection, or null for the minter's default (<see cref="AccessTokenMinter.DefaultProtection"/>).</summary>
    public TokenProtection? Protection { get; init; }

    /// <summary>The OSCORE AEAD (OSCORE_Input_Material alg): 10 (AES-CCM-16-64-128, the default), 11, 30 or 31.</summary>
    public int OscoreAlgorithm { get; init; } = 10;

    /// <summary>The OSCORE_Input_Material salt, or null for none.</summary>
    public byte[]? Salt { get; init; }

    /// <summary>The current time; null for the system clock.</summary>
    public DateTimeOffset? Now { get; init; }
}
