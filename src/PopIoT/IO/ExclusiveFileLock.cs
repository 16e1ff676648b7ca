using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PopIoT.IO;

/// <summary>
/// An exclusive lock held through an open lock file (FileShare.None: flock(LOCK_EX) on Unix, a share lock on Windows),
/// so a second process that wants the same resource fails at once with a message naming the file and its holder. The
/// OS drops the lock when the process ends, however it ends. The file itself stays: deleting it on release would let
/// two later processes lock two different files of the same name.
/// </summary>
public sealed class ExclusiveFileLock : IDisposable
{
    private const int MaxHolderBytes = 512;

    private readonly FileStream _file;

    private ExclusiveFileLock(string path, FileStream file)
    {
        Path = path;
        _file = file;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Takes the lock, or fails at once.</summary>
    /// <param name="path">The lock file (created when absent, owner-only).</param>
    /// <param name="what">What the lock guards, for the holder line and messages, e.g. "popiot as serve".</param>
    /// <returns>The held lock; dispose it to release.</returns>
    /// <exception cref="FileLockedException">Another process (or another handle in this one) holds it.</exception>
    public static ExclusiveFileLock Acquire(string path, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        FileStream file;
        try
        {
            file = new FileStream(path, options);
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            string? holder = Holder(path);
            throw new FileLockedException(
                path,
                holder,
                "'" + path + "' is locked" + (holder != null ? " by " + holder : " by another process (" + e.Message + ")"));
        }

        try
        {
            // Who holds it, for the message a second process prints; written after the lock is ours.
            byte[] line = Encoding.UTF8.GetBytes(
                "pid " + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + " (" + what + ", " + ProcessName() + ") since "
                + DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture) + "\n");
            file.SetLength(0);
            file.Write(line);
            file.Flush(true);
        }
        catch (IOException)
        {
            // The holder line is a courtesy; the lock is what counts.
        }

        return new ExclusiveFileLock(path, file);
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _file.Dispose();

    private static string? Holder(string path)
    {
        byte[]? bytes = UnixNative.TryReadUnlocked(path, MaxHolderBytes);
        if (bytes == null)
        {
            return null;
        }

        string text = Encoding.UTF8.GetString(bytes).Trim();
        return text.Length == 0 ? null : text;
    }

    private static string ProcessName()
    {
        using Process p = Process.GetCurrentProcess();
        return p.ProcessName;
    }
}
