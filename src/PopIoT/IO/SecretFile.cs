using System.Text;

namespace PopIoT.IO;

/// <summary>
/// Writes files that hold secrets (keys, Master Secrets, tokens with their PoP key): readable by the owner only (0600
/// on Unix, set when the file is created, before any secret byte is in it), never over an existing file unless asked,
/// and durably (<see cref="DurableFile"/>). Every command that writes a secret goes through here (docs/cli.md).
/// </summary>
public static class SecretFile
{
    /// <summary>Fails early when <paramref name="path"/> exists and may not be replaced (before any work is done).</summary>
    /// <param name="path">The file.</param>
    /// <param name="overwrite">Whether an existing file may be replaced.</param>
    /// <exception cref="TargetExistsException">It exists and <paramref name="overwrite"/> is false.</exception>
    public static void CheckWritable(string path, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!overwrite && File.Exists(path))
        {
            throw new TargetExistsException(path);
        }
    }

    /// <summary>Writes the bytes owner-only.</summary>
    /// <param name="path">The file.</param>
    /// <param name="content">The secret bytes.</param>
    /// <param name="overwrite">Whether an existing file may be replaced.</param>
    /// <exception cref="TargetExistsException">It exists and <paramref name="overwrite"/> is false; it is left unchanged.</exception>
    /// <exception cref="IOException">The write failed; an existing file is left unchanged.</exception>
    public static void Write(string path, ReadOnlySpan<byte> content, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(path);
        DurableFile.Write(path, content, true, overwrite);
    }

    /// <summary>Writes the text (UTF-8) owner-only.</summary>
    /// <param name="path">The file.</param>
    /// <param name="text">The secret text.</param>
    /// <param name="overwrite">Whether an existing file may be replaced.</param>
    /// <exception cref="TargetExistsException">It exists and <paramref name="overwrite"/> is false; it is left unchanged.</exception>
    public static void WriteText(string path, string text, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        try
        {
            Write(path, bytes, overwrite);
        }
        finally
        {
            Array.Clear(bytes);
        }
    }

    /// <summary>
    /// Reads a file that holds a secret, refusing one that others than its owner may read or write (on Unix: any group
    /// or other permission bit): a key readable by others is no longer a secret, and one they may write is not the
    /// owner's. On Windows the ACLs are the administrator's; the file is read as it is.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">The largest size accepted.</param>
    /// <returns>The bytes (the caller erases them).</returns>
    /// <exception cref="UnauthorizedAccessException">The file is open to the group or others (the message says how to fix it), or cannot be read.</exception>
    /// <exception cref="IOException">It is missing, larger than <paramref name="maxBytes"/>, or the read failed.</exception>
    public static byte[] ReadOwnerOnly(string path, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsWindows())
        {
            UnixFileMode mode = File.GetUnixFileMode(path);
            const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & Others) != 0)
            {
                throw new UnauthorizedAccessException(
                    "'" + path + "' holds a secret but is open to the group or others (mode " + Convert.ToString((int)mode, 8).PadLeft(4, '0')
                    + "); make it owner-only: chmod 600 '" + path + "'");
            }
        }

        var info = new FileInfo(path);
        if (info.Length > maxBytes)
        {
            throw new IOException("'" + path + "' is larger than " + maxBytes + " bytes");
        }

        return File.ReadAllBytes(path);
    }
}
