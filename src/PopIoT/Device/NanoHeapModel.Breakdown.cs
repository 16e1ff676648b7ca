using PopIoT.Core.Ace;

namespace PopIoT.Device;

/// <summary>Where the bytes go: the engine's and the whole runtime's objects by place (docs/firmware.md "Device budgets").</summary>
public static partial class NanoHeapModel
{
    /// <summary>
    /// Where the engine's bytes go: <see cref="Breakdown"/> of the engine built with one slot and with nine, the rows
    /// whose bytes grow with the slots divided by 8 (the part per client slot) and the one-slot rows less that.
    /// </summary>
    /// <param name="settings">The engine's settings.</param>
    /// <returns>The per-slot rows and the fixed rows, each largest first.</returns>
    public static EngineBreakdown MeasureEngineBreakdown(AceRsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Split(WithEngine(settings, 1, e => Breakdown(e)), WithEngine(settings, 9, e => Breakdown(e)));
    }

    /// <summary>
    /// Where the whole runtime's bytes go: <see cref="Breakdown"/> of the <see cref="PopIoT.Core.Device.DeviceRuntime"/>
    /// that <see cref="MeasureRuntime"/> measures, split as <see cref="MeasureEngineBreakdown"/> splits the engine's
    /// (the engine's rows are under the runtime's field that holds it).
    /// </summary>
    /// <param name="settings">The runtime's settings.</param>
    /// <returns>The per-slot rows and the fixed rows, each largest first.</returns>
    public static EngineBreakdown MeasureRuntimeBreakdown(PopIoT.Core.Device.DeviceRuntimeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Split(RuntimeRows(settings, 1), RuntimeRows(settings, 9));
    }

    private static IReadOnlyList<HeapRow> RuntimeRows(PopIoT.Core.Device.DeviceRuntimeSettings settings, int slots)
    {
        using PopIoT.Core.Device.DeviceRuntime runtime = BuildRuntime(settings, slots);
        return Breakdown(runtime);
    }

    // The rows of one graph built with one slot and with nine: what grows, divided by 8, is per slot; the rest is fixed.
    private static EngineBreakdown Split(IReadOnlyList<HeapRow> one, IReadOnlyList<HeapRow> nineRows)
    {
        Dictionary<string, HeapRow> nine = nineRows.ToDictionary(r => r.Path, StringComparer.Ordinal);
        var perSlot = new List<HeapRow>();
        var fixedRows = new List<HeapRow>();
        foreach (HeapRow r in one)
        {
            HeapRow n = nine.TryGetValue(r.Path, out HeapRow found) ? found : r;
            nine.Remove(r.Path);
            var slot = new HeapRow(r.Path, n.Type, n.Fields, (n.Objects - r.Objects) / 8, (n.NanoBytes - r.NanoBytes) / 8, (n.DesktopBytes - r.DesktopBytes) / 8);
            if (slot.NanoBytes != 0 || slot.Objects != 0)
            {
                perSlot.Add(slot);
            }

            fixedRows.Add(r with { Objects = r.Objects - slot.Objects, NanoBytes = r.NanoBytes - slot.NanoBytes, DesktopBytes = r.DesktopBytes - slot.DesktopBytes });
        }

        // Places only a bigger table reaches (a second slot's objects under a path the first did not have).
        foreach (HeapRow n in nine.Values)
        {
            perSlot.Add(n with { Objects = n.Objects / 8, NanoBytes = n.NanoBytes / 8, DesktopBytes = n.DesktopBytes / 8 });
        }

        return new EngineBreakdown(
            perSlot.OrderByDescending(r => r.NanoBytes).ToList(),
            fixedRows.Where(r => r.NanoBytes != 0).OrderByDescending(r => r.NanoBytes).ToList());
    }
}
