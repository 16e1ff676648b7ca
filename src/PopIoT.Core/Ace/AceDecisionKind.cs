namespace PopIoT.Core.Ace;

/// <summary>What a security decision of the <see cref="AceResourceServer"/> was about.</summary>
public enum AceDecisionKind
{
    /// <summary>A new token was stored and a new OSCORE context derived (2.01).</summary>
    TokenStored = 0,

    /// <summary>The same token was posted again: no new slot (2.01; with new nonces the context is re-derived in place).</summary>
    TokenDuplicate,

    /// <summary>A new token for the same PoP key replaced the stored one's rights; the context was kept (RFC 9203 §4.1).</summary>
    RightsUpdated,

    /// <summary>An /authz-info POST was refused; see <see cref="AceDecision.Error"/>.</summary>
    TokenRejected,

    /// <summary>A protected request was authorised and served.</summary>
    RequestAllowed,

    /// <summary>A request was refused; see <see cref="AceDecision.Error"/>.</summary>
    RequestDenied,

    /// <summary>A request to an unprotected resource was served without OSCORE.</summary>
    UnprotectedServed,

    /// <summary>A slot was evicted (least recently used) to make room; its keys were erased.</summary>
    SlotEvicted,

    /// <summary>A token expired; its slot was freed and its keys erased.</summary>
    SlotExpired,

    /// <summary>
    /// The device's wall clock became known (docs/ace-rs.md, "Time that becomes known later"): from now on exp and nbf
    /// are enforced; until then the RS behaved as a clockless one (exi only, cnonces in its Creation Hints).
    /// </summary>
    WallClockKnown,

    /// <summary>A DTLS handshake's psk_identity selected a token, whose key became the PSK (RFC 9202 §3.3.2).</summary>
    PskIdentityAccepted,

    /// <summary>A DTLS handshake's psk_identity selected no valid token: the handshake ends with illegal_parameter (RFC 9202 §3.3.2); see <see cref="AceDecision.Error"/>.</summary>
    PskIdentityRefused,

    /// <summary>A DTLS session was closed because no valid token is bound to it any more (RFC 9202 §3.4).</summary>
    SessionClosed,

    /// <summary>A DTLS handshake's raw public key (RFC 7250) is the cnf of a stored coap_dtls token (RFC 9202 §3.2.1); it is bound when the handshake finishes.</summary>
    RawPublicKeyAccepted,

    /// <summary>A DTLS handshake's raw public key is the cnf of no valid token: the host aborts the handshake (RFC 9202 §3.2.1); see <see cref="AceDecision.Error"/>.</summary>
    RawPublicKeyRefused,
}
