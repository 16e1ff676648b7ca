using System.Globalization;
using System.Text.Json;

namespace PopIoT.Device;

/// <summary>Finding and reading hardware/boards/NAME.json into a <see cref="BoardProfile"/>, naming the file and field in every error.</summary>
public sealed partial class BoardProfile
{
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
