#nullable disable
using PopIoT.Core.Crypto;
using PopIoT.Core.Device;

namespace PopIoT.Firmware;

/// <summary>
/// Everything board-specific the firmware's shared flow needs (docs/firmware.md, "The firmware"): nanoFramework
/// adapters on a board, fakes in the desktop tests. The shared flow (<see cref="FirmwareStartup"/>) and the runtime
/// see nothing else of the hardware.
/// </summary>
public interface IFirmwareBoard
{
    /// <summary>The serial console.</summary>
    IDeviceLog Log { get; }

    /// <summary>The file system storage holding the records.</summary>
    IDeviceStorage Storage { get; }

    /// <summary>The millisecond counter since boot.</summary>
    IMillisecondCounter Counter { get; }

    /// <summary>The hardware random source.</summary>
    IRandomSource Random { get; }

    /// <summary>The network interface.</summary>
    INetworkLink Network { get; }

    /// <summary>Creates the crypto provider.</summary>
    /// <param name="native">True: the board's native AES and HMAC; false: Core's managed code.</param>
    /// <param name="macCapacity">The largest message the native HMAC takes in one piece.</param>
    /// <returns>The provider.</returns>
    ICryptoProvider CreateCrypto(bool native, int macCapacity);

    /// <summary>Opens the LED and the temperature source.</summary>
    /// <param name="ledPin">The LED's GPIO number.</param>
    /// <returns>The peripherals.</returns>
    IDevicePeripherals OpenPeripherals(int ledPin);

    /// <summary>Opens a UDP socket.</summary>
    /// <param name="localPort">The port to bind (0: any).</param>
    /// <returns>The socket.</returns>
    IDatagramSocket OpenUdp(int localPort);
}
