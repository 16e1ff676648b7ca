using PopIoT.Core.Ace;

namespace PopIoT.Device;

/// <summary>
/// A board profile, hardware/boards/NAME.json (docs/firmware.md "Board profiles"): the managed heap the board leaves the
/// application and the share of it PopIoT may use, the network, the engine's fixed sizes, the CoAP timers, storage,
/// clock, crypto path and pins. <see cref="Load"/> names the file and field in every error.
/// </summary>
public sealed partial class BoardProfile
{
    private static readonly string[] Fields =
    [
        "name", "firmware", "heap", "popiotHeapShare", "mtu", "network", "slots", "replayWindow", "maxTokenBytes", "blockSzx",
        "timers", "storage", "clock", "crypto", "pins", "dtls", "profiles",
    ];

    /// <summary>The values of <see cref="Profiles"/> and of <c>--profile</c>: which ACE profiles a device serves.</summary>
    public static readonly string[] ProfileChoices = ["oscore", "dtls", "both"];

    /// <summary>The file stem, e.g. "esp32-c3".</summary>
    public required string Id { get; init; }

    /// <summary>The board's name.</summary>
    public required string Name { get; init; }

    /// <summary>The nanoFramework firmware target flashed on it (nanoff --target).</summary>
    public required string Firmware { get; init; }

    /// <summary>The managed heap available to the application, in bytes.</summary>
    public required int HeapBytes { get; init; }

    /// <summary>"measured", "estimate" or "upper bound": how good <see cref="HeapBytes"/> is.</summary>
    public required string HeapBasis { get; init; }

    /// <summary>Where <see cref="HeapBytes"/> comes from.</summary>
    public required string HeapSource { get; init; }

    /// <summary>The share of the heap PopIoT may use (0..1]; the rest is the application's and the network stack's.</summary>
    public required double PopIotHeapShare { get; init; }

    /// <summary>The network MTU in bytes (the largest CoAP message is below it, RFC 7252 §4.6).</summary>
    public required int Mtu { get; init; }

    /// <summary>"wifi", "ethernet" or "none".</summary>
    public required string Network { get; init; }

    /// <summary>Token slots (<see cref="AceRsSettings.Slots"/>).</summary>
    public required int Slots { get; init; }

    /// <summary>OSCORE replay window in bits.</summary>
    public required int ReplayWindow { get; init; }

    /// <summary>The largest token accepted.</summary>
    public required int MaxTokenBytes { get; init; }

    /// <summary>The largest Block1/Block2 SZX (RFC 7959 §2.2: 16 × 2^SZX bytes).</summary>
    public required int BlockSzx { get; init; }

    /// <summary>ACK_TIMEOUT in ms (RFC 7252 §4.8).</summary>
    public required int AckTimeoutMs { get; init; }

    /// <summary>ACK_RANDOM_FACTOR (RFC 7252 §4.8).</summary>
    public required double AckRandomFactor { get; init; }

    /// <summary>MAX_RETRANSMIT (RFC 7252 §4.8).</summary>
    public required int MaxRetransmit { get; init; }

    /// <summary>How often the device reads its clock to expire tokens, in ms.</summary>
    public required int ClockTickMs { get; init; }

    /// <summary>The storage root for the state that survives a reboot ("I:" on ESP32); empty: none.</summary>
    public required string Storage { get; init; }

    /// <summary>"sntp", "rtc" or "none".</summary>
    public required string Clock { get; init; }

    /// <summary>"native" (the board's AES-ECB and HMACSHA256) or "managed" (Core's).</summary>
    public required string Crypto { get; init; }

    /// <summary>The LED's GPIO number.</summary>
    public required int LedPin { get; init; }

    /// <summary>
    /// DTLS sessions the board holds (the "dtls" object's "sessions"; default 2): established and handshaking together,
    /// each bound to a token slot (RFC 9202 §3.4). Boards do PSK only ("keyExchange": "psk"): nanoFramework has no
    /// elliptic curves, so raw public keys (RFC 9202 §3.2) stay on the desktop.
    /// </summary>
    public int DtlsSessions { get; init; } = 2;

    /// <summary>The DTLS handshake pool, also the cap on half-open handshakes ("dtls"."handshakes"; default 1).</summary>
    public int DtlsHandshakes { get; init; } = 1;

    /// <summary>
    /// The ACE profile choices this board runs within its heap share ("profiles": each of "oscore", "dtls", "both"; the
    /// first is the default of <c>popiot device provision</c>): <c>popiot device budget</c> proves each fits, and a
    /// choice left out does not (docs/firmware.md, "Device budgets").
    /// </summary>
    public required string[] Profiles { get; init; }

    /// <summary>
    /// The board settings this profile gives (the record <c>popiot device provision</c> writes and the firmware reads),
    /// for the ACE profiles <paramref name="profiles"/>: the one mapping from a profile to a device, which
    /// <see cref="ToRuntimeSettings(string, string, string)"/> runs too.
    /// </summary>
    /// <param name="profiles">oscore, dtls or both.</param>
    /// <param name="sntpServer">The SNTP server, or null for <see cref="PopIoT.Core.Device.DeviceBoardSettings.DefaultSntpServer"/>.</param>
    /// <returns>Settings that encode.</returns>
    /// <exception cref="ArgumentException">A value does not fit the record (the message names the entry), or an unknown profile.</exception>
    public PopIoT.Core.Device.DeviceBoardSettings ToBoardSettings(string profiles, string? sntpServer)
    {
        bool dtls = profiles is "dtls" or "both";
        var s = new PopIoT.Core.Device.DeviceBoardSettings
        {
            Board = Id,
            Slots = Slots,
            ReplayWindow = ReplayWindow,
            MaxTokenBytes = MaxTokenBytes,
            BlockSzx = BlockSzx,
            AckTimeoutMs = AckTimeoutMs,
            AckRandomFactorPermille = (int)Math.Round(AckRandomFactor * 1000),
            MaxRetransmit = MaxRetransmit,
            ClockTickMs = ClockTickMs,
            Clock = Clock switch { "sntp" => PopIoT.Core.Device.DeviceBoardSettings.ClockSntp, "rtc" => PopIoT.Core.Device.DeviceBoardSettings.ClockRtc, _ => PopIoT.Core.Device.DeviceBoardSettings.ClockNone },
            Network = Network switch { "wifi" => PopIoT.Core.Device.DeviceBoardSettings.NetworkWifi, "ethernet" => PopIoT.Core.Device.DeviceBoardSettings.NetworkEthernet, _ => PopIoT.Core.Device.DeviceBoardSettings.NetworkNone },
            Mtu = Mtu,
            LedPin = LedPin,
            MaxPeers = MaxPeers,
            MaxObservers = MaxObservers,
            NativeCrypto = Crypto == "native",
            SntpServer = sntpServer ?? PopIoT.Core.Device.DeviceBoardSettings.DefaultSntpServer,
            Profiles = profiles switch
            {
                "oscore" => PopIoT.Core.Device.DeviceBoardSettings.ProfileOscore,
                "dtls" => PopIoT.Core.Device.DeviceBoardSettings.ProfileDtls,
                "both" => PopIoT.Core.Device.DeviceBoardSettings.ProfileBoth,
                _ => throw new ArgumentException("ACE profiles '" + profiles + "': expected oscore, dtls or both"),
            },
            DtlsSessions = dtls ? DtlsSessions : 0,
            DtlsHandshakes = dtls ? DtlsHandshakes : 0,
        };
        if (s.Validate(out int field) != PopIoT.Core.Device.DeviceRecordError.None)
        {
            throw new ArgumentException("board profile '" + Id + "' does not fit the board-settings record: entry " + field + " is out of range");
        }

        return s;
    }

    /// <summary>The peer table on this board: the device default (<see cref="PopIoT.Core.Device.DeviceRuntimeSettings"/>, 8), or one per slot when there are more slots.</summary>
    public int MaxPeers => Math.Clamp(Slots, 8, 255);

    /// <summary>Observations on this board: the device default (4), or half the slots when there are more.</summary>
    public int MaxObservers => Math.Clamp(Slots / 2, 4, 64);

    /// <summary>
    /// The DTLS engine's settings on this board (docs/firmware.md, "CoAP over DTLS"): the sessions and handshake pool
    /// above with the device mapping (<see cref="PopIoT.Core.Device.DeviceRuntimeSettings.DeviceDtls"/>).
    /// </summary>
    /// <returns>New settings.</returns>
    public PopIoT.Core.Dtls.DtlsSettings ToDtlsSettings() =>
        PopIoT.Core.Device.DeviceRuntimeSettings.DeviceDtls(MaxMessageBytes, DtlsSessions, DtlsHandshakes, MaxTokenBytes, AckTimeoutMs);

    /// <summary>The heap PopIoT may use, in bytes.</summary>
    public int PopIotHeapBytes => (int)(HeapBytes * PopIotHeapShare);

    /// <summary>The engine settings this profile gives.</summary>
    /// <param name="audience">The device's audience.</param>
    /// <param name="asUri">The AS URI for hints.</param>
    /// <returns>Validated settings.</returns>
    public AceRsSettings ToSettings(string audience, string asUri)
    {
        var s = new AceRsSettings(audience, asUri)
        {
            Slots = Slots,
            ReplayWindowSize = ReplayWindow,
            MaxTokenSize = MaxTokenBytes,
            MaxBlockSzx = BlockSzx,
            MaxMessageSize = MaxMessageBytes,
            MaxResources = PopIoT.Core.Device.DeviceRuntimeSettings.DeviceMaxResources,
            HasClock = Clock != "none",
        };
        s.Validate();
        return s;
    }

    /// <summary>The largest CoAP message on this board (<see cref="PopIoT.Core.Device.DeviceRuntimeSettings.MessageSizeFor"/>: the MTU and the block size decide).</summary>
    public int MaxMessageBytes => PopIoT.Core.Device.DeviceRuntimeSettings.MessageSizeFor(Mtu, BlockSzx);

    /// <summary>
    /// The CoAP settings this profile gives: its transmission parameters (RFC 7252 §4.8), its message size, and the
    /// message-layer tables of a device (<see cref="PopIoT.Core.Device.DeviceRuntimeSettings"/>).
    /// </summary>
    /// <returns>New settings.</returns>
    public PopIoT.Core.Coap.CoapSettings ToCoapSettings()
    {
        PopIoT.Core.Coap.CoapSettings c = PopIoT.Core.Device.DeviceRuntimeSettings.DeviceCoap(MaxMessageBytes);
        c.AckTimeoutMs = AckTimeoutMs;
        c.AckRandomFactorPermille = (int)Math.Round(AckRandomFactor * 1000);
        c.MaxRetransmit = MaxRetransmit;
        return c;
    }

    /// <summary>The device runtime's settings this profile gives: the engine's (<see cref="ToSettings"/>), the CoAP ones (<see cref="ToCoapSettings"/>) and the clock tick.</summary>
    /// <param name="audience">The device's audience.</param>
    /// <param name="asUri">The AS URI for hints.</param>
    /// <returns>Validated settings.</returns>
    public PopIoT.Core.Device.DeviceRuntimeSettings ToRuntimeSettings(string audience, string asUri) => ToRuntimeSettings(audience, asUri, "oscore");

    /// <summary>The device runtime's settings on this board for the ACE profiles it serves.</summary>
    /// <param name="audience">The RS's audience.</param>
    /// <param name="asUri">The AS URI for Creation Hints.</param>
    /// <param name="profiles">oscore, dtls or both (the coap_oscore and coap_dtls profiles; dtls adds the DTLS engine).</param>
    /// <returns>Validated settings.</returns>
    /// <exception cref="ArgumentException">A value does not fit.</exception>
    public PopIoT.Core.Device.DeviceRuntimeSettings ToRuntimeSettings(string audience, string asUri, string profiles)
    {
        PopIoT.Core.Device.DeviceRuntimeSettings s = ToBoardSettings(profiles, null).ToRuntimeSettings(audience, asUri);
        s.Validate();
        return s;
    }
}
