namespace PopIoT.Core.Device;

/// <summary>
/// Where the device runtime writes its log lines (the serial console on a board, the logger in the simulator). Lines
/// never contain key material (DESIGN.md, security invariants); docs/firmware.md lists what they say.
/// </summary>
public interface IDeviceLog
{
    /// <summary>Writes one line.</summary>
    /// <param name="level">One of <see cref="DeviceLogLevel"/>.</param>
    /// <param name="message">The line, without a trailing newline.</param>
    void Write(int level, string message);
}
