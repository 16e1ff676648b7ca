#nullable disable
using System;

using PopIoT.Core.Cose;
using PopIoT.Core.Device;
using PopIoT.Core.Sntp;

namespace PopIoT.Firmware;

/// <summary>
/// The shared steps of the firmware's Main before the runtime starts (docs/firmware.md, "What the log says"): read the
/// board settings and the configuration from storage, join the network, and learn the time. Each step logs one line
/// of what it did or why it could not; none logs a key, a token or the Wi-Fi passphrase. Static: the results are
/// returned, not kept.
/// </summary>
public static class FirmwareStartup
{
    /// <summary>The room for one record read at boot.</summary>
    public const int RecordBufferBytes = 2048;

    /// <summary>How long joining the network may take.</summary>
    public const int NetworkTimeoutMs = 60000;

    /// <summary>SNTP at boot: this many requests, the first waiting this long (then twice as long each).</summary>
    public const int BootSntpAttempts = 3;

    /// <summary>The first SNTP attempt's timeout at boot.</summary>
    public const int BootSntpTimeoutMs = 2000;

    /// <summary>Reads and checks the board settings record.</summary>
    /// <param name="storage">The storage.</param>
    /// <param name="log">The log.</param>
    /// <param name="buffer">A scratch buffer of <see cref="RecordBufferBytes"/>.</param>
    /// <returns>The settings, or null (logged as an error: the device cannot serve).</returns>
    public static DeviceBoardSettings ReadBoardSettings(IDeviceStorage storage, IDeviceLog log, byte[] buffer)
    {
        int n = storage.Read(DeviceRecords.BoardSettings, buffer, 0, buffer.Length);
        if (n < 0)
        {
            log.Write(DeviceLogLevel.Error, "board settings: record '" + DeviceRecords.BoardSettings + "' " + StorageText(n) + "; provision the device (popiot device provision)");
            return null;
        }

        DeviceBoardSettings s;
        int field;
        DeviceRecordError e = DeviceBoardSettings.Parse(buffer, 0, n, out s, out field);
        Array.Clear(buffer, 0, n);
        if (e != DeviceRecordError.None)
        {
            log.Write(DeviceLogLevel.Error, "board settings: refused, " + RecordText(e) + (field > 0 ? " (entry " + field + ")" : string.Empty));
            return null;
        }

        log.Write(DeviceLogLevel.Information, "board settings: " + s.Board + ", " + s.Slots + " slots, replay window " + s.ReplayWindow + ", largest token " + s.MaxTokenBytes + " B, clock " + ClockText(s.Clock) + ", " + (s.NativeCrypto ? "native" : "managed") + " crypto, " + ProfilesText(s));
        return s;
    }

    /// <summary>
    /// Reads and checks the AS–RS configuration record for its audience and AS URI. The runtime loads the record again
    /// when it starts, so the keys of this copy are erased before it is returned (DESIGN.md §5: keys erased on drop).
    /// </summary>
    /// <param name="storage">The storage.</param>
    /// <param name="log">The log.</param>
    /// <param name="buffer">A scratch buffer of <see cref="RecordBufferBytes"/>; erased after use (the record holds keys).</param>
    /// <returns>The configuration with its keys erased, or null (logged as an error).</returns>
    public static DeviceConfiguration ReadConfiguration(IDeviceStorage storage, IDeviceLog log, byte[] buffer)
    {
        int n = storage.Read(DeviceRecords.Configuration, buffer, 0, buffer.Length);
        if (n < 0)
        {
            log.Write(DeviceLogLevel.Error, "configuration: record '" + DeviceRecords.Configuration + "' " + StorageText(n) + "; provision the device (popiot device provision)");
            return null;
        }

        DeviceConfiguration c;
        DeviceConfigurationError e = DeviceConfiguration.Parse(buffer, 0, n, out c);
        Array.Clear(buffer, 0, n);
        if (e != DeviceConfigurationError.None)
        {
            log.Write(DeviceLogLevel.Error, "configuration: refused, " + ConfigurationText(e));
            return null;
        }

        log.Write(DeviceLogLevel.Information, "configuration: audience " + c.Audience + ", AS " + c.AsUri + ", " + ProtectionText(c.Protection) + " tokens");
        c.TokenKey.Dispose();
        if (c.CnfKey != null)
        {
            c.CnfKey.Dispose();
        }

        return c;
    }

    /// <summary>Joins the network the board settings name (Wi-Fi with the credentials record, or a wired DHCP address).</summary>
    /// <param name="board">The board.</param>
    /// <param name="settings">The board settings.</param>
    /// <param name="buffer">A scratch buffer; erased after use (the Wi-Fi record holds the passphrase).</param>
    /// <returns>True when the board is on the network (or has none to join).</returns>
    public static bool ConnectNetwork(IFirmwareBoard board, DeviceBoardSettings settings, byte[] buffer)
    {
        IDeviceLog log = board.Log;
        if (settings.Network == DeviceBoardSettings.NetworkNone)
        {
            log.Write(DeviceLogLevel.Information, "network: none configured");
            return true;
        }

        if (settings.Network == DeviceBoardSettings.NetworkEthernet)
        {
            bool wired = board.Network.WaitForAddress(NetworkTimeoutMs);
            log.Write(wired ? DeviceLogLevel.Information : DeviceLogLevel.Error, wired ? "network: Ethernet up" : "network: no Ethernet address: " + board.Network.LastError);
            return wired;
        }

        int n = board.Storage.Read(DeviceRecords.WifiCredentials, buffer, 0, buffer.Length);
        if (n < 0)
        {
            log.Write(DeviceLogLevel.Error, "network: Wi-Fi record '" + DeviceRecords.WifiCredentials + "' " + StorageText(n) + "; provision it (popiot device provision --wifi-ssid)");
            return false;
        }

        DeviceWifiCredentials wifi;
        int field;
        DeviceRecordError e = DeviceWifiCredentials.Parse(buffer, 0, n, out wifi, out field);
        Array.Clear(buffer, 0, n);
        if (e != DeviceRecordError.None)
        {
            log.Write(DeviceLogLevel.Error, "network: Wi-Fi record refused, " + RecordText(e) + (field > 0 ? " (entry " + field + ")" : string.Empty));
            return false;
        }

        log.Write(DeviceLogLevel.Information, "network: joining Wi-Fi '" + wifi.Ssid + "'");
        bool ok = board.Network.ConnectWifi(wifi.Ssid, wifi.Passphrase, NetworkTimeoutMs);
        log.Write(ok ? DeviceLogLevel.Information : DeviceLogLevel.Error, ok ? "network: Wi-Fi up" : "network: Wi-Fi failed: " + board.Network.LastError);
        return ok;
    }

    /// <summary>
    /// Creates the device clock and, on an SNTP board, tries to learn the time (<see cref="BootSntpAttempts"/> requests).
    /// A board without the time runs as a clockless device and says so; the firmware's loop tries again later.
    /// </summary>
    /// <param name="board">The board.</param>
    /// <param name="settings">The board settings.</param>
    /// <param name="sync">The SNTP exchange.</param>
    /// <returns>The clock, with the wall time set when SNTP answered.</returns>
    public static SntpDeviceClock StartClock(IFirmwareBoard board, DeviceBoardSettings settings, SntpTimeSync sync)
    {
        var clock = new SntpDeviceClock(board.Counter);
        if (settings.Clock == DeviceBoardSettings.ClockNone)
        {
            board.Log.Write(DeviceLogLevel.Warning, "time: no clock on this board; a clockless device: exi tokens only, cnonce in the hints (RFC 9200 §5.10.3)");
            return clock;
        }

        if (settings.Clock == DeviceBoardSettings.ClockRtc)
        {
            board.Log.Write(DeviceLogLevel.Warning, "time: an RTC board reads its clock in the board adapter; until then a clockless device");
            return clock;
        }

        SyncTime(board, settings, sync, clock, BootSntpAttempts, BootSntpTimeoutMs);
        return clock;
    }

    /// <summary>One SNTP exchange with the server the settings name, over a socket opened for it and closed after.</summary>
    /// <param name="board">The board.</param>
    /// <param name="settings">The board settings.</param>
    /// <param name="sync">The SNTP exchange.</param>
    /// <param name="clock">The clock to set.</param>
    /// <param name="attempts">Requests to send at most.</param>
    /// <param name="firstTimeoutMs">The first request's timeout.</param>
    /// <returns>True when the time is known.</returns>
    public static bool SyncTime(IFirmwareBoard board, DeviceBoardSettings settings, SntpTimeSync sync, SntpDeviceClock clock, int attempts, int firstTimeoutMs)
    {
        var server = new DatagramAddress();
        if (!board.Network.Resolve(settings.SntpServer, SntpClient.ServerPort, server))
        {
            board.Log.Write(DeviceLogLevel.Warning, "time: SNTP server " + settings.SntpServer + " does not resolve (" + board.Network.LastError + "); a clockless device for now");
            return false;
        }

        board.Log.Write(DeviceLogLevel.Information, "time: asking SNTP server " + settings.SntpServer);
        IDatagramSocket socket = board.OpenUdp(0);
        try
        {
            return sync.Run(socket, server, clock, board.Log, attempts, firstTimeoutMs);
        }
        finally
        {
            IDisposable d = socket as IDisposable;
            if (d != null)
            {
                d.Dispose();
            }
        }
    }

    private static string StorageText(int status)
    {
        return status == DeviceStorageStatus.Missing ? "is missing" : "cannot be read";
    }

    private static string RecordText(DeviceRecordError e)
    {
        switch (e)
        {
            case DeviceRecordError.MissingField: return "a required entry is missing";
            case DeviceRecordError.OutOfRange: return "an entry is out of range";
            default: return "not a well-formed record";
        }
    }

    private static string ConfigurationText(DeviceConfigurationError e)
    {
        switch (e)
        {
            case DeviceConfigurationError.MissingAudience: return "no audience";
            case DeviceConfigurationError.MissingAsUri: return "no AS URI";
            case DeviceConfigurationError.InvalidProtection: return "token protection missing or not mac0, encrypt0 or sign1";
            case DeviceConfigurationError.MissingTokenKey: return "no token key";
            case DeviceConfigurationError.InvalidKey: return "a COSE_Key the engine cannot use";
            default: return "not a well-formed record";
        }
    }

    // The ACE profiles of the record (entry 18) and, with coap_dtls, its sessions and handshake pool.
    private static string ProfilesText(DeviceBoardSettings s)
    {
        string oscore = (s.Profiles & DeviceBoardSettings.ProfileOscore) != 0 ? "coap_oscore" : string.Empty;
        if (!s.ServesDtls)
        {
            return oscore;
        }

        return (oscore.Length > 0 ? oscore + " and " : string.Empty) + "coap_dtls (" + s.DtlsSessions + " sessions, " + s.DtlsHandshakes + " handshakes)";
    }

    private static string ClockText(int clock)
    {
        return clock == DeviceBoardSettings.ClockSntp ? "sntp" : (clock == DeviceBoardSettings.ClockRtc ? "rtc" : "none");
    }

    private static string ProtectionText(int protection)
    {
        return protection == CoseTag.Mac0 ? "mac0" : (protection == CoseTag.Sign1 ? "sign1" : "encrypt0");
    }
}
