using System;

using PopIoT.Core.Device;

namespace PopIoT.Firmware;

/// <summary>
/// The log on the board's console (<c>Console.WriteLine</c>, shown by Visual Studio's or VS Code's nanoFramework
/// output over the USB serial link). One line per call, prefixed by its level; Debug lines are left out unless asked for.
/// </summary>
internal sealed class SerialLog : IDeviceLog
{
    private readonly int _minimum;

    /// <summary>Creates the log.</summary>
    /// <param name="minimum">The lowest <see cref="DeviceLogLevel"/> written.</param>
    public SerialLog(int minimum)
    {
        _minimum = minimum;
    }

    /// <inheritdoc/>
    public void Write(int level, string message)
    {
        if (level < _minimum)
        {
            return;
        }

        string prefix = level >= DeviceLogLevel.Error ? "[E] " : (level == DeviceLogLevel.Warning ? "[W] " : (level == DeviceLogLevel.Information ? "[I] " : "[D] "));
        Console.WriteLine(prefix + message);
    }
}
