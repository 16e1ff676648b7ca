namespace PopIoT.IO;

/// <summary>A file that is written only once (a secret) already exists and was left as it was.</summary>
public sealed class TargetExistsException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The existing file.</param>
    public TargetExistsException(string path)
        : base("'" + path + "' already exists and was left unchanged")
    {
        TargetPath = path;
    }

    /// <summary>The existing file.</summary>
    public string TargetPath { get; }
}
