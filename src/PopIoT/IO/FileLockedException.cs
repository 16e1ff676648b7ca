namespace PopIoT.IO;

/// <summary>An <see cref="ExclusiveFileLock"/> is held by another process; the message names the file and the holder.</summary>
public sealed class FileLockedException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The lock file.</param>
    /// <param name="holder">The holder's line from the lock file (pid, what, since when), or null when unknown.</param>
    /// <param name="message">The message.</param>
    public FileLockedException(string path, string? holder, string message)
        : base(message)
    {
        LockPath = path;
        Holder = holder;
    }

    /// <summary>The lock file.</summary>
    public string LockPath { get; }

    /// <summary>The holder's line, or null when unknown.</summary>
    public string? Holder { get; }
}
