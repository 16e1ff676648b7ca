using System.Runtime.InteropServices;

namespace PopIoT.IO;

/// <summary>
/// The few libc calls .NET does not offer: fsync on a directory (a rename is durable only once its directory is,
/// POSIX rename(2), fsync(2)) and reading a file another process holds an exclusive lock on (.NET takes a shared
/// flock for every open, so it cannot read a lock file's holder line).
/// </summary>
internal static partial class UnixNative
{
    private const int ReadOnly = 0; // O_RDONLY on Linux and macOS.

    /// <summary>Flushes a directory's entries to disk; a no-op on Windows, where a rename's metadata is journaled.</summary>
    /// <param name="directory">The directory.</param>
    /// <exception cref="IOException">open or fsync failed.</exception>
    public static void FsyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        int fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            throw new IOException("cannot open directory '" + directory + "' to flush it: errno " + Marshal.GetLastPInvokeError().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException("cannot flush directory '" + directory + "' to disk: errno " + Marshal.GetLastPInvokeError().ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Reads up to <paramref name="max"/> bytes of a file without taking a lock, or null when it cannot.</summary>
    /// <param name="path">The file.</param>
    /// <param name="max">The most bytes read.</param>
    /// <returns>The bytes read, or null.</returns>
    public static byte[]? TryReadUnlocked(string path, int max)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        int fd = Open(path, ReadOnly);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            byte[] buffer = new byte[max];
            nint n = Read(fd, buffer, max);
            return n <= 0 ? null : buffer.AsSpan(0, (int)n).ToArray();
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Gives SIGINT back its default action when the process started with it ignored, so that .NET's handler can be
    /// installed: a shell without job control starts background commands with SIGINT ignored (POSIX Shell Command
    /// Language §2.11), and .NET leaves a signal ignored at start alone. A no-op on Windows.
    /// </summary>
    public static void UnignoreInterrupt()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        const int SigInt = 2; // SIGINT on Linux and macOS.
        nint previous = Signal(SigInt, 0); // SIG_DFL
        if (previous != 1)
        {
            // SIG_IGN is 1; anything else was a handler (or the default) and goes back as it was.
            _ = Signal(SigInt, previous);
        }
    }

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint Signal(int signal, nint handler);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, [Out] byte[] buffer, nint count);
}
