namespace PopIoT.Core.Device;

/// <summary>What <see cref="IDeviceStorage.Read"/> returns instead of a length when there is no record to give.</summary>
public static class DeviceStorageStatus
{
    /// <summary>No such record: a device that never stored it (first boot).</summary>
    public const int Missing = -1;

    /// <summary>The record exists but cannot be read (medium error, corrupt, or longer than the room given).</summary>
    public const int Unreadable = -2;
}
