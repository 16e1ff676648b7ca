using PopIoT.Core.Cwt;

namespace PopIoT.Cose;

/// <summary>One sentence per <see cref="CwtError"/>, for people: CLI output, logs and exceptions.</summary>
public static class CwtErrorText
{
    /// <summary>Returns a sentence saying what the reason means; COSE failures add the COSE reason.</summary>
    /// <param name="result">A validation result.</param>
    public static string Describe(CwtValidationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string claim = result.Claim == 0 ? "" : " (claim " + (ClaimName(result.Claim) ?? result.Claim.ToString(System.Globalization.CultureInfo.InvariantCulture)) + ")";
        return result.Error switch
        {
            CwtError.None => "the token is valid.",
            CwtError.Malformed => "the token is not well-formed: not CBOR, or the claims set is not a map with integer or text keys (RFC 8392 §7.2).",
            CwtError.NotACwt => "not a CWT: expected a tagged COSE_Mac0, COSE_Sign1 or COSE_Encrypt0, optionally inside CWT tag 61 (RFC 8392 §6).",
            CwtError.UnexpectedMessageType => "no key is configured for this COSE message type (for example a Sign1 token checked with a symmetric key).",
            CwtError.CoseFailed => "the COSE layer refused it: " + result.CoseError + ": " + CoseErrorText.Describe(result.CoseError),
            CwtError.NestingNotSupported => "unsupported nesting: only one COSE_Encrypt0 around a tagged COSE_Mac0 or COSE_Sign1 is accepted (RFC 8392 §7.1).",
            CwtError.DuplicateClaim => "a claim appears twice" + claim + "; a claims set is a map with unique keys (RFC 8392 §7.2).",
            CwtError.InvalidClaim => "a claim has the wrong type or an out-of-range value" + claim + ".",
            CwtError.MissingClaim => "a required claim is missing" + claim + ".",
            CwtError.LimitExceeded => "the token exceeds a size limit.",
            CwtError.Expired => "the token has expired: now is at or after exp plus the allowed clock skew (RFC 7519 §4.1.4).",
            CwtError.NotYetValid => "the token is not valid yet: now is before nbf minus the allowed clock skew (RFC 7519 §4.1.5).",
            CwtError.AudienceMismatch => "the token is for another audience: aud neither equals nor contains the expected one.",
            CwtError.NoExiWithoutClock => "without a clock only tokens with exi can be checked (RFC 9200 §5.10.3), and this one has none.",
            CwtError.InvalidCnf => "the cnf claim is malformed: it must be a map with exactly one confirmation method (RFC 8747 §3.1).",
            CwtError.UnsupportedCnf => "the cnf method or its key type is not supported here.",
            CwtError.CnfKeyMissing => "the cnf holds an Encrypted_COSE_Key but no key to decrypt it was given (--cnf-key).",
            CwtError.CnfDecryptionFailed => "the Encrypted_COSE_Key in cnf did not decrypt: " + result.CoseError + ": " + CoseErrorText.Describe(result.CoseError),
            CwtError.KeyMaterialNotEncrypted => "the token carries a symmetric key or OSCORE master secret in clear without being encrypted (RFC 8747 §3.2, RFC 9203 §3.2).",
            CwtError.ProtectionNotAllowed => "the token's COSE type is not the one protection this RS is pinned to (a key held for another purpose never verifies a token).",
            _ => "refused (" + result.Error + ")" + claim + ".",
        };
    }

    private static string? ClaimName(long key) => key is >= int.MinValue and <= int.MaxValue ? CwtClaimKey.Name((int)key) : null;
}
