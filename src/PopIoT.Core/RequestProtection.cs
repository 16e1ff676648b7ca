namespace PopIoT.Core;

/// <summary>How a request reached its resource (docs/architecture.md, "A request carries its security binding").</summary>
public enum RequestProtection
{
    /// <summary>In the clear.</summary>
    None = 0,

    /// <summary>Verified by OSCORE (RFC 8613 §8.2); the response must be protected under the same exchange (§8.3).</summary>
    Oscore = 1,

    /// <summary>
    /// Received over an established DTLS session (RFC 6347) whose PSK or raw public key is bound to a token (RFC 9202
    /// §3.3, §3.4); the response goes back over the same session, which protects it.
    /// </summary>
    Dtls = 2,
}
