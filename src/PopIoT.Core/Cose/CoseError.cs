namespace PopIoT.Core.Cose;

/// <summary>
/// Why a COSE message or key was refused. Every verify/decrypt result carries exactly one; the
/// first problem found wins, in the order: key set-up, CBOR structure, headers, algorithm, crypto.
/// </summary>
public enum CoseError
{
    /// <summary>Verified (or decrypted): the payload may be used.</summary>
    None = 0,

    /// <summary>Not well-formed CBOR, or not the CDDL shape of the message (RFC 9052 §4.2, §5.2, §6.2).</summary>
    Malformed,

    /// <summary>A CBOR tag other than this message type's own (e.g. 18 offered to Mac0), or more than one tag.</summary>
    WrongTag,

    /// <summary>The verifier requires the message's CBOR tag and it is missing.</summary>
    MissingTag,

    /// <summary>A header label appears twice, in one bucket or in both (RFC 9052 §3).</summary>
    DuplicateLabel,

    /// <summary>alg is in the unprotected bucket; PopIoT takes it from the protected bucket only (RFC 9052 §3.1).</summary>
    AlgInUnprotectedHeader,

    /// <summary>No alg in the protected bucket.</summary>
    MissingAlgorithm,

    /// <summary>crit is in the unprotected bucket (RFC 9052 §3.1: it MUST be protected).</summary>
    CritNotProtected,

    /// <summary>crit is empty, not an array of int/tstr labels, or lists a label absent from the protected bucket (RFC 9052 §3.1).</summary>
    InvalidCrit,

    /// <summary>crit lists a label this verifier does not understand (RFC 9052 §3.1).</summary>
    UnknownCriticalHeader,

    /// <summary>A known header has a value of the wrong type (e.g. a kid that is not a bstr), or a label that is neither int nor tstr.</summary>
    InvalidHeaderValue,

    /// <summary>Both IV and Partial IV are present (RFC 9052 §3.1).</summary>
    IvAndPartialIv,

    /// <summary>A fixed bound of <see cref="CoseLimits"/> was exceeded.</summary>
    LimitExceeded,

    /// <summary>The payload (or ciphertext) is nil: detached content is not supported here.</summary>
    DetachedContentNotSupported,

    /// <summary>The message's alg is a known algorithm but not the one the key is pinned to.</summary>
    AlgorithmMismatch,

    /// <summary>The message's or the key's alg is not implemented here, or the crypto provider lacks it.</summary>
    UnsupportedAlgorithm,

    /// <summary>The key has no alg and the caller gave no explicit allowed algorithm; the message alone never chooses.</summary>
    KeyAlgorithmMissing,

    /// <summary>The key's type or algorithm belongs to another message type (e.g. a MAC key offered for Sign1), or kty/crv do not fit the alg.</summary>
    KeyTypeMismatch,

    /// <summary>A COSE_Key whose kty, or crv, is not supported here (or y is a compressed-point bool).</summary>
    UnsupportedKeyType,

    /// <summary>The key lacks a part the algorithm needs or a part has the wrong length.</summary>
    InvalidKey,

    /// <summary>key_ops is present and does not permit this operation (RFC 9052 §7.1).</summary>
    KeyOperationNotPermitted,

    /// <summary>The MAC tag (or the AEAD ciphertext, shorter than its tag) does not have the algorithm's length.</summary>
    TagLengthInvalid,

    /// <summary>The MAC tag does not match.</summary>
    TagMismatch,

    /// <summary>The AEAD tag does not match; no plaintext was released.</summary>
    DecryptionFailed,

    /// <summary>The signature does not have the algorithm's length (64 bytes for ES256 and EdDSA).</summary>
    SignatureLengthInvalid,

    /// <summary>The signature does not verify.</summary>
    SignatureInvalid,

    /// <summary>Encrypt0 without IV, or with a Partial IV but no context IV.</summary>
    MissingIv,

    /// <summary>IV length differs from the algorithm's nonce size, or a Partial IV is longer than it.</summary>
    IvLengthInvalid,

    /// <summary>The caller's plaintext buffer is too small for this message's ciphertext.</summary>
    PlaintextBufferTooSmall,
}
