namespace PopIoT.Core;

/// <summary>How a request reached its resource (docs/architecture.md, "A request carries its security binding").</summary>
public enum RequestProtection
{
    /// <summary>In the clear.</summary>
    None = 0,

    /// <summary>Verified by OSCORE (RFC 8613 §8.2); the response must be protected under the same exchange (§8.3).</summary>
    Oscore = 1,
}
