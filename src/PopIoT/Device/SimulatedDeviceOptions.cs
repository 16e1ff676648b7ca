using Microsoft.Extensions.Logging;
using PopIoT.Ace;
using PopIoT.Core.Ace;
using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;

namespace PopIoT.Device;

/// <summary>Settings of a <see cref="SimulatedDevice"/>: its identity, the AS–RS keys, and the fixed sizes of its engine (DESIGN.md §6).</summary>
public sealed class SimulatedDeviceOptions
{
    /// <summary>The device's audience: every token must name it in aud (RFC 9200 §5.10.1.1).</summary>
    public required string Audience { get; init; }

    /// <summary>
    /// The AS–RS keys, each pinned by its alg and used for one purpose (<see cref="AsKeyPurposes"/>): the token key of
    /// the <see cref="Protection"/> (a MAC key verifies Mac0, an AEAD key decrypts Encrypt0, a public key verifies Sign1)
    /// and, on a mac0 or sign1 device, the AEAD key that only unwraps the Encrypted_COSE_Key in cnf. key_ops, when
    /// present, must permit that purpose. The device does not take them over (dispose them after the device).
    /// </summary>
    public required IReadOnlyList<CoseKey> AsKeys { get; init; }

    /// <summary>
    /// The one protection of this device's tokens; tokens of another COSE type are refused (TokenTypeNotAccepted). Null:
    /// implied by the keys (<see cref="AsKeyPurposes.InferProtection"/>: sign1 with a signature key, else mac0 with a MAC
    /// key, else encrypt0).
    /// </summary>
    public TokenProtection? Protection { get; init; }

    /// <summary>Where each of <see cref="AsKeys"/> came from (e.g. "--as-key @rs.key"), named in key errors; null numbers them.</summary>
    public IReadOnlyList<string>? AsKeyNames { get; init; }

    /// <summary>The AS URI sent in AS Request Creation Hints (RFC 9200 §5.3).</summary>
    public string AsUri { get; init; } = "coap://as.example/token";

    /// <summary>Token slots, each with its OSCORE context (<see cref="AceRsSettings.Slots"/>).</summary>
    public int Slots { get; init; } = AceRsSettings.DefaultSlots;

    /// <summary>The OSCORE replay window in bits (32..256, a multiple of 32).</summary>
    public int ReplayWindow { get; init; } = 32;

    /// <summary>The largest token accepted at /authz-info, in bytes.</summary>
    public int MaxTokenSize { get; init; } = AceRsSettings.DefaultMaxTokenSize;

    /// <summary>The largest Block1/Block2 SZX the device uses (RFC 7959 §2.2: 16 × 2^SZX bytes; 0..6).</summary>
    public int MaxBlockSzx { get; init; } = 6;

    /// <summary>
    /// The CoAP transmission parameters (RFC 7252 §4.8) and message-layer table sizes; when null, the device's defaults
    /// (<see cref="Core.Device.DeviceRuntimeSettings"/>) with tables large enough for the simulator's many clients.
    /// </summary>
    public PopIoT.Core.Coap.CoapSettings? Coap { get; init; }

    /// <summary>How many client addresses the device's peer table holds (<see cref="Core.Device.DeviceRuntimeSettings.MaxPeers"/>); 32 by default.</summary>
    public int MaxPeers { get; init; } = 32;

    /// <summary>How many observations the device holds at once (<see cref="Core.Device.DeviceRuntimeSettings.MaxObservers"/>); 16 by default.</summary>
    public int MaxObservers { get; init; } = 16;

    /// <summary>False for a device without a clock: only exi tokens are accepted, counted from receipt (RFC 9200 §5.10.3).</summary>
    public bool HasClock { get; init; } = true;

    /// <summary>
    /// How often the device reads its time source to advance the engine's clock, so tokens expire and their observations
    /// end with a final 4.01 (RFC 9200 §5.10.3) even when no request arrives: the runtime's clock tick
    /// (<see cref="Core.Device.DeviceRuntimeSettings.ClockTickMs"/>, 10 ms..60 s). One second by default (exp and exi
    /// count whole seconds).
    /// </summary>
    public TimeSpan ClockTick { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Seconds a slot whose context verified a request is kept from eviction (<see cref="AceRsSettings.EvictionProtectionSeconds"/>; 0: plain LRU).</summary>
    public int EvictionProtectionSeconds { get; init; } = AceRsSettings.DefaultEvictionProtectionSeconds;

    /// <summary>Posts to /authz-info one peer may make in a burst (<see cref="AceRsSettings.AuthzInfoPeerBurst"/>; 0: no per-peer limit).</summary>
    public int AuthzInfoPeerBurst { get; init; } = 4;

    /// <summary>Seconds in which a peer earns back one post (<see cref="AceRsSettings.AuthzInfoPeerRefillSeconds"/>).</summary>
    public int AuthzInfoPeerRefillSeconds { get; init; } = 10;

    /// <summary>Posts to /authz-info from all peers in a burst (<see cref="AceRsSettings.AuthzInfoBurst"/>; 0: no overall limit).</summary>
    public int AuthzInfoBurst { get; init; } = 16;

    /// <summary>Seconds in which the endpoint earns back one post (<see cref="AceRsSettings.AuthzInfoRefillSeconds"/>).</summary>
    public int AuthzInfoRefillSeconds { get; init; } = 1;

    /// <summary>Send every /temp notification confirmable (RFC 7641 §4.5), so a lost one is retransmitted. False: one in five.</summary>
    public bool ConfirmableNotifications { get; init; }

    /// <summary>The time source (the simulator's virtual clock in tests); <see cref="TimeProvider.System"/> when null.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>The crypto provider; the platform provider when null.</summary>
    public ICryptoProvider? Crypto { get; init; }

    /// <summary>The device's random source (nonces, CoAP Message IDs) in place of the crypto provider's; null: the provider's.</summary>
    public IRandomSource? Random { get; init; }

    /// <summary>Called with each security decision, under the device's lock (keep it short).</summary>
    public Action<SecurityDecision>? DecisionLogged { get; init; }

    /// <summary>How many decisions <see cref="SimulatedDevice.Decisions"/> keeps (the oldest are dropped). 10 000 by default.</summary>
    public int DecisionHistory { get; init; } = 10_000;

    /// <summary>Where the device's log lines go (docs/firmware.md, "What the log says"), or null.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Where the device keeps the state that survives a reboot (the exi number, RFC 9200 §5.10.3; docs/device.md): a
    /// <see cref="FileDeviceStorage"/> for <c>--state DIR</c>, a <see cref="Core.Device.MemoryDeviceStorage"/> in tests.
    /// Null: nothing survives (a clockless device then forgets which exi tokens it burnt).
    /// </summary>
    public Core.Device.IDeviceStorage? Storage { get; init; }

    /// <summary>
    /// For a device started without a clock (<see cref="HasClock"/> false): how long after boot it learns the wall time
    /// (SNTP on a board). Until then it is clockless (exi tokens, cnonces); from then on exp and nbf are enforced
    /// (docs/ace-rs.md, "Time that becomes known later"). Null: never.
    /// </summary>
    public TimeSpan? WallClockKnownAfter { get; init; }

    /// <summary>
    /// The ACE profiles served: "oscore" (default, RFC 9203), "dtls" (RFC 9202 PSK mode: CoAP over DTLS on the CoAP
    /// port + 1, tokens bound to sessions) or "both".
    /// </summary>
    public string Profile { get; init; } = "oscore";

    /// <summary>DTLS sessions held (with "dtls" or "both").</summary>
    public int DtlsSessions { get; init; } = 8;

    /// <summary>The DTLS handshake pool, also the cap on half-open handshakes.</summary>
    public int DtlsHandshakes { get; init; } = 2;

    /// <summary>
    /// The device's own EC2 P-256 key pair (a private COSE_Key; its public part is what the AS gives clients in rs_cnf)
    /// to serve the coap_dtls profile's RPK mode (RFC 9202 §3.2) beside PSK mode, on the same coaps port: raw public
    /// keys (RFC 7250), TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, through BouncyCastle (<see cref="RawPublicKeyDtlsServer"/>).
    /// Needs <see cref="Profile"/> dtls or both. Null: PSK mode only. The device does not take it over.
    /// </summary>
    public CoseKey? RpkKey { get; init; }

    /// <summary>How long an RPK handshake may take before it is dropped (it holds one of <see cref="DtlsHandshakes"/>). 30 s by default.</summary>
    public TimeSpan RpkHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether the device serves CoAP over DTLS (<see cref="Profile"/> dtls or both).</summary>
    public bool ServesDtls => Profile is "dtls" or "both";
}
