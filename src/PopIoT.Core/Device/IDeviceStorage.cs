namespace PopIoT.Core.Device;

/// <summary>
/// The little state a device keeps across a reboot, as a few named small records (docs/device.md, "State that
/// survives a reboot"). Fail-closed by contract: a write that does not reach the medium returns false, never pretends;
/// a record that exists but cannot be read returns <see cref="DeviceStorageStatus.Unreadable"/>, distinct from
/// <see cref="DeviceStorageStatus.Missing"/>. Implementations: a file per record on a board or the desktop, memory in tests.
/// </summary>
public interface IDeviceStorage
{
    /// <summary>Reads a record into the caller's buffer.</summary>
    /// <param name="name">The record's name (<see cref="DeviceRecords"/>).</param>
    /// <param name="buffer">Where the record goes.</param>
    /// <param name="offset">The first byte to fill.</param>
    /// <param name="count">The room; a longer record is <see cref="DeviceStorageStatus.Unreadable"/>.</param>
    /// <returns>The record's length (0 or more), or <see cref="DeviceStorageStatus.Missing"/> or <see cref="DeviceStorageStatus.Unreadable"/>.</returns>
    int Read(string name, byte[] buffer, int offset, int count);

    /// <summary>Replaces a record with the bytes given, durably before it returns.</summary>
    /// <param name="name">The record's name.</param>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">How many bytes.</param>
    /// <returns>True when the record is stored; false when it may not be (the caller must not rely on it).</returns>
    bool Write(string name, byte[] buffer, int offset, int count);
}
