using PopIoT.Core.Device;

namespace PopIoT.Device;

/// <summary>
/// An <see cref="IDeviceStorage"/> keeping each record in a file of a directory (<c>popiot device simulate --state DIR</c>;
/// docs/device.md). A write goes to a temporary file, is flushed to disk and then renamed over the record, so a crash
/// leaves the old record or the new one, never half of each. Every I/O failure is reported, never swallowed into success.
/// </summary>
public sealed class FileDeviceStorage : IDeviceStorage
{
    private readonly string _directory;

    /// <summary>Uses (and creates) a directory.</summary>
    /// <param name="directory">The directory.</param>
    /// <exception cref="ArgumentException">The directory cannot be created.</exception>
    public FileDeviceStorage(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ArgumentException("cannot use state directory " + directory + ": " + e.Message, nameof(directory), e);
        }

        _directory = directory;
    }

    /// <inheritdoc/>
    public int Read(string name, byte[] buffer, int offset, int count)
    {
        string path = PathOf(name);
        try
        {
            if (!File.Exists(path))
            {
                // Something else at the record's path is not a missing record: "missing" would read as a first boot.
                return Directory.Exists(path) ? DeviceStorageStatus.Unreadable : DeviceStorageStatus.Missing;
            }

            byte[] r = File.ReadAllBytes(path);
            if (r.Length > count)
            {
                return DeviceStorageStatus.Unreadable;
            }

            r.CopyTo(buffer, offset);
            return r.Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DeviceStorageStatus.Unreadable;
        }
    }

    /// <inheritdoc/>
    public bool Write(string name, byte[] buffer, int offset, int count)
    {
        string path = PathOf(name);
        string temp = path + ".tmp";
        try
        {
            using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                f.Write(buffer, offset, count);
                f.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private string PathOf(string name)
    {
        // Record names are the fixed ones of DeviceRecords; anything that could leave the directory is refused.
        if (name.Length == 0 || name.IndexOfAny(['/', '\\', '.']) >= 0)
        {
            throw new ArgumentException("invalid record name: " + name, nameof(name));
        }

        return Path.Combine(_directory, name);
    }
}
