namespace PopIoT.Core.Device;

/// <summary>
/// The hardware behind the device's demo resources (docs/device.md): the LED of /led (a GPIO pin on a board) and the
/// temperature of /temp (a sensor or the chip's internal one). The simulator supplies values it can change in tests.
/// </summary>
public interface IDevicePeripherals
{
    /// <summary>Reads the temperature.</summary>
    /// <param name="centiCelsius">The temperature in hundredths of a degree Celsius (2150 is 21.5 °C).</param>
    /// <returns>False when no reading is available (the resource answers 5.03).</returns>
    bool ReadTemperature(out int centiCelsius);

    /// <summary>Whether the LED is on.</summary>
    bool LedOn { get; }

    /// <summary>Switches the LED.</summary>
    /// <param name="on">True for on.</param>
    void SetLed(bool on);
}
