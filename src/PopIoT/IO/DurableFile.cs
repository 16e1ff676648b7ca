using System.Security.Cryptography;

namespace PopIoT.IO;

/// <summary>
/// Replaces a file so that after a crash it holds either the old bytes or the new ones, and once this returns the new
/// ones are on disk: write a temporary file beside it (owner-only from its creation when asked), fsync it, rename it
/// over the target, fsync the directory (POSIX rename(2) and fsync(2): the rename itself is durable only then).
/// </summary>
internal static class DurableFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> as described above.</summary>
    /// <param name="path">The target.</param>
    /// <param name="content">The bytes.</param>
    /// <param name="ownerOnly">Create the file readable and writable by its owner only (0600 on Unix).</param>
    /// <param name="overwrite">Replace an existing target; when false an existing target is left alone.</param>
    /// <param name="write">Writes the bytes to the temporary file (tests inject failures here), or null.</param>
    /// <exception cref="TargetExistsException"><paramref name="overwrite"/> is false and the target exists.</exception>
    /// <exception cref="IOException">Any step failed; the target is unchanged and no temporary file is left.</exception>
    public static void Write(string path, ReadOnlySpan<byte> content, bool ownerOnly, bool overwrite, Action<FileStream, byte[]>? write = null)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? ".";
        if (!overwrite && File.Exists(full))
        {
            throw new TargetExistsException(path);
        }

        string temp = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            // Owner-only from the moment the file exists, so the secret is never readable by others, even briefly.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        byte[] bytes = content.ToArray();
        try
        {
            using (var f = new FileStream(temp, options))
            {
                if (write != null)
                {
                    write(f, bytes);
                }
                else
                {
                    f.Write(bytes);
                }

                f.Flush(true);
            }

            try
            {
                File.Move(temp, full, overwrite);
            }
            catch (IOException) when (!overwrite && File.Exists(full))
            {
                throw new TargetExistsException(path);
            }

            UnixNative.FsyncDirectory(directory);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
            TryDelete(temp);
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the temporary file has a random name and never replaces the target by itself.
        }
    }
}
