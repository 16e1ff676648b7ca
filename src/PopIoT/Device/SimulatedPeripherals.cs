using PopIoT.Core.Device;

namespace PopIoT.Device;

/// <summary>The simulator's <see cref="IDevicePeripherals"/>: an LED that is a flag and a temperature the host sets.</summary>
internal sealed class SimulatedPeripherals : IDevicePeripherals
{
    private volatile bool _led;
    private int _centiCelsius = 2150;

    public bool LedOn => _led;

    public int CentiCelsius
    {
        get => Volatile.Read(ref _centiCelsius);
        set => Volatile.Write(ref _centiCelsius, value);
    }

    public bool ReadTemperature(out int centiCelsius)
    {
        centiCelsius = CentiCelsius;
        return true;
    }

    public void SetLed(bool on) => _led = on;
}
