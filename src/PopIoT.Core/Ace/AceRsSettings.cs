using System;

using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// The fixed sizes and identity of an <see cref="AceResourceServer"/> (DESIGN.md §6: every limit explicit, set once at
/// start-up, usually from the board profile). The engine copies these values at construction; changing the object
/// afterwards has no effect.
/// </summary>
public sealed class AceRsSettings
{
    /// <summary>The default number of slots (tokens and their OSCORE contexts).</summary>
    public const int DefaultSlots = 8;

    /// <summary>The default largest token in bytes.</summary>
    public const int DefaultMaxTokenSize = 512;

    /// <summary>The default eviction protection: a slot whose context verified a request within the last 60 s is kept.</summary>
    public const int DefaultEvictionProtectionSeconds = 60;

    /// <summary>Creates settings with the defaults: 8 slots, a 32-bit replay window, 512-byte tokens, a clock.</summary>
    /// <param name="audience">This RS's audience (the aud every token must name, RFC 9200 §5.10.1.1).</param>
    /// <param name="asUri">The AS URI sent in AS Request Creation Hints (RFC 9200 §5.3).</param>
    public AceRsSettings(string audience, string asUri)
    {
        Audience = audience;
        AsUri = asUri;
        Slots = DefaultSlots;
        ReplayWindowSize = ReplayWindow.DefaultSize;
        MaxTokenSize = DefaultMaxTokenSize;
        BlockwiseBufferSize = 0;
        BlockwiseSlots = 2;
        MaxBlockSzx = 6;
        MaxResources = 16;
        MaxScopeEntries = 16;
        NonceLength = 8;
        MinNonce1Length = 8;
        MaxMessageSize = OscoreProcessor.DefaultMaxPlaintextLength;
        HasClock = true;
        CnonceSlots = 4;
        AuthzInfoPath = "/authz-info";
        EvictionProtectionSeconds = DefaultEvictionProtectionSeconds;
        AuthzInfoPeerBurst = 4;
        AuthzInfoPeerRefillSeconds = 10;
        AuthzInfoPeerBuckets = 16;
        AuthzInfoBurst = 16;
        AuthzInfoRefillSeconds = 1;
        _profiles = ServesOscoreBit | (DefaultMaxPskLength << PskLengthShift);
    }

    /// <summary>The default longest DTLS pre-shared key a slot keeps (RFC 9202 §3.3: 16 bytes for AES-128-CCM_8; 32 leaves room for a 256-bit key).</summary>
    public const int DefaultMaxPskLength = 32;

    // The profiles served and the longest PSK, in one field: on nanoFramework every field is a 12-byte heap block
    // (docs/firmware.md, "Memory model"), and the device keeps several copies of these settings.
    private const int ServesOscoreBit = 1;
    private const int ServesDtlsBit = 2;
    private const int ServesRpkBit = 4;
    private const int PskLengthShift = 8;
    private int _profiles;

    /// <summary>Whether this RS serves the coap_oscore profile (RFC 9203). Default true.</summary>
    public bool ServesOscore
    {
        get { return (_profiles & ServesOscoreBit) != 0; }
        set { _profiles = value ? _profiles | ServesOscoreBit : _profiles & ~ServesOscoreBit; }
    }

    /// <summary>
    /// Whether this RS serves the coap_dtls profile in PSK mode (RFC 9202 §3.3): tokens whose key becomes the PSK of a
    /// DTLS session. Each slot then keeps the PSK (<see cref="MaxPskLength"/>) and the session it is bound to. Default false.
    /// </summary>
    public bool ServesDtls
    {
        get { return (_profiles & ServesDtlsBit) != 0; }
        set { _profiles = value ? _profiles | ServesDtlsBit : _profiles & ~ServesDtlsBit; }
    }

    /// <summary>
    /// Whether this RS also serves the coap_dtls profile in RPK mode (RFC 9202 §3.2): tokens whose cnf is the client's
    /// EC2 P-256 public key, which the host's DTLS layer (raw public keys, RFC 7250; desktop only) must find in the
    /// client's handshake (<see cref="AceResourceServer.DtlsRawPublicKeyOffered"/>). The slot keeps SHA-256 over the
    /// key's x‖y in its PSK room, so <see cref="MaxPskLength"/> must be at least 32. Needs <see cref="ServesDtls"/>.
    /// Default false, and false on every board: nanoFramework has no elliptic curves, so boards do PSK only.
    /// </summary>
    public bool ServesRpk
    {
        get { return (_profiles & ServesRpkBit) != 0; }
        set { _profiles = value ? _profiles | ServesRpkBit : _profiles & ~ServesRpkBit; }
    }

    /// <summary>The longest PSK a slot keeps for the coap_dtls profile (16..64 bytes; only with <see cref="ServesDtls"/>).</summary>
    public int MaxPskLength
    {
        get { return _profiles >> PskLengthShift; }
        set { _profiles = (_profiles & 0xFF) | ((value < 0 || value > 0xFFFF ? 0 : value) << PskLengthShift); }
    }

    /// <summary>
    /// The profile of a token without ace_profile: the RS's only profile (RFC 9200 §5.8.4.3 leaves the default to the
    /// RS), or 0 when it serves both, so such a token names none and is refused.
    /// </summary>
    public int DefaultProfile
    {
        get { return ServesOscore && ServesDtls ? 0 : (ServesDtls ? AceProfile.CoapDtls : AceProfile.CoapOscore); }
    }

    /// <summary>This RS's audience.</summary>
    public string Audience { get; set; }

    /// <summary>The AS URI for AS Request Creation Hints.</summary>
    public string AsUri { get; set; }

    /// <summary>How many tokens (each with its OSCORE context) are held at once; a new one evicts the least recently used unprotected one (<see cref="EvictionProtectionSeconds"/>).</summary>
    public int Slots { get; set; }

    /// <summary>The OSCORE replay window in bits (32..256 in steps of 32; RFC 8613 §7.4 default 32).</summary>
    public int ReplayWindowSize { get; set; }

    /// <summary>The largest access token accepted (larger gets 4.13 <see cref="AceRsError.TokenTooLarge"/>).</summary>
    public int MaxTokenSize { get; set; }

    /// <summary>The /authz-info body buffer for Block1 transfers (RFC 7959); 0 means <see cref="MaxTokenSize"/> + 64.</summary>
    public int BlockwiseBufferSize { get; set; }

    /// <summary>Concurrent Block1 transfers to /authz-info (different peers).</summary>
    public int BlockwiseSlots { get; set; }

    /// <summary>The largest Block1 size exponent accepted (0..6: 16..1024 bytes).</summary>
    public int MaxBlockSzx { get; set; }

    /// <summary>The most resources (protected and unprotected, /authz-info included).</summary>
    public int MaxResources { get; set; }

    /// <summary>The most entries of the text-scope table (<see cref="AceResourceServer.AddScope"/>).</summary>
    public int MaxScopeEntries { get; set; }

    /// <summary>The length of nonce2 (RFC 9203 §4.2 recommends 8 bytes).</summary>
    public int NonceLength { get; set; }

    /// <summary>The shortest nonce1 accepted (RFC 9203 §4.1 recommends 8 bytes; at most 32 are accepted).</summary>
    public int MinNonce1Length { get; set; }

    /// <summary>The largest decrypted OSCORE request or response handled.</summary>
    public int MaxMessageSize { get; set; }

    /// <summary>
    /// True when the host passes real (Unix) time to <see cref="AceResourceServer.Tick"/>; false for a device without a
    /// clock, whose time is seconds since boot: tokens must then carry exi (RFC 9200 §5.10.3).
    /// </summary>
    public bool HasClock { get; set; }

    /// <summary>Allowed clock skew for exp/nbf in seconds (only with a clock).</summary>
    public int ClockSkewSeconds { get; set; }

    /// <summary>How many cnonces a clockless RS remembers (RFC 9200 §5.3; 0 sends none).</summary>
    public int CnonceSlots { get; set; }

    /// <summary>The path of the authz-info endpoint (RFC 9200 §5.10.1).</summary>
    public string AuthzInfoPath { get; set; }

    /// <summary>
    /// Seconds a slot stays protected after its OSCORE context last verified a request: a new token never evicts it
    /// and, when no slot can go, is refused with 5.03 and Max-Age (docs/ace-rs.md, "Admission"). 0 turns protection
    /// off (plain least-recently-used eviction). 0..86400; default 60.
    /// </summary>
    public int EvictionProtectionSeconds { get; set; }

    /// <summary>Posts to /authz-info one peer may make in a burst (RFC 9200 §5.10.1.2); 0 turns the per-peer limit off. 0..65535; default 4.</summary>
    public int AuthzInfoPeerBurst { get; set; }

    /// <summary>Seconds in which a peer earns back one post. 1..86400; default 10.</summary>
    public int AuthzInfoPeerRefillSeconds { get; set; }

    /// <summary>Peers the per-peer limit tracks at once (a fixed table; the entry closest to full is reused). 1..255; default 16.</summary>
    public int AuthzInfoPeerBuckets { get; set; }

    /// <summary>Posts to /authz-info from all peers together in a burst; 0 turns the overall limit off. 0..65535; default 16.</summary>
    public int AuthzInfoBurst { get; set; }

    /// <summary>Seconds in which the endpoint as a whole earns back one post. 1..86400; default 1.</summary>
    public int AuthzInfoRefillSeconds { get; set; }

    /// <summary>The Block1 buffer size actually used.</summary>
    public int EffectiveBlockwiseBufferSize
    {
        get { return BlockwiseBufferSize > 0 ? BlockwiseBufferSize : MaxTokenSize + 64; }
    }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range (the message names it).</exception>
    public void Validate()
    {
        if (Audience == null || Audience.Length == 0)
        {
            throw new ArgumentException("Audience is required.");
        }

        Check(Slots >= 1 && Slots <= 255, "Slots must be 1..255.");
        Check(ReplayWindowSize >= 32 && ReplayWindowSize <= ReplayWindow.MaxSize && ReplayWindowSize % 32 == 0, "ReplayWindowSize must be 32..256 in steps of 32.");
        Check(MaxTokenSize >= 16 && MaxTokenSize <= 65535, "MaxTokenSize must be 16..65535.");
        Check(EffectiveBlockwiseBufferSize >= MaxTokenSize, "BlockwiseBufferSize must hold MaxTokenSize.");
        Check(BlockwiseSlots >= 1, "BlockwiseSlots must be at least 1.");
        Check(MaxBlockSzx >= 0 && MaxBlockSzx <= 6, "MaxBlockSzx must be 0..6.");
        Check(MaxResources >= 2, "MaxResources must be at least 2.");
        Check(MaxScopeEntries >= 0, "MaxScopeEntries must not be negative.");
        Check(NonceLength >= 8 && NonceLength <= AceOscoreSetup.MaxInputLength, "NonceLength must be 8..32.");
        Check(MinNonce1Length >= 1 && MinNonce1Length <= AceOscoreSetup.MaxInputLength, "MinNonce1Length must be 1..32.");
        Check(MaxMessageSize >= 64, "MaxMessageSize must be at least 64.");
        Check(ClockSkewSeconds >= 0, "ClockSkewSeconds must not be negative.");
        Check(CnonceSlots >= 0 && CnonceSlots <= 64, "CnonceSlots must be 0..64.");
        Check(AuthzInfoPath != null && AuthzInfoPath.Length > 0, "AuthzInfoPath is required.");
        Check(EvictionProtectionSeconds >= 0 && EvictionProtectionSeconds <= 86400, "EvictionProtectionSeconds must be 0..86400.");
        Check(AuthzInfoPeerBurst >= 0 && AuthzInfoPeerBurst <= 65535, "AuthzInfoPeerBurst must be 0..65535.");
        Check(AuthzInfoPeerRefillSeconds >= 1 && AuthzInfoPeerRefillSeconds <= 86400, "AuthzInfoPeerRefillSeconds must be 1..86400.");
        Check(AuthzInfoPeerBuckets >= 1 && AuthzInfoPeerBuckets <= 255, "AuthzInfoPeerBuckets must be 1..255.");
        Check(AuthzInfoBurst >= 0 && AuthzInfoBurst <= 65535, "AuthzInfoBurst must be 0..65535.");
        Check(AuthzInfoRefillSeconds >= 1 && AuthzInfoRefillSeconds <= 86400, "AuthzInfoRefillSeconds must be 1..86400.");
        Check(ServesOscore || ServesDtls, "ServesOscore or ServesDtls: the RS must serve a profile.");
        Check(!ServesDtls || (MaxPskLength >= 16 && MaxPskLength <= 64), "MaxPskLength must be 16..64.");
        Check(!ServesRpk || ServesDtls, "ServesRpk needs ServesDtls: RPK mode is a mode of the coap_dtls profile.");
        Check(!ServesRpk || MaxPskLength >= AceRpkKeyId.Length, "MaxPskLength must be at least 32 with ServesRpk: the slot keeps the key's SHA-256.");
    }

    private static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new ArgumentException(message);
        }
    }

    // A copy the engine keeps, so a caller changing its settings later changes nothing (every field is a value or a string).
    internal AceRsSettings Copy()
    {
        return (AceRsSettings)MemberwiseClone();
    }
}
