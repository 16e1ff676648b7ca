using System.Globalization;
using System.Text.Json;
using PopIoT.Core.Ace;

namespace PopIoT.Device;

/// <summary>
/// A board profile, hardware/boards/NAME.json (docs/firmware.md "Board profiles"): the managed heap the board leaves the
/// application and the share of it PopIoT may use, the network, the engine's fixed sizes, the CoAP timers, storage,
/// clock, crypto path and pins. <see cref="Load"/> names the file and field in every error.
/// </summary>
public sealed class BoardProfile
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

    /// <summary>Finds hardware/boards/NAME.json in <paramref name="boardsDir"/>, or else upwards from <paramref name="from"/>.</summary>
    /// <param name="name">The file stem.</param>
    /// <param name="boardsDir">An explicit folder, or null.</param>
    /// <param name="from">Where to start looking upwards.</param>
    /// <returns>The path.</returns>
    /// <exception cref="FormatException">Not found; the message lists what was looked at.</exception>
    public static string Find(string name, string? boardsDir, string from)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name.IndexOfAny(['/', '\\', '.']) >= 0)
        {
            throw new FormatException("board name '" + name + "' must be a file stem under hardware/boards, e.g. esp32-c3");
        }

        if (boardsDir != null)
        {
            string p = Path.Combine(boardsDir, name + ".json");
            return File.Exists(p) ? p : throw new FormatException("board profile '" + p + "' does not exist");
        }

        for (DirectoryInfo? d = new DirectoryInfo(from); d != null; d = d.Parent)
        {
            string p = Path.Combine(d.FullName, "hardware", "boards", name + ".json");
            if (File.Exists(p))
            {
                return p;
            }
        }

        throw new FormatException("board profile '" + name + "' not found in hardware/boards above '" + from + "' (give --boards-dir)");
    }

    /// <summary>Reads and validates a profile.</summary>
    /// <param name="path">The JSON file.</param>
    /// <returns>The profile.</returns>
    /// <exception cref="FormatException">Unreadable, unknown or missing field, or a value out of range; names the file and field.</exception>
    public static BoardProfile Load(string path)
    {
        string where = "board profile '" + path + "'";
        byte[] json = JsonFile.ReadBounded(path, 16 * 1024, "board profile");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException e)
        {
            throw new FormatException(where + " is not JSON: " + e.Message);
        }

        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException(where + " must be one JSON object");
            }

            foreach (JsonProperty p in root.EnumerateObject())
            {
                if (Array.IndexOf(Fields, p.Name) < 0)
                {
                    throw new FormatException(where + ": unknown field '" + p.Name + "'");
                }
            }

            JsonElement heap = Obj(root, "heap", where);
            JsonElement timers = Obj(root, "timers", where);
            JsonElement pins = Obj(root, "pins", where);
            return new BoardProfile
            {
                Id = Path.GetFileNameWithoutExtension(path),
                Name = Str(root, "name", where, null),
                Firmware = Str(root, "firmware", where, null),
                HeapBytes = Int(heap, "heap.managedBytes", where, 1024, int.MaxValue),
                HeapBasis = Str(heap, "heap.basis", where, ["measured", "estimate", "upper bound"]),
                HeapSource = Str(heap, "heap.source", where, null),
                PopIotHeapShare = Num(root, "popiotHeapShare", where, 0.01, 1),
                Mtu = Int(root, "mtu", where, 576, 65535),
                Network = Str(root, "network", where, ["wifi", "ethernet", "none"]),
                Slots = Int(root, "slots", where, 1, 1024),
                ReplayWindow = Int(root, "replayWindow", where, 32, 256),
                MaxTokenBytes = Int(root, "maxTokenBytes", where, 64, 8192),
                BlockSzx = Int(root, "blockSzx", where, 0, 6),
                AckTimeoutMs = Int(timers, "timers.ackTimeoutMs", where, 100, 60000),
                AckRandomFactor = Num(timers, "timers.ackRandomFactor", where, 1, 4),
                MaxRetransmit = Int(timers, "timers.maxRetransmit", where, 0, 10),
                ClockTickMs = Int(timers, "timers.clockTickMs", where, 10, 60000),
                Storage = Str(root, "storage", where, null, allowEmpty: true),
                Clock = Str(root, "clock", where, ["sntp", "rtc", "none"]),
                Crypto = Str(root, "crypto", where, ["native", "managed"]),
                LedPin = Int(pins, "pins.led", where, 0, 1023),
                DtlsSessions = root.TryGetProperty("dtls", out JsonElement d) ? DtlsInt(d, "dtls.sessions", where, 1, 64) : 2,
                DtlsHandshakes = root.TryGetProperty("dtls", out JsonElement dh) ? DtlsInt(dh, "dtls.handshakes", where, 1, 16) : 1,
                Profiles = ProfileList(root, where),
            };
        }
    }

    private static JsonElement Get(JsonElement o, string path, string where)
    {
        string field = path[(path.LastIndexOf('.') + 1)..];
        return o.TryGetProperty(field, out JsonElement v) ? v : throw new FormatException(where + ": missing field '" + path + "'");
    }

    private static JsonElement Obj(JsonElement o, string path, string where)
    {
        JsonElement v = Get(o, path, where);
        return v.ValueKind == JsonValueKind.Object ? v : throw new FormatException(where + ": field '" + path + "' must be an object");
    }

    private static string Str(JsonElement o, string path, string where, string[]? allowed, bool allowEmpty = false)
    {
        JsonElement v = Get(o, path, where);
        string? s = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (s == null || (s.Length == 0 && !allowEmpty))
        {
            throw new FormatException(where + ": field '" + path + "' must be a non-empty string");
        }

        if (allowed != null && Array.IndexOf(allowed, s) < 0)
        {
            throw new FormatException(where + ": field '" + path + "' is '" + s + "'; expected one of " + string.Join(", ", allowed));
        }

        return s;
    }

    // The "dtls" object: {"sessions": N, "handshakes": M, "keyExchange": "psk"}; boards do PSK only (no elliptic curves).
    private static int DtlsInt(JsonElement dtls, string path, string where, int min, int max)
    {
        if (dtls.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException(where + ": 'dtls' must be an object");
        }

        foreach (JsonProperty p in dtls.EnumerateObject())
        {
            if (p.Name is not ("sessions" or "handshakes" or "keyExchange"))
            {
                throw new FormatException(where + ": unknown field 'dtls." + p.Name + "'");
            }
        }

        if (dtls.TryGetProperty("keyExchange", out JsonElement kx) && (kx.ValueKind != JsonValueKind.String || kx.GetString() != "psk"))
        {
            throw new FormatException(where + ": 'dtls.keyExchange' must be \"psk\": boards do PSK only (nanoFramework has no elliptic curves; raw public keys stay on the desktop)");
        }

        int v = Int(dtls, path, where, min, max);
        if (path == "dtls.handshakes" && dtls.TryGetProperty("sessions", out JsonElement sessions) && sessions.TryGetInt32(out int n) && v > n)
        {
            throw new FormatException(where + ": 'dtls.handshakes' must not exceed 'dtls.sessions'");
        }

        return v;
    }

    // "profiles": a list of distinct choices among oscore, dtls and both; empty for a board PopIoT does not fit.
    private static string[] ProfileList(JsonElement root, string where)
    {
        JsonElement v = Get(root, "profiles", where);
        string[]? list = v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : "").ToArray() : null;
        if (list == null || list.Any(p => Array.IndexOf(ProfileChoices, p) < 0) || list.Distinct().Count() != list.Length)
        {
            throw new FormatException(where + ": field 'profiles' must be a list of distinct values among " + string.Join(", ", ProfileChoices));
        }

        return list;
    }

    private static int Int(JsonElement o, string path, string where, int min, int max)
    {
        JsonElement v = Get(o, path, where);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n < min || n > max)
        {
            throw new FormatException(where + ": field '" + path + "' must be an integer in " + min.ToString(CultureInfo.InvariantCulture) + ".." + max.ToString(CultureInfo.InvariantCulture));
        }

        return n;
    }

    private static double Num(JsonElement o, string path, string where, double min, double max)
    {
        JsonElement v = Get(o, path, where);
        if (v.ValueKind != JsonValueKind.Number || v.GetDouble() < min || v.GetDouble() > max)
        {
            throw new FormatException(where + ": field '" + path + "' must be a number in " + min.ToString(CultureInfo.InvariantCulture) + ".." + max.ToString(CultureInfo.InvariantCulture));
        }

        return v.GetDouble();
    }
}
