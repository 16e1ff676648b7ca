using PopIoT.Core.Device;
using PopIoT.Firmware;

using Xunit;

namespace PopIoT.Tests.Firmware;

/// <summary>
/// The board's file storage (nanoFramework's File.Move cannot replace a file): a power cut at every step of a write
/// leaves the old record or the complete new one, never a missing or half record; failures are fail-closed.
/// </summary>
public class FlashDeviceStorageTests
{
    /// <summary>Files in memory that can lose power after a given number of mutating steps (a write may stop half way).</summary>
    private sealed class CutFiles : IFlashFiles
    {
        public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

        public int StepsUntilCut { get; set; } = int.MaxValue;

        public bool FailReads { get; set; }

        public bool Exists(string path) => Files.ContainsKey(path);

        public int Read(string path, byte[] buffer, int offset, int count)
        {
            if (FailReads)
            {
                throw new IOException("medium error");
            }

            byte[] f = Files[path];
            if (f.Length <= count)
            {
                f.CopyTo(buffer, offset);
            }

            return f.Length;
        }

        public void Write(string path, byte[] buffer, int offset, int count)
        {
            if (Step())
            {
                Files[path] = buffer[offset..(offset + (count / 2))];
                throw new IOException("power cut while writing");
            }

            Files[path] = buffer[offset..(offset + count)];
        }

        public void Delete(string path)
        {
            if (Step())
            {
                throw new IOException("power cut");
            }

            Files.Remove(path);
        }

        public void Move(string from, string to)
        {
            if (Files.ContainsKey(to))
            {
                throw new IOException("destination exists");
            }

            if (Step())
            {
                throw new IOException("power cut");
            }

            Files[to] = Files[from];
            Files.Remove(from);
        }

        private bool Step() => --StepsUntilCut < 0;
    }

    private static byte[] Record(byte fill, int length) => Enumerable.Repeat(fill, length).ToArray();

    private static byte[]? ReadBack(CutFiles files)
    {
        files.StepsUntilCut = int.MaxValue;
        var fresh = new FlashDeviceStorage(files, "I:");
        byte[] buffer = new byte[64];
        int n = fresh.Read(DeviceRecords.ExiSequence, buffer, 0, buffer.Length);
        return n < 0 ? null : buffer[..n];
    }

    [Fact]
    public void A_power_cut_at_every_step_of_a_replacement_leaves_the_old_or_the_new_record()
    {
        byte[] oldRecord = Record(0x11, 12);
        byte[] newRecord = Record(0x22, 12);
        for (int cut = 0; cut < 8; cut++)
        {
            var files = new CutFiles();
            Assert.True(new FlashDeviceStorage(files, "I:").Write(DeviceRecords.ExiSequence, oldRecord, 0, 12));
            files.StepsUntilCut = cut;
            bool written = new FlashDeviceStorage(files, "I:").Write(DeviceRecords.ExiSequence, newRecord, 0, 12);

            byte[]? now = ReadBack(files);
            Assert.True(now != null && (now.SequenceEqual(oldRecord) || now.SequenceEqual(newRecord)), "cut after " + cut + " steps left " + (now == null ? "no record" : Convert.ToHexString(now)));
            if (written)
            {
                Assert.Equal(newRecord, now);
            }

            // The next write after the cut completes and reads back.
            Assert.True(new FlashDeviceStorage(files, "I:").Write(DeviceRecords.ExiSequence, Record(0x33, 12), 0, 12));
            Assert.Equal(Record(0x33, 12), ReadBack(files));
        }
    }

    [Fact]
    public void A_cut_between_delete_and_rename_keeps_the_new_record_through_the_next_write_and_its_cut()
    {
        var files = new CutFiles();
        var storage = new FlashDeviceStorage(files, "I:");
        Assert.True(storage.Write(DeviceRecords.ExiSequence, Record(0x11, 12), 0, 12));

        // Steps of a replacement: write .new (1), delete the record (2), rename (3): cut before the rename.
        files.StepsUntilCut = 2;
        Assert.False(storage.Write(DeviceRecords.ExiSequence, Record(0x22, 12), 0, 12));
        Assert.False(files.Exists("I:\\exi-seq"));
        Assert.Equal(Record(0x22, 12), ReadBack(files));

        // The next write first makes the complete new record current; a cut right after that loses nothing.
        files.StepsUntilCut = 1;
        Assert.False(storage.Write(DeviceRecords.ExiSequence, Record(0x33, 12), 0, 12));
        Assert.Equal(Record(0x22, 12), ReadBack(files));
    }

    [Fact]
    public void Missing_unreadable_too_long_and_failed_writes_are_reported_fail_closed()
    {
        var files = new CutFiles();
        var storage = new FlashDeviceStorage(files, "I:");
        byte[] buffer = new byte[8];

        Assert.Equal(DeviceStorageStatus.Missing, storage.Read(DeviceRecords.Configuration, buffer, 0, 8));
        files.Files["I:\\config"] = Record(1, 9);
        Assert.Equal(DeviceStorageStatus.Unreadable, storage.Read(DeviceRecords.Configuration, buffer, 0, 8));
        files.Files["I:\\config"] = Record(1, 8);
        Assert.Equal(8, storage.Read(DeviceRecords.Configuration, buffer, 0, 8));
        files.FailReads = true;
        Assert.Equal(DeviceStorageStatus.Unreadable, storage.Read(DeviceRecords.Configuration, buffer, 0, 8));
        files.StepsUntilCut = 0;
        Assert.False(storage.Write(DeviceRecords.Configuration, buffer, 0, 8));
    }

    [Theory]
    [InlineData("../config")]
    [InlineData("a\\b")]
    [InlineData("config.new")]
    [InlineData("D:")]
    [InlineData("")]
    public void Record_names_that_could_leave_the_root_are_refused(string name)
    {
        var storage = new FlashDeviceStorage(new CutFiles(), "I:");
        Assert.Throws<ArgumentException>(() => storage.PathOf(name));
        Assert.Equal("I:\\exi-seq", storage.PathOf(DeviceRecords.ExiSequence));
    }
}
