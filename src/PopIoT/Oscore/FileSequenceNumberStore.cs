using System.Globalization;
using PopIoT.Core.Oscore;

namespace PopIoT.Oscore;

/// <summary>
/// Keeps a Sender Sequence Number in a small text file (RFC 8613 Appendix B.1.1), so a process started again with the
/// same context file never reuses a nonce. The file is replaced atomically (write, then rename).
/// </summary>
public sealed class FileSequenceNumberStore : ISequenceNumberStore
{
    private readonly string _path;

    /// <summary>Creates a store.</summary>
    /// <param name="path">The file, e.g. the context file's name with ".seq" appended.</param>
    public FileSequenceNumberStore(string path) => _path = path ?? throw new ArgumentNullException(nameof(path));

    /// <inheritdoc/>
    public bool TryLoad(out long value)
    {
        value = 0;
        try
        {
            string text = File.ReadAllText(_path).Trim();
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public void Save(long value)
    {
        string temp = _path + ".tmp";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var w = new StreamWriter(f))
        {
            w.Write(value.ToString(CultureInfo.InvariantCulture));
            w.Flush();
            f.Flush(true);
        }

        File.Move(temp, _path, true);
    }
}
