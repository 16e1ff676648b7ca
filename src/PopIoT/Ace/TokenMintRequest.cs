using PopIoT.Core.Ace;
using PopIoT.Core.Cose;

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

    /// <summary>
    /// ace_profile (RFC 9200 §5.10.1.1); coap_oscore by default. coap_dtls binds a DTLS PSK or the client's raw public key
    /// (RFC 9202 §3); other numbers are minted as given with OSCORE input material (for tests of RSs that refuse them).
    /// </summary>
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
    /// For an update of access rights: the kid of the PoP key the RS already holds — the id of the
    /// OSCORE_Input_Material (RFC 9203 §3.2) or the kid of the DTLS PSK (RFC 9202 §4). The token's cnf is then
    /// { kid: id } (RFC 8747 §3.4) and no new key is made. Null for a new token.
    /// </summary>
    public byte[]? UpdateKid { get; init; }

    /// <summary>
    /// coap_dtls in RPK mode (RFC 9202 §3.2.1): the client's public key from req_cnf (EC2 P-256, no private part),
    /// written into the token's cnf. Null for PSK mode.
    /// </summary>
    public CoseKey? ClientPublicKey { get; init; }

    /// <summary>coap_dtls in RPK mode: the RS's public COSE_Key (rs_cnf, RFC 9201 §5), kept in the client's copy; or null.</summary>
    public byte[]? RsPublicKey { get; init; }

    /// <summary>
    /// coap_dtls in PSK mode: the kid of the new PSK, made unique for the RS by the issuer (the AS: from its cti source,
    /// RFC 9202 §3.3); null to draw random kids checked with <see cref="KidInUse"/>.
    /// </summary>
    public byte[]? PskKid { get; init; }

    /// <summary>
    /// coap_dtls in PSK mode: tells whether a kid is already used for this RS (RFC 9202 §3.3: a kid unique among the
    /// AS's kids for the RS); the minter draws again while it answers true. Null: no kid is taken.
    /// </summary>
    public Func<byte[], bool>? KidInUse { get; init; }

    /// <summary>The protection, or null for the minter's default (<see cref="AccessTokenMinter.DefaultProtection"/>).</summary>
    public TokenProtection? Protection { get; init; }

    /// <summary>The OSCORE AEAD (OSCORE_Input_Material alg): 10 (AES-CCM-16-64-128, the default), 11, 30 or 31.</summary>
    public int OscoreAlgorithm { get; init; } = 10;

    /// <summary>The OSCORE_Input_Material salt, or null for none.</summary>
    public byte[]? Salt { get; init; }

    /// <summary>The current time; null for the system clock.</summary>
    public DateTimeOffset? Now { get; init; }
}
