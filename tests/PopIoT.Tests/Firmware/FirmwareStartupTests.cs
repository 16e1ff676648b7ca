using PopIoT.Core.Device;
using PopIoT.Firmware;

using Xunit;

namespace PopIoT.Tests.Firmware;

/// <summary>
/// The firmware's boot steps on a board of fakes (docs/firmware.md, "What the log says"): each failure is one clear
/// error line and stops the boot, a board without the time says it runs clockless, and no line holds a secret.
/// </summary>
public class FirmwareStartupTests
{
    private readonly MemoryDeviceStorage _storage = new(4);
    private readonly FakeBoard _board;
    private readonly byte[] _scratch = new byte[FirmwareStartup.RecordBufferBytes];

    public FirmwareStartupTests()
    {
        _board = new FakeBoard(_storage);
    }

    private static DeviceBoardSettings Settings(int clock = DeviceBoardSettings.ClockSntp, int network = DeviceBoardSettings.NetworkWifi) => new()
    {
        Board = "test-board",
        Slots = 4,
        ReplayWindow = 32,
        MaxTokenBytes = 512,
        BlockSzx = 6,
        AckTimeoutMs = 2000,
        AckRandomFactorPermille = 1500,
        MaxRetransmit = 4,
        ClockTickMs = 1000,
        Clock = clock,
        Network = network,
        Mtu = 1500,
        LedPin = 2,
        MaxPeers = 16,
        MaxObservers = 4,
    };

    private void Store(string name, byte[] record) => Assert.True(_storage.Write(name, record, 0, record.Length));

    [Fact]
    public void Missing_records_are_one_error_line_each_and_stop_the_boot()
    {
        Assert.Null(FirmwareStartup.ReadBoardSettings(_storage, _board.Log, _scratch));
        Assert.Null(FirmwareStartup.ReadConfiguration(_storage, _board.Log, _scratch));

        Assert.Equal(
            [
                (DeviceLogLevel.Error, "board settings: record 'board' is missing; provision the device (popiot device provision)"),
                (DeviceLogLevel.Error, "configuration: record 'config' is missing; provision the device (popiot device provision)"),
            ],
            _board.ListLog.Lines);
    }

    [Fact]
    public void An_unreadable_or_bad_record_names_the_reason_and_the_entry()
    {
        byte[] bad = new byte[DeviceBoardSettings.MaxEncodedLength];
        var s = Settings();
        int n = s.Encode(bad, 0, bad.Length);
        Store(DeviceRecords.BoardSettings, bad[..n]);
        _storage.Corrupt(DeviceRecords.BoardSettings, 0, 0xB2); // the map claims 18 entries, the record holds 17

        Assert.Null(FirmwareStartup.ReadBoardSettings(_storage, _board.Log, _scratch));
        Assert.Equal("board settings: refused, not a well-formed record", _board.ListLog.Lines[^1].Text);

        _storage.FailReads = true;
        Assert.Null(FirmwareStartup.ReadBoardSettings(_storage, _board.Log, _scratch));
        Assert.Equal("board settings: record 'board' cannot be read; provision the device (popiot device provision)", _board.ListLog.Lines[^1].Text);
    }

    [Fact]
    public void A_failed_wifi_join_is_an_error_without_the_passphrase_and_a_missing_wifi_record_says_how_to_fix_it()
    {
        Assert.False(FirmwareStartup.ConnectNetwork(_board, Settings(), _scratch));
        Assert.Contains("network: Wi-Fi record 'wifi' is missing; provision it (popiot device provision --wifi-ssid)", _board.ListLog.All, StringComparison.Ordinal);

        byte[] wifi = new byte[DeviceWifiCredentials.MaxEncodedLength];
        int n = new DeviceWifiCredentials("lab", "s3cret-passphrase").Encode(wifi, 0, wifi.Length);
        Store(DeviceRecords.WifiCredentials, wifi[..n]);
        _board.Link.Up = false;

        Assert.False(FirmwareStartup.ConnectNetwork(_board, Settings(), _scratch));
        Assert.Equal(("lab", "s3cret-passphrase"), _board.Link.Joined);
        Assert.Contains("network: Wi-Fi failed: could not join the network (SSID or passphrase?)", _board.ListLog.All, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", _board.ListLog.All, StringComparison.Ordinal);
        Assert.All(_scratch, b => Assert.Equal(0, b)); // the record's bytes are erased from the scratch buffer
    }

    [Fact]
    public void A_board_without_a_clock_or_without_dns_runs_clockless_and_says_so()
    {
        SntpDeviceClock none = FirmwareStartup.StartClock(_board, Settings(clock: DeviceBoardSettings.ClockNone), new SntpTimeSync(_board.Random));
        Assert.False(none.Known);
        Assert.Contains("time: no clock on this board; a clockless device", _board.ListLog.All, StringComparison.Ordinal);

        _board.Link.ResolvesTo = null;
        SntpDeviceClock noDns = FirmwareStartup.StartClock(_board, Settings(), new SntpTimeSync(_board.Random));
        Assert.False(noDns.Known);
        Assert.Contains("time: SNTP server pool.ntp.org does not resolve (DNS lookup failed); a clockless device for now", _board.ListLog.All, StringComparison.Ordinal);
        Assert.Equal(0, _board.Sntp.Requests);
    }

    [Fact]
    public void An_sntp_board_learns_the_time_at_boot_and_an_ethernet_or_offline_board_needs_no_wifi_record()
    {
        SntpDeviceClock clock = FirmwareStartup.StartClock(_board, Settings(), new SntpTimeSync(_board.Random));
        Assert.True(clock.TryGetUnixTime(out long unix));
        Assert.True(unix > SntpTimeSync.MinimumUnixSeconds);

        Assert.True(FirmwareStartup.ConnectNetwork(_board, Settings(network: DeviceBoardSettings.NetworkEthernet), _scratch));
        Assert.True(FirmwareStartup.ConnectNetwork(_board, Settings(network: DeviceBoardSettings.NetworkNone), _scratch));
        Assert.Null(_board.Link.Joined);
    }
}
