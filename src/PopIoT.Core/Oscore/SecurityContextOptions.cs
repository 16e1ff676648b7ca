namespace PopIoT.Core.Oscore;

/// <summary>
/// The choices a <see cref="SecurityContext"/> takes beyond its RFC 8613 §3.2 inputs: the AEAD algorithm, the replay
/// window and how the Sender Sequence Number is persisted. The defaults are RFC 8613's (§3.2, §7.4).
/// </summary>
public sealed class SecurityContextOptions
{
    /// <summary>
    /// The AEAD algorithm: 10 (AES-CCM-16-64-128, the default), 11, 30 or 31 (AES-CCM-16-*, 13-byte nonce); with a
    /// provider that has them also 1 (A128GCM), 3 (A256GCM) and 24 (ChaCha20/Poly1305), 12-byte nonce (RFC 9053).
    /// </summary>
    public int Algorithm { get; set; } = SecurityContext.DefaultAlgorithm;

    /// <summary>The replay window in bits: 32 (the default) .. 256 in multiples of 32 (RFC 8613 §7.4).</summary>
    public int ReplayWindowSize { get; set; } = ReplayWindow.DefaultSize;

    /// <summary>True after a reboot: the first request must prove freshness with Echo (RFC 8613 Appendix B.1.2).</summary>
    public bool ReplayWindowUnknown { get; set; }

    /// <summary>Where the Sender Sequence Number is persisted (RFC 8613 Appendix B.1.1), or null.</summary>
    public ISequenceNumberStore SequenceNumberStore { get; set; }

    /// <summary>K: how many sequence numbers each store write reserves (RFC 8613 Appendix B.1.1).</summary>
    public int ReserveStep { get; set; } = SecurityContext.DefaultReserveStep;
}
