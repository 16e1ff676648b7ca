using Microsoft.Extensions.Logging;
using PopIoT.Core.Device;

namespace PopIoT.Device;

/// <summary>The simulator's <see cref="IDeviceLog"/>: the device's lines go to an <see cref="ILogger"/> (none: dropped).</summary>
internal sealed class LoggerDeviceLog(ILogger? logger) : IDeviceLog
{
    public void Write(int level, string message)
    {
        if (logger == null)
        {
            return;
        }

        LogLevel l = level switch
        {
            DeviceLogLevel.Debug => LogLevel.Debug,
            DeviceLogLevel.Information => LogLevel.Information,
            DeviceLogLevel.Warning => LogLevel.Warning,
            _ => LogLevel.Error,
        };
#pragma warning disable CA2254 // The device's lines are its own fixed texts (docs/firmware.md), not templates.
        logger.Log(l, message);
#pragma warning restore CA2254
    }
}
