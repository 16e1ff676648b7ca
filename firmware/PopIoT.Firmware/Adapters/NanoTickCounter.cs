using System;

namespace PopIoT.Firmware;

/// <summary>The board's millisecond counter since boot: <c>Environment.TickCount64</c> (nanoFramework.Runtime.Native).</summary>
internal sealed class NanoTickCounter : IMillisecondCounter
{
    /// <inheritdoc/>
    public long Milliseconds
    {
        get { return Environment.TickCount64; }
    }
}
