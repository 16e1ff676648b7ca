using System.Globalization;
using System.Text;
using PopIoT.Core.Oscore;
using PopIoT.IO;

namespace PopIoT.Oscore;

/// <summary>
/// Keeps a Sender Sequence Number in a small text file (RFC 8613 Appendix B.1.1), so a process started again with the
/// same context never reuses a nonce (§7.2.1). It fails closed:
/// <list type="bullet">
/// <item>it holds an exclusive lock (<see cref="ExclusiveFileLock"/>) from construction to <see cref="Dispose"/>, so two
/// processes never load the same value;</item>
/// <item>a missing, empty or unreadable file is an error naming the file, never a silent 0: the numbers the context
/// used before are unknown. A context that is new, or whose numbers are known to lie below some N, is started
/// explicitly with <c>startAt</c>;</item>
/// <item>each value is written durably (<see cref="DurableFile"/>: temporary file, fsync, rename, fsync of the
/// directory) and a failed write throws, so the context sends nothing it has not reserved.</item>
/// </list>
/// </summary>
public sealed class FileSequenceNumberStore : ISequenceNumberStore, IDisposable
{
    private const int MaxFileBytes = 64;

    private readonly ExclusiveFileLock _lock;
    private readonly Action<FileStream, byte[]>? _write;

    /// <summary>Opens the store for a context file: the number in <c>CONTEXT.seq</c>, the lock on <c>CONTEXT.lock</c>.</summary>
    /// <param name="contextFile">The context or credential file.</param>
    /// <param name="startAt">
    /// Null to use the stored value (which must exist); otherwise the value to start at, written before use: for a new
    /// context 0, or a number known to be above every one used. A stored value above it is refused (it would go back).
    /// </param>
    /// <returns>The store; dispose it after the context.</returns>
    /// <exception cref="FileLockedException">Another process uses the context.</exception>
    /// <exception cref="SequenceNumberStoreException"><paramref name="startAt"/> is below the stored value, or it cannot be written.</exception>
    public static FileSequenceNumberStore ForContextFile(string contextFile, long? startAt = null)
    {
        ArgumentNullException.ThrowIfNull(contextFile);
        return new FileSequenceNumberStore(contextFile + ".seq", contextFile + ".lock", startAt, null);
    }

    /// <summary>Opens a store (see <see cref="ForContextFile"/>).</summary>
    /// <param name="path">The sequence number file.</param>
    /// <param name="lockPath">The lock file.</param>
    /// <param name="startAt">Null to use the stored value; otherwise the value to start at.</param>
    public FileSequenceNumberStore(string path, string lockPath, long? startAt = null)
        : this(path, lockPath, startAt, null)
    {
    }

    internal FileSequenceNumberStore(string path, string lockPath, long? startAt, Action<FileStream, byte[]>? write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(lockPath);
        if (startAt is < 0 or >= Core.Oscore.ReplayWindow.MaxSequenceNumber)
        {
            throw new ArgumentOutOfRangeException(nameof(startAt), "a Sender Sequence Number is 0 to 2^40 - 2 (RFC 8613 §7.2.1)");
        }

        Path = path;
        _write = write;
        _lock = ExclusiveFileLock.Acquire(lockPath, "OSCORE Sender Sequence Number in " + path);
        try
        {
            if (startAt is long n)
            {
                if (File.Exists(path) && TryRead(out long stored, out _) && stored > n)
                {
                    throw new SequenceNumberStoreException(
                        path,
                        "'" + path + "' holds " + stored.ToString(CultureInfo.InvariantCulture) + ", above the requested start "
                        + n.ToString(CultureInfo.InvariantCulture) + ": numbers below " + stored.ToString(CultureInfo.InvariantCulture)
                        + " may have been used, and using one again would repeat an AES-CCM nonce (RFC 8613 §7.2.1)");
                }

                Save(n);
            }
        }
        catch
        {
            _lock.Dispose();
            throw;
        }
    }

    /// <summary>The sequence number file.</summary>
    public string Path { get; }

    /// <summary>The last failed write (its message names the file), or null once a write succeeded.</summary>
    public SequenceNumberStoreException? LastError { get; private set; }

    /// <inheritdoc/>
    /// <exception cref="SequenceNumberStoreException">The file is missing, empty, unreadable or does not hold a number.</exception>
    public bool TryLoad(out long value)
    {
        if (!File.Exists(Path))
        {
            throw new SequenceNumberStoreException(
                Path,
                "'" + Path + "' is missing, so the Sender Sequence Numbers this OSCORE context used before are unknown and the "
                + "next one could repeat an AES-CCM nonce (RFC 8613 §7.2.1, Appendix B.1.1). Re-key the context (a new Master "
                + "Secret or ID Context, Appendix B.2), or, if it was never used or every number it used is known, start it "
                + "explicitly above them");
        }

        if (!TryRead(out value, out string? problem))
        {
            throw new SequenceNumberStoreException(
                Path,
                "'" + Path + "' " + problem + ", so the Sender Sequence Numbers this OSCORE context used before are unknown "
                + "(RFC 8613 Appendix B.1.1). Re-key the context (Appendix B.2), or start it explicitly above every number it used");
        }

        return true;
    }

    /// <inheritdoc/>
    /// <exception cref="SequenceNumberStoreException">The value may not be durable; the file keeps its previous value.</exception>
    public void Save(long value)
    {
        try
        {
            DurableFile.Write(Path, Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture) + "\n"), false, true, _write);
            LastError = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LastError = new SequenceNumberStoreException(Path, "cannot write '" + Path + "': " + e.Message + "; nothing was sent with an unreserved Sender Sequence Number", e);
            throw LastError;
        }
    }

    /// <summary>Releases the lock; call it after the context is disposed.</summary>
    public void Dispose() => _lock.Dispose();

    private bool TryRead(out long value, out string? problem)
    {
        value = 0;
        string text;
        try
        {
            var info = new FileInfo(Path);
            if (info.Length > MaxFileBytes)
            {
                problem = "is " + info.Length.ToString(CultureInfo.InvariantCulture) + " bytes, not a sequence number";
                return false;
            }

            text = File.ReadAllText(Path, Encoding.ASCII).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = "cannot be read (" + e.Message + ")";
            return false;
        }

        if (text.Length == 0)
        {
            problem = "is empty";
            return false;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) || value >= Core.Oscore.ReplayWindow.MaxSequenceNumber)
        {
            problem = "does not hold a sequence number (0 to 2^40 - 2)";
            value = 0;
            return false;
        }

        problem = null;
        return true;
    }
}
