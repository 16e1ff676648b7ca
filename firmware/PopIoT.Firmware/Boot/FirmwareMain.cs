using PopIoT.Core.Device;

namespace PopIoT.Firmware;

/// <summary>
/// The firmware's flow, the same on every board (docs/firmware.md, "The firmware"): board settings and configuration
/// from storage, the network, the time, then the device runtime's loop. While the time is unknown the loop asks the
/// SNTP server again, first after <see cref="FirstResyncMs"/> and then at doubling intervals up to
/// <see cref="MaxResyncMs"/> (RFC 4330 §10: never more often than every 15 s, back off while unanswered).
/// </summary>
public static class FirmwareMain
{
    /// <summary>The first retry of SNTP after a boot without the time.</summary>
    public const int FirstResyncMs = 64000;

    /// <summary>The longest interval between SNTP retries.</summary>
    public const int MaxResyncMs = 1024000;

    /// <summary>Runs the device; returns only when it cannot serve (the reason is in the log).</summary>
    /// <param name="board">The board's adapters.</param>
    public static void Run(IFirmwareBoard board)
    {
        IDeviceLog log = board.Log;
        log.Write(DeviceLogLevel.Information, "PopIoT firmware starting");
        byte[] scratch = new byte[FirmwareStartup.RecordBufferBytes];
        DeviceBoardSettings settings = FirmwareStartup.ReadBoardSettings(board.Storage, log, scratch);
        if (settings == null)
        {
            return;
        }

        DeviceConfiguration configuration = FirmwareStartup.ReadConfiguration(board.Storage, log, scratch);
        if (configuration == null || !FirmwareStartup.ConnectNetwork(board, settings, scratch))
        {
            return;
        }

        var sync = new SntpTimeSync(board.Random);
        SntpDeviceClock clock = FirmwareStartup.StartClock(board, settings, sync);

        var runtimeSettings = new DeviceRuntimeSettings();
        runtimeSettings.Ace = settings.ToAceRsSettings(configuration.Audience, configuration.AsUri);

        // The runtime starts every engine clockless (exi tokens only, RFC 9200 §5.10.3) and takes the wall time from
        // the clock once SNTP has set it (docs/firmware.md, "Time on a board").
        runtimeSettings.Coap = settings.ToCoapSettings();
        runtimeSettings.MaxPeers = settings.MaxPeers;
        runtimeSettings.MaxObservers = settings.MaxObservers;
        runtimeSettings.ClockTickMs = settings.ClockTickMs;
        try
        {
            runtimeSettings.Validate();
        }
        catch (System.ArgumentException e)
        {
            log.Write(DeviceLogLevel.Error, "runtime: settings refused: " + e.Message);
            return;
        }

        var host = new DeviceHost();
        host.Socket = board.OpenUdp(5683);
        host.Clock = clock;
        host.Storage = board.Storage;
        host.Crypto = board.CreateCrypto(settings.NativeCrypto, settings.MaxTokenBytes + 256);
        host.Log = log;
        host.Peripherals = board.OpenPeripherals(settings.LedPin);

        var runtime = new DeviceRuntime(runtimeSettings, host);
        if (!runtime.Start())
        {
            log.Write(DeviceLogLevel.Error, "runtime: did not start (see the lines above)");
            return;
        }

        log.Write(DeviceLogLevel.Information, "runtime: serving CoAP on UDP port 5683" + (clock.Known ? string.Empty : "; clockless until SNTP answers"));
        long interval = FirstResyncMs;
        long nextSync = clock.MonotonicMilliseconds + interval;
        while (true)
        {
            runtime.RunOnce();
            if (!clock.Known && settings.Clock == DeviceBoardSettings.ClockSntp && clock.MonotonicMilliseconds >= nextSync)
            {
                // One short exchange, so the CoAP loop stalls for at most a second.
                FirmwareStartup.SyncTime(board, settings, sync, clock, 1, 1000);
                interval = interval * 2 > MaxResyncMs ? MaxResyncMs : interval * 2;
                nextSync = clock.MonotonicMilliseconds + interval;
            }
        }
    }
}
