#nullable disable
namespace PopIoT.Firmware;

/// <summary>
/// The few file operations <see cref="FlashDeviceStorage"/> needs, so that its crash-safety logic is shared code and
/// only this interface is bound to a board's file system (nanoFramework's System.IO.FileSystem on <c>I:</c>). Any
/// failure throws; the storage turns every exception into its fail-closed result.
/// </summary>
public interface IFlashFiles
{
    /// <summary>Whether a file exists.</summary>
    /// <param name="path">The file.</param>
    /// <returns>True when it exists.</returns>
    bool Exists(string path);

    /// <summary>Reads a file into the caller's buffer.</summary>
    /// <param name="path">The file.</param>
    /// <param name="buffer">Where its bytes go.</param>
    /// <param name="offset">The first byte to fill.</param>
    /// <param name="count">The room; a longer file copies nothing.</param>
    /// <returns>The file's length (more than <paramref name="count"/> when it did not fit).</returns>
    int Read(string path, byte[] buffer, int offset, int count);

    /// <summary>Creates or truncates a file, writes the bytes and flushes them to the medium before returning.</summary>
    /// <param name="path">The file.</param>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">How many bytes.</param>
    void Write(string path, byte[] buffer, int offset, int count);

    /// <summary>Deletes a file.</summary>
    /// <param name="path">The file.</param>
    void Delete(string path);

    /// <summary>Renames a file; fails when the destination exists (nanoFramework's File.Move does).</summary>
    /// <param name="from">The file.</param>
    /// <param name="to">Its new name.</param>
    void Move(string from, string to);
}
