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

    /// <summary>The CoAP port (RFC 7252 §6.1).</summary>
    public const int CoapPort = 5683;

    /// <summary>The CoAP-over-DTLS port (RFC 7252 §6.2), opened when the board serves the coap_dtls profile.</summary>
    public const int CoapsPort = 5684;

    /// <summary>The log line that says what the device serves where.</summary>
    /// <param name="settings">The board settings.</param>
    /// <returns>The line.</returns>
    public static string ServingLine(DeviceBoardSettings settings)
    {
        string oscore = (settings.Profiles & DeviceBoardSettings.ProfileOscore) != 0 ? "CoAP with OSCORE (coap_oscore) on UDP port 5683" : "CoAP on UDP port 5683 (authz-info only)";
        return "runtime: serving " + oscore + (settings.ServesDtls ? ", CoAP over DTLS PSK (coap_dtls) on UDP port 5684 with " + settings.DtlsSessions + " sessions" : string.Empty);
    }

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

        // The one mapping from the board record to the runtime (the one `popiot device budget` measures). The runtime
        // starts every engine clockless (exi tokens only, RFC 9200 §5.10.3) and takes the wall time from the clock once
        // SNTP has set it (docs/firmware.md, "Time on a board").
        DeviceRuntimeSettings runtimeSettings = settings.ToRuntimeSettings(configuration.Audience, configuration.AsUri);
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
        // coap_dtls: DTLS records on the coaps port beside CoAP, one socket for the runtime (docs/firmware.md, "CoAP over DTLS").
        host.Socket = settings.ServesDtls ? new CoapPortsSocket(board.OpenUdp(CoapPort), board.OpenUdp(CoapsPort), board.Counter) : board.OpenUdp(CoapPort);
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

        log.Write(DeviceLogLevel.Information, ServingLine(settings) + (clock.Known ? string.Empty : "; clockless until SNTP answers"));
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
