namespace PopIoT.Core.Oscore;

/// <summary>
/// The outcome of protecting or verifying an OSCORE message (RFC 8613 §8). Every bad input maps to one of these;
/// <see cref="OscoreErrors"/> gives the §8 error code and diagnostic text for each.
/// </summary>
public enum OscoreStatus
{
    /// <summary>The message was protected or verified.</summary>
    Ok = 0,

    /// <summary>The message carries no OSCORE option (RFC 8613 §2): it is plain CoAP.</summary>
    NotProtected,

    /// <summary>The OSCORE option or the COSE object failed to decode: 4.02 Bad Option (RFC 8613 §8.2 step 2).</summary>
    BadOption,

    /// <summary>No Recipient Context for the 'kid' (and 'kid context'): 4.01 Unauthorized (RFC 8613 §8.2 step 2).</summary>
    SecurityContextNotFound,

    /// <summary>AEAD verification failed: 4.00 Bad Request (RFC 8613 §8.2 step 6).</summary>
    DecryptionFailed,

    /// <summary>The Partial IV was seen before or is older than the window: 4.01 Unauthorized (RFC 8613 §7.4).</summary>
    ReplayDetected,

    /// <summary>
    /// The request decrypted, but the context's replay window is unknown (after a reboot) and the request has no valid
    /// Echo: answer with a protected 4.01 carrying an Echo option (RFC 8613 Appendix B.1.2, RFC 9175 §2.4).
    /// </summary>
    FreshnessRequired,

    /// <summary>
    /// The request verified (the replay window was updated), but a decrypted option is an unrecognized critical one:
    /// answer with <see cref="OscoreProcessor.ProtectBadOption"/>, a 4.02 Bad Option protected under the context
    /// (RFC 8613 §8.2 step 8, RFC 7252 §5.4.1). The request must not reach the application.
    /// </summary>
    UnrecognizedCriticalOption,

    /// <summary>The Sender Sequence Number reached its maximum; the context must be replaced (RFC 8613 §7.2.1).</summary>
    SequenceNumberExhausted,

    /// <summary>
    /// The store could not durably reserve the next Sender Sequence Numbers, so nothing was protected (RFC 8613 §7.2.1,
    /// Appendix B.1.1); the store says why. A later call tries the write again.
    /// </summary>
    SequenceNumberNotReserved,

    /// <summary>The message does not fit the processor's buffers or the message's option slots.</summary>
    MessageTooLarge,

    /// <summary>The message cannot be protected as given (e.g. a Proxy-Uri option, which RFC 8613 §4.1.3.3 needs decomposed).</summary>
    Unsupported,
}
