namespace PopIoT.Oscore;

/// <summary>
/// A Sender Sequence Number store cannot say, or cannot durably record, which numbers are free (RFC 8613 Appendix
/// B.1.1); the message names the file and the way out.
/// </summary>
public sealed class SequenceNumberStoreException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The store's file.</param>
    /// <param name="message">The message.</param>
    /// <param name="inner">The cause, or null.</param>
    public SequenceNumberStoreException(string path, string message, Exception? inner = null)
        : base(message, inner)
    {
        StorePath = path;
    }

    /// <summary>The store's file.</summary>
    public string StorePath { get; }
}
