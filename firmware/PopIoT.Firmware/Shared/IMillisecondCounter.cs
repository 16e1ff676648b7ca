#nullable disable
namespace PopIoT.Firmware;

/// <summary>
/// The board's free-running millisecond counter since boot (nanoFramework's <c>Environment.TickCount64</c>). It never
/// jumps when the wall time is set, which is why every timer of the runtime runs on it (docs/firmware.md, "Time").
/// </summary>
public interface IMillisecondCounter
{
    /// <summary>Milliseconds since boot.</summary>
    long Milliseconds { get; }
}
