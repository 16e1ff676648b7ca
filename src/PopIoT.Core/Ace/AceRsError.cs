namespace PopIoT.Core.Ace;

/// <summary>
/// Why the resource server refused something (or <see cref="None"/> when it accepted). Every rejection has its own
/// value so a host can log it by name (<c>ToString()</c>) and a test can assert the exact reason. The CoAP code and the
/// ACE error code each reason is answered with are given by <see cref="AceRsErrors"/>; docs/ace-rs.md has the table.
/// </summary>
public enum AceRsError
{
    /// <summary>Accepted.</summary>
    None = 0,

    // ---- /authz-info: the request itself (4.00 invalid_request unless noted) ----

    /// <summary>The /authz-info payload is not a well-formed CBOR map with integer keys (RFC 9200 §5.10.1).</summary>
    MalformedPayload,

    /// <summary>
    /// A Content-Format other than application/ace+cbor (19), or application/cwt (61) on an RS that serves coap_dtls, was
    /// given (4.15 Unsupported Content-Format).
    /// </summary>
    UnsupportedContentFormat,

    /// <summary>
    /// A coap_oscore token posted as application/cwt: RFC 9203 §4.1 requires application/ace+cbor, the map that carries
    /// nonce1 and ace_client_recipientid (or, for an update, the token alone) (4.00 invalid_request).
    /// </summary>
    AceCborRequired,

    /// <summary>The map has no access_token (1), or it is not a byte string.</summary>
    MissingAccessToken,

    /// <summary>nonce1 (40) is missing while ace_client_recipientid is present, or is not a byte string of an accepted length (RFC 9203 §4.1).</summary>
    InvalidNonce1,

    /// <summary>ace_client_recipientid (43) is missing while nonce1 is present, not a byte string, or longer than 7 bytes (RFC 8613 §3.3).</summary>
    InvalidClientRecipientId,

    /// <summary>The token is larger than <see cref="AceRsSettings.MaxTokenSize"/> (4.13 Request Entity Too Large).</summary>
    TokenTooLarge,

    /// <summary>The block-wise transfer of the /authz-info body failed (4.00, 4.08 or 4.13 as RFC 7959 says).</summary>
    BlockwiseFailed,

    // ---- /authz-info: the token (4.01 unless noted) ----

    /// <summary>The token is not well-formed CBOR / COSE / claims (4.00 invalid_request).</summary>
    TokenMalformed,

    /// <summary>The token is not a COSE message this RS holds a key for (tag or type unexpected), or not of the one protection the RS is pinned to (<see cref="AceResourceServer.TokenProtection"/>).</summary>
    TokenTypeNotAccepted,

    /// <summary>The MAC, signature or AEAD tag did not verify under the AS–RS key: forged or modified (RFC 8392 §7.2).</summary>
    TokenVerificationFailed,

    /// <summary>The token's COSE headers name an algorithm other than the one pinned to the AS–RS key, put alg in the unprotected header, or carry an unknown crit (algorithm rollback, RFC 9052 §3.1).</summary>
    TokenAlgorithmNotAllowed,

    /// <summary>aud is not this RS (4.03, RFC 9200 §5.10.1.1).</summary>
    AudienceMismatch,

    /// <summary>exp has passed (RFC 8392 §3.1.4), checked with the RS clock.</summary>
    TokenExpired,

    /// <summary>nbf is in the future.</summary>
    TokenNotYetValid,

    /// <summary>The token gives no lifetime the RS can enforce (no exp/exi with a clock; no exi without one, RFC 9200 §5.10.3).</summary>
    TokenLifetimeMissing,

    /// <summary>A required claim (aud, cti with exi, cnf, scope) is missing or has the wrong type.</summary>
    TokenClaimInvalid,

    /// <summary>An exi token numbered at or below the highest expired, replaced or evicted one, or not above the token it replaces (RFC 9200 §5.10.3).</summary>
    TokenCtiReplayed,

    /// <summary>The token's cnonce is not one this RS issued in its recent Creation Hints (RFC 9200 §5.3, §5.10.3).</summary>
    CnonceUnknown,

    /// <summary>ace_profile is present and is not coap_oscore (4.00 incompatible_ace_profiles, RFC 9200 §5.10.1.1).</summary>
    UnknownProfile,

    /// <summary>cnf is absent or is a method this profile cannot use (4.00 unsupported_pop_key, RFC 9203 §3.2).</summary>
    UnsupportedConfirmation,

    /// <summary>cnf is malformed, or its Encrypted_COSE_Key did not decrypt.</summary>
    ConfirmationInvalid,

    /// <summary>An OSCORE Master Secret or symmetric key in clear in a token that is not encrypted (RFC 9203 §3.2, RFC 8747 §3.2).</summary>
    KeyMaterialNotEncrypted,

    /// <summary>The OSCORE_Input_Material names an hkdf or alg this RS does not implement (4.00 unsupported_pop_key).</summary>
    UnsupportedAlgorithm,

    /// <summary>The scope is not a text string or an AIF array (RFC 9237), or names nothing this RS has (4.00 invalid_scope).</summary>
    InvalidScope,

    /// <summary>A token without nonces (an access-rights update, RFC 9203 §4.1) whose PoP key matches no stored token.</summary>
    NoTokenToUpdate,

    /// <summary>An access-rights update protected with a different client's context than the token it updates.</summary>
    UpdateFromWrongContext,

    /// <summary>An access-rights update (a new token without nonces) posted without OSCORE (4.01, RFC 9203 §4.1).</summary>
    UpdateNotProtected,

    /// <summary>The RS could not pick a Recipient ID distinct from the client's and unique among its live contexts.</summary>
    NoRecipientIdAvailable,

    // ---- /authz-info: admission (RFC 9200 §5.10.1.2; each with Max-Age, docs/ace-rs.md "Admission") ----

    /// <summary>Every slot holds a token whose context verified a request within the protection time, so none may be evicted for a new token (5.03, Max-Age = seconds until one may).</summary>
    TableFull,

    /// <summary>This peer posted to /authz-info faster than its rate limit allows (4.29 Too Many Requests, RFC 8516; Max-Age = seconds until it may post again).</summary>
    PeerRateLimited,

    /// <summary>All peers together posted to /authz-info faster than the endpoint's rate limit allows (5.03, Max-Age = seconds until it takes a post again).</summary>
    AuthzInfoOverloaded,

    // ---- protected requests ----

    /// <summary>A request without OSCORE to a protected resource: 4.01 with AS Request Creation Hints (RFC 9200 §5.3).</summary>
    NotProtected,

    /// <summary>No OSCORE context for the request's kid: never posted, evicted or expired (4.01, RFC 8613 §8.2).</summary>
    SecurityContextNotFound,

    /// <summary>The request's Partial IV was seen before or is too old (4.01, RFC 8613 §7.4).</summary>
    Replay,

    /// <summary>The request did not decrypt under the context its kid names (4.00, RFC 8613 §8.2): wrong key.</summary>
    DecryptionFailed,

    /// <summary>The OSCORE option or COSE object is malformed (4.02, RFC 8613 §8.2).</summary>
    BadOscoreOption,

    /// <summary>
    /// The request verified, but a decrypted (Inner) option is critical and not recognized: protected 4.02
    /// (RFC 8613 §8.2 step 8, RFC 7252 §5.4.1); the resource does not run.
    /// </summary>
    UnrecognizedCriticalOption,

    /// <summary>The decrypted request is larger than the processor's buffers (4.13).</summary>
    RequestTooLarge,

    /// <summary>The context's replay window is unknown and the request must prove freshness with Echo (protected 4.01).</summary>
    FreshnessRequired,

    /// <summary>The token bound to the context has expired (exp or exi); its slot and context were freed (4.01).</summary>
    TokenExpiredAtAccess,

    /// <summary>The token's scope does not cover this resource at all (4.03, RFC 9200 §5.10.2).</summary>
    ScopeDenied,

    /// <summary>The token's scope covers this resource but not this method on it (4.05, RFC 9200 §5.10.2).</summary>
    MethodNotInScope,

    /// <summary>The decrypted request names no resource (4.04).</summary>
    ResourceNotFound,

    /// <summary>The resource does not serve this method (4.05, RFC 7252 §5.9.2.6).</summary>
    MethodNotAllowed,

    /// <summary>The response could not be protected (5.00).</summary>
    ResponseProtectionFailed,

    /// <summary>
    /// An exi token arrived while the highest burnt exi number is not safely in storage (unreadable at start, or its last
    /// write failed): the RS cannot tell an old token from a new one, so it takes none (5.03; docs/ace-rs.md, "Persistence").
    /// </summary>
    ExiStateUnavailable,

    // ---- the coap_dtls profile (RFC 9202) ----

    /// <summary>
    /// A token for one profile arrived under the other's protection: a coap_oscore token over a DTLS session, or a
    /// coap_dtls token over OSCORE (4.00 incompatible_ace_profiles; an OSCORE token gives no DTLS key and vice versa).
    /// </summary>
    ProfileMismatch,

    /// <summary>
    /// A psk_identity that selects no valid token (RFC 9202 §3.3.2): not CBOR, a kid form naming no stored coap_dtls
    /// token, or a token that was refused. The handshake ends with illegal_parameter.
    /// </summary>
    PskIdentityInvalid,

    /// <summary>A request over a DTLS session whose token is gone (expired, replaced or evicted): 4.01 with AS Request Creation Hints (RFC 9202 §3.4).</summary>
    SessionWithoutToken,

    /// <summary>
    /// A coap_dtls token whose cnf is a public key (RPK mode, RFC 9202 §3.2) at an RS that serves PSK mode only, as every
    /// board does (nanoFramework has no elliptic curves): 4.00 unsupported_pop_key.
    /// </summary>
    RpkNotServed,

    /// <summary>
    /// The public key in cnf is not an EC2 P-256 key with 32-byte x and y (RFC 9052 §7.1.1), the only key of
    /// TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 7251): 4.00 unsupported_pop_key. A key with its private part d or without a
    /// coordinate is refused by the cnf parser already (<see cref="ConfirmationInvalid"/>).
    /// </summary>
    RpkKeyInvalid,

    /// <summary>
    /// A DTLS handshake's raw public key (RFC 7250) is the cnf of no valid coap_dtls token posted to /authz-info
    /// (RFC 9202 §3.2.1): the handshake is aborted and nothing is bound.
    /// </summary>
    RpkKeyUnknown,
}
