using System.IO;

namespace PopIoT.Firmware;

/// <summary><see cref="IFlashFiles"/> over nanoFramework's file system (System.IO.FileSystem; <c>I:</c> is the ESP32's internal flash).</summary>
internal sealed class NanoFlashFiles : IFlashFiles
{
    /// <inheritdoc/>
    public bool Exists(string path)
    {
        return File.Exists(path);
    }

    /// <inheritdoc/>
    public int Read(string path, byte[] buffer, int offset, int count)
    {
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Read))
        {
            long length = f.Length;
            if (length > count)
            {
                return count + 1;
            }

            int done = 0;
            while (done < length)
            {
                int n = f.Read(buffer, offset + done, (int)length - done);
                if (n <= 0)
                {
                    // Shorter than its length: unreadable, never a shorter record.
                    return -1;
                }

                done += n;
            }

            return done;
        }
    }

    /// <inheritdoc/>
    public void Write(string path, byte[] buffer, int offset, int count)
    {
        using (var f = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            f.Write(buffer, offset, count);
            f.Flush();
        }
    }

    /// <inheritdoc/>
    public void Delete(string path)
    {
        File.Delete(path);
    }

    /// <inheritdoc/>
    public void Move(string from, string to)
    {
        File.Move(from, to);
    }
}
