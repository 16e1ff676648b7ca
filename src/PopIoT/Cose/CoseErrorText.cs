using PopIoT.Core.Cose;

namespace PopIoT.Cose;

/// <summary>One sentence per <see cref="CoseError"/>, for people: CLI output, logs and exceptions.</summary>
public static class CoseErrorText
{
    /// <summary>Returns a sentence saying what the reason means and, where it helps, what to check.</summary>
    /// <param name="error">The reason a COSE operation refused a message or key.</param>
    public static string Describe(CoseError error) => error switch
    {
        CoseError.None => "the message is valid.",
        CoseError.Malformed => "the message is not well-formed COSE (RFC 9052 §2): wrong CBOR structure or types.",
        CoseError.WrongTag => "the CBOR tag names another COSE message type than the one expected.",
        CoseError.MissingTag => "the message is untagged but a tagged message is required.",
        CoseError.DuplicateLabel => "a header label appears twice, or in both the protected and unprotected headers (RFC 9052 §3).",
        CoseError.AlgInUnprotectedHeader => "'alg' is in the unprotected header; PopIoT takes it only from the protected header.",
        CoseError.MissingAlgorithm => "the protected header has no 'alg'.",
        CoseError.CritNotProtected => "'crit' must be in the protected header (RFC 9052 §3.1).",
        CoseError.InvalidCrit => "'crit' must be a non-empty array of labels present in the protected header (RFC 9052 §3.1).",
        CoseError.UnknownCriticalHeader => "'crit' lists a header parameter this recipient does not understand (RFC 9052 §3.1).",
        CoseError.InvalidHeaderValue => "a header parameter has a value of the wrong type or size.",
        CoseError.IvAndPartialIv => "both 'IV' and 'Partial IV' are present (RFC 9052 §3.1 forbids it).",
        CoseError.LimitExceeded => "the message exceeds a size limit (headers, kid, IV or payload).",
        CoseError.DetachedContentNotSupported => "the payload is detached (nil); PopIoT verifies only attached payloads.",
        CoseError.AlgorithmMismatch => "the message's algorithm is not the one the key is pinned to.",
        CoseError.UnsupportedAlgorithm => "the algorithm is unknown, or this crypto provider does not implement it.",
        CoseError.KeyAlgorithmMissing => "the key has no 'alg'; pin one explicitly (--alg) so the message cannot choose it.",
        CoseError.KeyTypeMismatch => "the key's type does not fit the algorithm (for example a symmetric key offered for a signature).",
        CoseError.UnsupportedKeyType => "the key type or curve is not supported (compressed EC points are refused).",
        CoseError.InvalidKey => "the key material is invalid for its algorithm (size, or a point not on the curve).",
        CoseError.KeyOperationNotPermitted => "the key's 'key_ops' do not permit this operation.",
        CoseError.TagLengthInvalid => "the authentication tag has the wrong length for the algorithm (truncated or padded).",
        CoseError.TagMismatch => "the MAC tag does not match: wrong key or external_aad, or the message was changed.",
        CoseError.DecryptionFailed => "decryption failed: wrong key, IV or external_aad, or the message was changed; no plaintext was released.",
        CoseError.SignatureLengthInvalid => "the signature has the wrong length for the algorithm.",
        CoseError.SignatureInvalid => "the signature does not verify: wrong key, or the message was changed.",
        CoseError.MissingIv => "the message has no IV (nor a Partial IV with a context IV).",
        CoseError.IvLengthInvalid => "the IV has the wrong length for the algorithm.",
        CoseError.PlaintextBufferTooSmall => "the plaintext buffer is too small for the ciphertext.",
        _ => "refused (" + error + ").",
    };
}
