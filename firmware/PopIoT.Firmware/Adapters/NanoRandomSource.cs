using System;

using PopIoT.Core.Crypto;

namespace PopIoT.Firmware;

/// <summary>
/// The board's random source through nanoFramework's <c>System.Random</c>, which is hardware-backed on the boards
/// PopIoT targets (nf-interpreter targets/ESP32/_nanoCLR/targetRandom.cpp: <c>esp_random()</c>, a true RNG while
/// Wi-Fi or Bluetooth is on, which the firmware turns on before its first key; targets/ChibiOS/_nanoCLR/
/// targetRandom.cpp: the STM32F4/F7/H7/L4 RNG peripheral). On targets without one (the STM32F0 of the NUCLEO64-F091RC)
/// the interpreter falls back to C's rand(), which is no CSPRNG: such a board must not run PopIoT.
/// </summary>
internal sealed class NanoRandomSource : IRandomSource
{
    private readonly Random _random = new Random();
    private readonly byte[] _chunk = new byte[32];

    /// <inheritdoc/>
    public void GetBytes(byte[] buffer, int offset, int count)
    {
        if (buffer == null || offset < 0 || count < 0 || offset > buffer.Length - count)
        {
            throw new ArgumentException("The random range is outside its array.");
        }

        while (count > 0)
        {
            _random.NextBytes(_chunk);
            int n = count < _chunk.Length ? count : _chunk.Length;
            Array.Copy(_chunk, 0, buffer, offset, n);
            offset += n;
            count -= n;
        }

        CryptoBytes.Clear(_chunk);
    }
}
