using PopIoT.Core.Device;
using PopIoT.Device;
using Xunit;

namespace PopIoT.Tests.Device;

/// <summary>The file-backed device storage of <c>popiot device simulate --state DIR</c> (docs/device.md).</summary>
public sealed class FileDeviceStorageTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "popiot-state-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_record_written_is_read_back_by_a_new_instance_and_a_missing_one_is_told_apart()
    {
        var s = new FileDeviceStorage(_dir);
        byte[] buffer = new byte[16];
        Assert.Equal(DeviceStorageStatus.Missing, s.Read(DeviceRecords.ExiSequence, buffer, 0, buffer.Length));
        Assert.True(s.Write(DeviceRecords.ExiSequence, [9, 1, 2, 3, 4], 1, 3));
        Assert.Equal(3, new FileDeviceStorage(_dir).Read(DeviceRecords.ExiSequence, buffer, 2, 14));
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer[2..5]);
        Assert.False(File.Exists(Path.Combine(_dir, DeviceRecords.ExiSequence + ".tmp")));
    }

    [Fact]
    public void A_record_longer_than_the_room_or_not_readable_is_unreadable_and_a_failed_write_returns_false()
    {
        var s = new FileDeviceStorage(_dir);
        Assert.True(s.Write(DeviceRecords.ExiSequence, new byte[12], 0, 12));
        Assert.Equal(DeviceStorageStatus.Unreadable, s.Read(DeviceRecords.ExiSequence, new byte[8], 0, 8));

        // A directory where the record should be: neither readable (not "missing": that would be a first boot) nor writable.
        Directory.CreateDirectory(Path.Combine(_dir, DeviceRecords.Configuration));
        Assert.Equal(DeviceStorageStatus.Unreadable, s.Read(DeviceRecords.Configuration, new byte[8], 0, 8));
        Assert.False(s.Write(DeviceRecords.Configuration, new byte[4], 0, 4));
        Assert.Throws<ArgumentException>(() => s.Write("../x", new byte[1], 0, 1));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
