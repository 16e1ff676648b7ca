// Mirrors nanoFramework.System.Device.Gpio 1.1.62 (assembly System.Device.Gpio), source
// github.com/nanoframework/System.Device.Gpio commit cd99158280e0f5c24102981c26baf69facda4d17:
// System.Device.Gpio/{GpioController,GpioPin,PinMode,PinValue}.cs. Only the members the adapters call.
#pragma warning disable CS1591
using PopIoT.Firmware.Check;

namespace System.Device.Gpio
{
    public enum PinMode
    {
        Input,
        InputPullDown,
        InputPullUp,
        Output,
        OutputOpenDrain,
        OutputOpenDrainPullUp,
        OutputOpenSource,
        OutputOpenSourcePullDown,
    }

    public readonly struct PinValue
    {
        public static PinValue High => throw new NotSupportedException(CompileOnly.Message);

        public static PinValue Low => throw new NotSupportedException(CompileOnly.Message);
    }

    public sealed class GpioController : IDisposable
    {
        public GpioController() => throw new NotSupportedException(CompileOnly.Message);

        public GpioPin OpenPin(int pinNumber, PinMode mode) => throw new NotSupportedException(CompileOnly.Message);

        public void Dispose() => throw new NotSupportedException(CompileOnly.Message);
    }

    public sealed class GpioPin : IDisposable
    {
        private GpioPin()
        {
        }

        public void Write(PinValue value) => throw new NotSupportedException(CompileOnly.Message);

        public void Dispose() => throw new NotSupportedException(CompileOnly.Message);
    }
}
