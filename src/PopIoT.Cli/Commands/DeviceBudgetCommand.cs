using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using PopIoT.Device;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot device budget --board NAME</c>: the RS engine's managed heap in nanoFramework's layout (NanoHeapModel) for
/// a board profile, against the share of the board's heap PopIoT may use, and the nano-compiled assembly's size as
/// the flash proxy (docs/firmware.md "Device budgets"). Exit 0: it fits; 1: it does not.
/// </summary>
internal static class DeviceBudgetCommand
{
    /// <summary>The targets in the nanoFramework layout: per client slot, and eight clients.</summary>
    internal const int TargetPerSlotBytes = 256;

    internal const int TargetEightClientsBytes = 2048;

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
        var budget = new Command("budget", "The device's managed-heap budget on a board in nanoFramework's object layout: the fixed part, the part per client slot, the total against the board's heap share, and the flash proxy; exits 1 when it does not fit.")
        {
            board, boardsDir, dll,
        };
        budget.SetAction(p => Run(io, p.GetValue(board)!, p.GetValue(boardsDir), p.GetValue(dll)));
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

    private static int Run(CliContext io, string name, string? boardsDir, string? dllArg)
    {
        BoardProfile profile = LoadProfile(name, boardsDir);
        EngineHeap heap;
        try
        {
            heap = NanoHeapModel.MeasureEngine(profile.ToSettings("coap://device", "coap://as.example/token"));
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException("board profile '" + profile.Id + "': " + e.Message);
        }

        int share = profile.PopIotHeapBytes;
        bool fits = heap.TotalBytes <= share;
        int eight = heap.PerSlotBytes * 8;
        string? dll = dllArg ?? FindUp(CheckDll);
        long? dllBytes = dll != null && File.Exists(dll) ? new FileInfo(dll).Length : null;
        if (dllArg != null && dllBytes == null)
        {
            throw new CliUsageException("--assembly '" + dllArg + "' does not exist");
        }

        TextWriter o = io.Out;
        o.WriteLine(profile.Id + ": " + profile.Name + " (" + profile.Firmware + ")");
        o.WriteLine("  managed heap     " + N(profile.HeapBytes) + " B (" + profile.HeapBasis + "); PopIoT share " + N((int)Math.Round(profile.PopIotHeapShare * 100)) + "% = " + N(share) + " B");
        o.WriteLine("  engine fixed     " + N(heap.FixedBytes) + " B (token " + N(profile.MaxTokenBytes) + " B, window " + N(profile.ReplayWindow) + " bits, block SZX " + N(profile.BlockSzx) + ")");
        o.WriteLine("  per client slot  " + N(heap.PerSlotBytes) + " B (target " + N(TargetPerSlotBytes) + " B: " + (heap.PerSlotBytes <= TargetPerSlotBytes ? "met" : "missed by " + N(heap.PerSlotBytes - TargetPerSlotBytes) + " B") + ")");
        o.WriteLine("  8 clients        " + N(eight) + " B (target " + N(TargetEightClientsBytes) + " B: " + (eight <= TargetEightClientsBytes ? "met" : "missed by " + N(eight - TargetEightClientsBytes) + " B") + ")");
        o.WriteLine("  total, " + N(profile.Slots) + " slots " + N(heap.TotalBytes) + " B of " + N(share) + " B: " + (fits ? "fits, " + N(share - heap.TotalBytes) + " B to spare" : "DOES NOT FIT, " + N(heap.TotalBytes - share) + " B over"));
        o.WriteLine("  flash proxy      " + (dllBytes is long b ? N((int)b) + " B (" + Path.GetFileName(dll) + ", Core and the firmware compiled against nanoFramework's mscorlib; the .pe is smaller)" : "not built (dotnet build firmware/PopIoT.Firmware.Check -c Release)"));
        var json = new Dictionary<string, object?>
        {
            ["budget"] = "device",
            ["board"] = profile.Id,
            ["heap_bytes"] = profile.HeapBytes,
            ["heap_basis"] = profile.HeapBasis,
            ["share_bytes"] = share,
            ["slots"] = profile.Slots,
            ["fixed_bytes"] = heap.FixedBytes,
            ["per_slot_bytes"] = heap.PerSlotBytes,
            ["eight_clients_bytes"] = eight,
            ["total_bytes"] = heap.TotalBytes,
            ["fits"] = fits,
            ["assembly_bytes"] = dllBytes,
        };
        o.WriteLine(JsonSerializer.Serialize(json));
        return fits ? ExitCodes.Ok : ExitCodes.Rejected;
    }

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
