using System;
using System.IO;

using PopIoT.Core.Crypto;
using PopIoT.Core.Device;

namespace PopIoT.Firmware;

/// <summary>
/// The nanoFramework board: the adapters behind <see cref="IFirmwareBoard"/>. The storage root is the first drive
/// holding a board-settings record: <c>I:</c> (ESP32 internal flash), <c>D:</c> (an STM32 board's SD card or flash).
/// </summary>
internal sealed class NanoBoard : IFirmwareBoard, IDisposable
{
    private static readonly string[] Roots = { "I:", "D:" };

    private NanoGpioPeripherals _peripherals;

    /// <summary>Creates the adapters.</summary>
    public NanoBoard()
    {
        Log = new SerialLog(DeviceLogLevel.Information);
        Counter = new NanoTickCounter();
        Random = new NanoRandomSource();
        Network = new NanoNetworkLink();
        Storage = new FlashDeviceStorage(new NanoFlashFiles(), FindRoot());
    }

    /// <inheritdoc/>
    public IDeviceLog Log { get; private set; }

    /// <inheritdoc/>
    public IDeviceStorage Storage { get; private set; }

    /// <inheritdoc/>
    public IMillisecondCounter Counter { get; private set; }

    /// <inheritdoc/>
    public IRandomSource Random { get; private set; }

    /// <inheritdoc/>
    public INetworkLink Network { get; private set; }

    /// <inheritdoc/>
    public ICryptoProvider CreateCrypto(bool native, int macCapacity)
    {
        return native ? new NanoCryptoProvider(Random, macCapacity) : (ICryptoProvider)new ManagedCryptoProvider(Random);
    }

    /// <inheritdoc/>
    public IDevicePeripherals OpenPeripherals(int ledPin)
    {
        _peripherals = new NanoGpioPeripherals(ledPin);
        return _peripherals;
    }

    /// <inheritdoc/>
    public IDatagramSocket OpenUdp(int localPort)
    {
        return new NanoUdpSocket(localPort);
    }

    /// <summary>Releases the pins.</summary>
    public void Dispose()
    {
        if (_peripherals != null)
        {
            _peripherals.Dispose();
        }
    }

    private static string FindRoot()
    {
        for (int i = 0; i < Roots.Length; i++)
        {
            if (File.Exists(Roots[i] + "\\" + DeviceRecords.BoardSettings))
            {
                return Roots[i];
            }
        }

        return Roots[0];
    }
}
