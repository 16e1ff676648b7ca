// Mirrors nanoFramework.System.Threading 1.1.52 (assembly System.Threading), source
// github.com/nanoframework/System.Threading: nanoFramework.System.Threading/Threading/{CancellationToken,
// CancellationTokenSource}.cs. Only the members the adapters use.
#pragma warning disable CS1591
using PopIoT.Firmware.Check;

namespace System.Threading
{
    public struct CancellationToken
    {
    }

    public class CancellationTokenSource : IDisposable
    {
        public CancellationTokenSource(int millisecondsDelay) => throw new NotSupportedException(CompileOnly.Message);

        public CancellationToken Token => throw new NotSupportedException(CompileOnly.Message);

        public void Dispose() => throw new NotSupportedException(CompileOnly.Message);
    }
}
