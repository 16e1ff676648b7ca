// Mirrors nanoFramework.Runtime.Native 1.7.11 (assembly nanoFramework.Runtime.Native), source
// github.com/nanoframework/nanoFramework.Runtime.Native commit a7c24bd4983163ba1a3febbedc23d13cb17cdf36:
// nanoFramework.Runtime.Native/System/Environment.cs (TickCount64 since 2022). Only the member the adapters call.
#pragma warning disable CS1591
using PopIoT.Firmware.Check;

namespace System
{
    public static partial class Environment
    {
        public static long TickCount64 => throw new NotSupportedException(CompileOnly.Message);
    }
}
