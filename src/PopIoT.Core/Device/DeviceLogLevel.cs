namespace PopIoT.Core.Device;

/// <summary>The levels of <see cref="IDeviceLog"/> lines (constants rather than an enum, as the rest of Core's codes).</summary>
public static class DeviceLogLevel
{
    /// <summary>Each request and decision; shown with -v.</summary>
    public const int Debug = 0;

    /// <summary>Start, network, time, configuration.</summary>
    public const int Information = 1;

    /// <summary>Something the operator should look at: unreadable state, no clock, a refused configuration.</summary>
    public const int Warning = 2;

    /// <summary>The device cannot serve.</summary>
    public const int Error = 3;
}
