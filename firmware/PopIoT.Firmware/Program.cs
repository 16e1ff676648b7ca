using System.Threading;

namespace PopIoT.Firmware;

/// <summary>The nanoFramework entry point: the board's adapters around the shared flow (docs/firmware.md).</summary>
public static class Program
{
    /// <summary>Runs the device; if it stops (the log says why), the board stays up for the debugger and the serial console.</summary>
    public static void Main()
    {
        using (var board = new NanoBoard())
        {
            FirmwareMain.Run(board);
        }

        Thread.Sleep(Timeout.Infinite);
    }
}
