using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using PopIoT.Device;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot device budget --board NAME</c>: the whole device runtime's managed heap (the engine included) in
/// nanoFramework's layout (NanoHeapModel) for a board profile, against the share of the board's heap PopIoT may use and
/// the 32 KiB target, and the nano-compiled assembly's size as the flash proxy (docs/firmware.md "Device budgets").
/// Exit 0: the runtime fits the share; 1: it does not.
/// </summary>
internal static partial class DeviceBudgetCommand
{
    /// <summary>The targets in the nanoFramework layout: per client slot, and eight clients.</summary>
    internal const int TargetPerSlotBytes = 256;

    internal const int TargetEightClientsBytes = 2048;

    /// <summary>The whole runtime with its slots on the ESP32-C3 profile (about 54 KB of managed heap): 32 KiB; printed for every board.</summary>
    internal const int TargetRuntimeBytes = 32 * 1024;

    private const string CheckDll = "firmware/PopIoT.Firmware.Check/bin/Release/netstandard2.0/PopIoT.Firmware.Check.dll";

    public static Option<string?> BoardOption() => new("--board") { Description = "A board profile: the file stem of hardware/boards/NAME.json (e.g. esp32-c3)." };

    public static Option<string?> BoardsDirOption() => new("--boards-dir") { Description = "The folder of board profiles (default: hardware/boards found upwards from the working directory)." };

    public static Command Create(CliContext io)
    {
        var board = BoardOption();
        board.Required = true;
        var boardsDir = BoardsDirOption();
        var dll = new Option<string?>("--assembly")
        {
            Description = "The nano-compiled assembly whose size is the flash proxy (default: " + CheckDll + " found upwards from the working directory).",
        };
        var breakdown = new Option<bool>("--breakdown")
        {
            Description = "Also print where the bytes go: per client slot, the runtime's fixed part and the engine's, one line per place in the object graph (field path, type, objects, fields, bytes in nanoFramework's layout).",
        };
        var aceProfile = new Option<string>("--profile")
        {
            Description = "The ACE profiles the budget is for: oscore (default), dtls or both; dtls adds the DTLS engine with the board's sessions and handshake pool (boards do PSK only: nanoFramework has no elliptic curves).",
            DefaultValueFactory = _ => "oscore",
        };
        aceProfile.AcceptOnlyFromAmong("oscore", "dtls", "both");
        var budget = new Command("budget", "The device runtime's managed-heap budget on a board in nanoFramework's object layout: the fixed part, the part per client slot, the total against the board's heap share and the 32 KiB target, the engine's part, and the flash proxy; exits 1 when the runtime does not fit the share.")
        {
            board, boardsDir, dll, breakdown, aceProfile,
        };
        budget.SetAction(p => Run(io, p.GetValue(board)!, p.GetValue(boardsDir), p.GetValue(dll), p.GetValue(breakdown), p.GetValue(aceProfile)!));
        return budget;
    }

    /// <summary>Loads a profile, turning a bad name or file into a usage error.</summary>
    internal static BoardProfile LoadProfile(string name, string? boardsDir)
    {
        try
        {
            return BoardProfile.Load(BoardProfile.Find(name, boardsDir, Directory.GetCurrentDirectory()));
        }
        catch (FormatException e)
        {
            throw new CliUsageException(e.Message);
        }
    }

    private static int Run(CliContext io, string name, string? boardsDir, string? dllArg, bool showBreakdown, string profiles)
    {
        BoardProfile profile = LoadProfile(name, boardsDir);
        EngineHeap heap;
        EngineBreakdown? rows = null;
        EngineBreakdown? runtimeRows = null;
        RuntimeHeap runtime;
        try
        {
            var settings = profile.ToSettings("coap://device", "coap://as.example/token");
            heap = NanoHeapModel.MeasureEngine(settings);
            runtime = NanoHeapModel.MeasureRuntime(profile.ToRuntimeSettings("coap://device", "coap://as.example/token", profiles));
            if (showBreakdown)
            {
                rows = NanoHeapModel.MeasureEngineBreakdown(settings);
                runtimeRows = NanoHeapModel.MeasureRuntimeBreakdown(profile.ToRuntimeSettings("coap://device", "coap://as.example/token", profiles));
            }
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException("board profile '" + profile.Id + "': " + e.Message);
        }

        int share = profile.PopIotHeapBytes;
        bool fits = runtime.TotalBytes <= share;
        bool targetMet = runtime.TotalBytes <= TargetRuntimeBytes;
        int eight = runtime.PerSlotBytes * 8;
        string? dll = dllArg ?? FindUp(CheckDll);
        long? dllBytes = dll != null && File.Exists(dll) ? new FileInfo(dll).Length : null;
        if (dllArg != null && dllBytes == null)
        {
            throw new CliUsageException("--assembly '" + dllArg + "' does not exist");
        }

        TextWriter o = io.Out;
        o.WriteLine(profile.Id + ": " + profile.Name + " (" + profile.Firmware + ")");
        o.WriteLine("  managed heap     " + N(profile.HeapBytes) + " B (" + profile.HeapBasis + "); PopIoT share " + N((int)Math.Round(profile.PopIotHeapShare * 100)) + "% = " + N(share) + " B");
        o.WriteLine("  runtime fixed    " + N(runtime.FixedBytes) + " B (the engine, the message layer with " + N(profile.MaxMessageBytes) + " B messages, peers, observers, Block1, resources)");
        o.WriteLine("  per client slot  " + N(runtime.PerSlotBytes) + " B (target " + N(TargetPerSlotBytes) + " B: " + (runtime.PerSlotBytes <= TargetPerSlotBytes ? "met" : "missed by " + N(runtime.PerSlotBytes - TargetPerSlotBytes) + " B") + ")");
        o.WriteLine("  8 clients        " + N(eight) + " B (target " + N(TargetEightClientsBytes) + " B: " + (eight <= TargetEightClientsBytes ? "met" : "missed by " + N(eight - TargetEightClientsBytes) + " B") + ")");
        o.WriteLine("  whole runtime, " + N(profile.Slots) + " slots " + N(runtime.TotalBytes) + " B of " + N(share) + " B: " + (fits ? "fits, " + N(share - runtime.TotalBytes) + " B to spare" : "DOES NOT FIT, " + N(runtime.TotalBytes - share) + " B over"));
        o.WriteLine("  32 KiB target    " + (targetMet ? "met, " + N(TargetRuntimeBytes - runtime.TotalBytes) + " B under " + N(TargetRuntimeBytes) + " B" : "missed by " + N(runtime.TotalBytes - TargetRuntimeBytes) + " B (" + N(TargetRuntimeBytes) + " B)"));
        bool dtls = profiles is "dtls" or "both";
        o.WriteLine("  profiles         " + profiles + (dtls
            ? ": DTLS 1.2 PSK with " + N(profile.DtlsSessions) + " sessions and a pool of " + N(profile.DtlsHandshakes) + " handshakes, " + N(profile.ToDtlsSettings().DatagramSize) + " B datagrams, included above (PSK only: no elliptic curves on nanoFramework)"
            : " (no DTLS engine; --profile dtls or both adds it)"));
        bool stated = profile.Profiles.Contains(profiles);
        o.WriteLine("  board runs       " + (profile.Profiles.Length == 0 ? "none" : string.Join(", ", profile.Profiles)) + " (\"profiles\" in its board profile): " + profiles
            + (stated ? " is stated" : " is not stated" + (fits ? ", although it fits: add it to the profile" : ", as it does not fit")));
        o.WriteLine("  of which engine  " + N(heap.FixedBytes) + " B fixed, " + N(heap.TotalBytes) + " B with " + N(profile.Slots) + " slots (token " + N(profile.MaxTokenBytes) + " B, window " + N(profile.ReplayWindow) + " bits, block SZX " + N(profile.BlockSzx) + ")");
        o.WriteLine("  flash proxy      " + (dllBytes is long b ? N((int)b) + " B (" + Path.GetFileName(dll) + ", Core and the firmware compiled against nanoFramework's mscorlib; the .pe is smaller)" : "not built (dotnet build firmware/PopIoT.Firmware.Check -c Release)"));
        if (rows != null && runtimeRows != null)
        {
            PrintRows(o, "per client slot, by place (" + N(heap.PerSlotBytes) + " B)", rows.PerSlot, rows.PerSlot.Count);
            PrintRows(o, "runtime fixed part, by place (" + N(runtime.FixedBytes) + " B; the largest " + N(Math.Min(FixedRowsShown, runtimeRows.Fixed.Count)) + " of " + N(runtimeRows.Fixed.Count) + ")", runtimeRows.Fixed, FixedRowsShown);
            PrintRows(o, "engine fixed part, by place (" + N(heap.FixedBytes) + " B, included above; the largest " + N(Math.Min(EngineRowsShown, rows.Fixed.Count)) + " of " + N(rows.Fixed.Count) + ")", rows.Fixed, EngineRowsShown);
        }

        var json = new Dictionary<string, object?>
        {
            ["budget"] = "device",
            ["board"] = profile.Id,
            ["heap_bytes"] = profile.HeapBytes,
            ["heap_basis"] = profile.HeapBasis,
            ["share_bytes"] = share,
            ["slots"] = profile.Slots,
            ["message_bytes"] = profile.MaxMessageBytes,
            ["fixed_bytes"] = runtime.FixedBytes,
            ["per_slot_bytes"] = runtime.PerSlotBytes,
            ["eight_clients_bytes"] = eight,
            ["total_bytes"] = runtime.TotalBytes,
            ["fits"] = fits,
            ["target_bytes"] = TargetRuntimeBytes,
            ["target_met"] = targetMet,
            ["engine_fixed_bytes"] = heap.FixedBytes,
            ["engine_total_bytes"] = heap.TotalBytes,
            ["assembly_bytes"] = dllBytes,
            ["profiles"] = profiles,
            ["dtls_sessions"] = dtls ? profile.DtlsSessions : 0,
            ["dtls_handshakes"] = dtls ? profile.DtlsHandshakes : 0,
            ["board_profiles"] = profile.Profiles,
            ["profile_stated"] = stated,
        };
        o.WriteLine(JsonSerializer.Serialize(json));
        return fits ? ExitCodes.Ok : ExitCodes.Rejected;
    }

    // The fixed part has a row per buffer and table; the largest ones say where it goes.
    private const int FixedRowsShown = 40;

    private const int EngineRowsShown = 15;

    // One line per place: bytes, how many objects, the type and its field blocks, and the path that reaches it. A
    // per-slot row's count is per slot (an array's elements grow the array: 0 new objects).
    private static void PrintRows(TextWriter o, string title, IReadOnlyList<HeapRow> rows, int max)
    {
        o.WriteLine("  " + title + ":");
        foreach (HeapRow r in rows.Take(max))
        {
            string what = r.Fields.Length > 0
                ? r.Type + " (header + " + N(r.Fields.Split(", ").Length) + " field blocks: " + BackingField().Replace(r.Fields, "$1") + ")"
                : r.Type;
            string count = r.Objects == 0 ? "elements of " : N(r.Objects) + " x ";
            o.WriteLine("    " + N(r.NanoBytes).PadLeft(7) + " B  " + count + what + "  at " + BackingField().Replace(r.Path, "$1"));
        }
    }

    // An auto-property's field is named <Name>k__BackingField; the property's name says it.
    [System.Text.RegularExpressions.GeneratedRegex("<([A-Za-z0-9_]+)>k__BackingField")]
    private static partial System.Text.RegularExpressions.Regex BackingField();

    private static string? FindUp(string relative)
    {
        for (DirectoryInfo? d = new DirectoryInfo(Directory.GetCurrentDirectory()); d != null; d = d.Parent)
        {
            string p = Path.Combine(d.FullName, relative);
            if (File.Exists(p))
            {
                return p;
            }
        }

        return null;
    }

    private static string N(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
