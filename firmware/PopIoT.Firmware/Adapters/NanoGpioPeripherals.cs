using System;
using System.Device.Gpio;

using PopIoT.Core.Device;

namespace PopIoT.Firmware;

/// <summary>
/// The LED of /led on a GPIO pin (System.Device.Gpio), and the temperature of /temp from a fixed source: nanoFramework
/// has no API for the ESP32's internal temperature sensor, so the board reports <see cref="FixedCentiCelsius"/>
/// (docs/firmware.md); a board with a real sensor replaces this file.
/// </summary>
internal sealed class NanoGpioPeripherals : IDevicePeripherals, IDisposable
{
    /// <summary>The temperature reported: 21.50 °C.</summary>
    public const int FixedCentiCelsius = 2150;

    private readonly GpioController _gpio;
    private readonly GpioPin _led;
    private bool _on;

    /// <summary>Opens the LED pin as an output, off.</summary>
    /// <param name="ledPin">The GPIO number.</param>
    public NanoGpioPeripherals(int ledPin)
    {
        _gpio = new GpioController();
        _led = _gpio.OpenPin(ledPin, PinMode.Output);
        _led.Write(PinValue.Low);
    }

    /// <inheritdoc/>
    public bool LedOn
    {
        get { return _on; }
    }

    /// <inheritdoc/>
    public bool ReadTemperature(out int centiCelsius)
    {
        centiCelsius = FixedCentiCelsius;
        return true;
    }

    /// <inheritdoc/>
    public void SetLed(bool on)
    {
        _led.Write(on ? PinValue.High : PinValue.Low);
        _on = on;
    }

    /// <summary>Releases the pin.</summary>
    public void Dispose()
    {
        _led.Dispose();
        _gpio.Dispose();
    }
}
