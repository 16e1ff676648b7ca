namespace PopIoT.Core.Cwt;

/// <summary>
/// Why a CWT was refused. The first problem found wins, in the order: envelope (tags), COSE,
/// claims structure, required claims, audience, time, cnf. <see cref="CwtValidationResult"/> carries
/// the detail: the <see cref="Cose.CoseError"/> for <see cref="CoseFailed"/> and the claim key for
/// claim errors.
/// </summary>
public enum CwtError
{
    /// <summary>The token is valid: its claims and confirmation may be used.</summary>
    None = 0,

    /// <summary>Not well-formed CBOR, or the claims set is not a map with int/text keys (RFC 8392 §7.2 step 9).</summary>
    Malformed,

    /// <summary>Not a COSE_Mac0, COSE_Sign1 or COSE_Encrypt0 identified by its tag (RFC 8392 §6, §7.2 step 2), or untagged where the validator requires a tag.</summary>
    NotACwt,

    /// <summary>A COSE message type for which the validator holds no key (e.g. a Sign1 where only a Mac0 key is configured).</summary>
    UnexpectedMessageType,

    /// <summary>COSE verification or decryption failed; see <see cref="CwtValidationResult.CoseError"/>.</summary>
    CoseFailed,

    /// <summary>A nesting other than one COSE_Encrypt0 around a tagged COSE_Mac0 or COSE_Sign1 (RFC 8392 §7.1).</summary>
    NestingNotSupported,

    /// <summary>A claim key appears twice in the claims set (RFC 8392 §7.2 step 9: the claims set must be a valid map).</summary>
    DuplicateClaim,

    /// <summary>A claim has a value of the wrong type or out of range; see <see cref="CwtValidationResult.Claim"/>.</summary>
    InvalidClaim,

    /// <summary>A required claim is absent; see <see cref="CwtValidationResult.Claim"/>.</summary>
    MissingClaim,

    /// <summary>A fixed bound of <see cref="CwtLimits"/> or of the result's buffers was exceeded.</summary>
    LimitExceeded,

    /// <summary>now ≥ exp + skew (RFC 7519 §4.1.4).</summary>
    Expired,

    /// <summary>now &lt; nbf − skew (RFC 7519 §4.1.5).</summary>
    NotYetValid,

    /// <summary>aud is neither the expected audience nor an array containing it (RFC 7519 §4.1.3).</summary>
    AudienceMismatch,

    /// <summary>The validator has no time now and the token has no exi (RFC 9200 §5.10.3).</summary>
    NoExiWithoutClock,

    /// <summary>The cnf claim is not a map, names no method or more than one, or its method's value is malformed (RFC 8747 §3.1).</summary>
    InvalidCnf,

    /// <summary>The cnf method is not supported here (e.g. a multi-recipient COSE_Encrypt, or an unknown key type).</summary>
    UnsupportedCnf,

    /// <summary>The cnf holds an Encrypted_COSE_Key but the validator has no key to decrypt it.</summary>
    CnfKeyMissing,

    /// <summary>The Encrypted_COSE_Key did not decrypt; see <see cref="CwtValidationResult.CoseError"/>.</summary>
    CnfDecryptionFailed,

    /// <summary>A symmetric key or an OSCORE Master Secret is in clear in a token that is not encrypted (RFC 8747 §3.2, RFC 9203 §3.2).</summary>
    KeyMaterialNotEncrypted,

    /// <summary>The token's COSE type is not the one protection the validator is pinned to (<see cref="CwtValidator.TokenProtection"/>).</summary>
    ProtectionNotAllowed,
}
