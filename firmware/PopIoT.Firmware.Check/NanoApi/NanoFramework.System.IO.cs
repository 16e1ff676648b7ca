// Mirrors nanoFramework.System.IO.Streams 1.1.96 (assembly System.IO.Streams), source
// github.com/nanoframework/System.IO.Streams commit ff384f9833c477b708c42c590e17ca0715050fd3: System.IO.Streams/Stream.cs;
// and nanoFramework.System.IO.FileSystem 1.1.93 (assembly System.IO.FileSystem), source
// github.com/nanoframework/System.IO.FileSystem commit 434b26c6db29708367e4df3f4ea82095ef843372:
// System.IO.FileSystem/{File,FileStream,FileMode,FileAccess}.cs. Only the members the adapters call.
#pragma warning disable CS1591
using PopIoT.Firmware.Check;

namespace System.IO
{
    public abstract class Stream : MarshalByRefObject, IDisposable
    {
        public abstract long Length { get; }

        public abstract void Flush();

        public abstract int Read(byte[] buffer, int offset, int count);

        public abstract void Write(byte[] buffer, int offset, int count);

        public void Dispose() => throw new NotSupportedException(CompileOnly.Message);
    }

    public enum FileMode
    {
        CreateNew = 1,
        Create = 2,
        Open = 3,
        OpenOrCreate = 4,
        Truncate = 5,
        Append = 6,
    }

    public enum FileAccess
    {
        Read = 1,
        Write = 2,
        ReadWrite = 3,
    }

    public static class File
    {
        public static bool Exists(string path) => throw new NotSupportedException(CompileOnly.Message);

        public static void Delete(string path) => throw new NotSupportedException(CompileOnly.Message);

        public static void Move(string sourceFileName, string destFileName) => throw new NotSupportedException(CompileOnly.Message);
    }

    public class FileStream : Stream
    {
        public FileStream(string path, FileMode mode, FileAccess access) => throw new NotSupportedException(CompileOnly.Message);

        public override long Length => throw new NotSupportedException(CompileOnly.Message);

        public override void Flush() => throw new NotSupportedException(CompileOnly.Message);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException(CompileOnly.Message);

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException(CompileOnly.Message);
    }
}
