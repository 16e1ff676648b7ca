using PopIoT.Core.Crypto;

namespace PopIoT.Core.Device;

/// <summary>
/// What a host gives the device runtime (docs/architecture.md, "The device runtime"): the socket, the clocks, the storage
/// for the state that survives a reboot, the crypto provider, the log and the peripherals. A board's Main fills it with
/// nanoFramework adapters; the simulator with desktop ones. Everything else is the same code on both.
/// </summary>
public sealed class DeviceHost
{
    /// <summary>The datagram socket, bound to the CoAP port.</summary>
    public IDatagramSocket Socket { get; set; }

    /// <summary>The clocks.</summary>
    public IDeviceClock Clock { get; set; }

    /// <summary>The storage for the records of <see cref="DeviceRecords"/>.</summary>
    public IDeviceStorage Storage { get; set; }

    /// <summary>The crypto provider (the board's native AES and HMAC, or Core's managed code).</summary>
    public ICryptoProvider Crypto { get; set; }

    /// <summary>The log.</summary>
    public IDeviceLog Log { get; set; }

    /// <summary>The LED and the temperature sensor.</summary>
    public IDevicePeripherals Peripherals { get; set; }
}
