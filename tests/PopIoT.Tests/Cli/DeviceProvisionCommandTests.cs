using System.Diagnostics;
using System.Text.Json;
using PopIoT.Core.Cose;
using PopIoT.Core.Device;
using PopIoT.Device;
using PopIoT.Firmware;
using PopIoT.Tests.Device;
using PopIoT.Tests.Firmware;
using Xunit;

namespace PopIoT.Tests.Cli;

/// <summary>
/// <c>popiot device provision</c> (docs/firmware.md, "Provisioning"): the records it writes are what the firmware's own
/// boot steps read back through the file storage, owner-only, never over existing files; bad boards, missing key
/// files and existing output are usage errors.
/// </summary>
public sealed class DeviceProvisionCommandTests : TempDirectoryTest
{
    private const string Passphrase = "correct horse battery staple";

    private string KeyFile()
    {
        byte[] k = new byte[32];
        new SeededRandomSource(41).GetBytes(k, 0, 32);
        using CoseKey mac = CoseKey.Symmetric(k, 4, [0x41]); // HMAC 256/64
        string path = F("as-rs.key");
        File.WriteAllBytes(path, mac.Encode());
        return path;
    }

    private string PasswordFile()
    {
        string path = F("wifi-pass");
        File.WriteAllText(path, Passphrase + "\n");
        return path;
    }

    private CliRunner.Result Provision(string board, string outDir, params string[] extra) => CliRunner.Run(
    [
        "device", "provision", "--board", board, "--boards-dir", BoardProfiles.Dir, "--audience", "coap://rs1", "--as-uri", "coap://as.example/token",
        "--as-keys", KeyFile(), "--out", outDir, .. extra,
    ]);

    [Fact]
    public void The_records_round_trip_through_the_file_storage_into_the_firmware_boot_steps()
    {
        string outDir = F("esp32-c3");
        var r = Provision("esp32-c3", outDir, "--wifi-ssid", "lab", "--wifi-password-file", PasswordFile(), "--sntp-server", "time.example");
        Assert.True(r.ExitCode == 0, r.Out + r.Error);
        Assert.DoesNotContain(Passphrase, r.Out + r.Error, StringComparison.Ordinal);

        var board = new FakeBoard(new FileDeviceStorage(outDir));
        byte[] scratch = new byte[FirmwareStartup.RecordBufferBytes];
        DeviceBoardSettings? s = FirmwareStartup.ReadBoardSettings(board.Storage, board.Log, scratch);
        DeviceConfiguration? c = FirmwareStartup.ReadConfiguration(board.Storage, board.Log, scratch);
        Assert.True(s != null && c != null, board.ListLog.All);
        Assert.True(FirmwareStartup.ConnectNetwork(board, s!, scratch), board.ListLog.All);

        BoardProfile profile = BoardProfiles.Load("esp32-c3");
        var expected = profile.ToSettings("coap://rs1", "coap://as.example/token");
        var actual = s!.ToAceRsSettings(c!.Audience, c.AsUri);
        Assert.Equal(
            (expected.Audience, expected.AsUri, expected.Slots, expected.ReplayWindowSize, expected.MaxTokenSize, expected.MaxBlockSzx, expected.HasClock),
            (actual.Audience, actual.AsUri, actual.Slots, actual.ReplayWindowSize, actual.MaxTokenSize, actual.MaxBlockSzx, actual.HasClock));
        var coap = profile.ToCoapSettings();
        var coapBack = s.ToCoapSettings();
        Assert.Equal((coap.AckTimeoutMs, coap.AckRandomFactorPermille, coap.MaxRetransmit), (coapBack.AckTimeoutMs, coapBack.AckRandomFactorPermille, coapBack.MaxRetransmit));
        Assert.Equal(("esp32-c3", 8, 1000, "time.example", true, DeviceBoardSettings.ClockSntp), (s.Board, s.LedPin, s.ClockTickMs, s.SntpServer, s.NativeCrypto, s.Clock));
        Assert.Equal(CoseTag.Mac0, c.Protection);
        Assert.True(c.TokenKey.IsDisposed); // the boot's copy of the keys is erased; the runtime loads its own
        Assert.Equal(("lab", Passphrase), board.Link.Joined);
        Assert.DoesNotContain(Passphrase, board.ListLog.All, StringComparison.Ordinal);

        using JsonDocument deploy = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "deploy.json")));
        string[] destinations = deploy.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("DestinationFilePath").GetString()!).ToArray();
        Assert.Equal(["I:\\config", "I:\\board", "I:\\wifi"], destinations);
        if (!OperatingSystem.IsWindows())
        {
            foreach (string name in new[] { "config", "board", "wifi" })
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(outDir, name)));
            }
        }
    }

    [Fact]
    public void An_ethernet_board_gets_no_wifi_record_and_its_own_storage_root()
    {
        string outDir = F("f769");
        var r = Provision("stm32f769i-discovery", outDir);
        Assert.True(r.ExitCode == 0, r.Out + r.Error);

        Assert.False(File.Exists(Path.Combine(outDir, "wifi")));
        Assert.Contains("D:\\\\board", File.ReadAllText(Path.Combine(outDir, "deploy.json")), StringComparison.Ordinal);
        var storage = new FileDeviceStorage(outDir);
        Assert.NotNull(FirmwareStartup.ReadBoardSettings(storage, new ListLog(), new byte[FirmwareStartup.RecordBufferBytes]));
    }

    [Fact]
    public void An_unknown_board_is_a_usage_error_naming_it()
    {
        var r = Provision("nosuch", F("x"), "--wifi-ssid", "lab");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("nosuch.json' does not exist", r.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(F("x")));
    }

    [Fact]
    public void A_missing_key_file_is_a_usage_error_and_writes_nothing()
    {
        var r = CliRunner.Run(
            "device", "provision", "--board", "esp32-c3", "--boards-dir", BoardProfiles.Dir, "--audience", "coap://rs1", "--as-uri", "coap://as/token",
            "--as-keys", F("missing.key"), "--wifi-ssid", "lab", "--out", F("y"));

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("cannot read", r.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(F("y"), "config")));
    }

    [Fact]
    public void A_wifi_board_without_an_ssid_and_a_board_without_storage_are_refused()
    {
        var noSsid = Provision("esp32-c3", F("z"));
        Assert.Equal(2, noSsid.ExitCode);
        Assert.Contains("joins Wi-Fi: give --wifi-ssid", noSsid.Error, StringComparison.Ordinal);

        var noStorage = Provision("nucleo64-f091rc", F("n"));
        Assert.Equal(2, noStorage.ExitCode);
        Assert.Contains("has no storage", noStorage.Error, StringComparison.Ordinal);

        var wifiOnWired = Provision("stm32f769i-discovery", F("w"), "--wifi-ssid", "lab");
        Assert.Equal(2, wifiOnWired.ExitCode);
        Assert.Contains("has no Wi-Fi", wifiOnWired.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Existing_output_is_never_overwritten_without_force()
    {
        string outDir = F("again");
        Assert.Equal(0, Provision("esp32-c3", outDir, "--wifi-ssid", "lab").ExitCode);
        byte[] before = File.ReadAllBytes(Path.Combine(outDir, "config"));

        var r = Provision("esp32-c3", outDir, "--wifi-ssid", "other", "--wifi-password-file", PasswordFile());
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("already exists and was left unchanged", r.Error, StringComparison.Ordinal);
        Assert.Contains("--force", r.Error, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(outDir, "config")));

        var forced = Provision("esp32-c3", outDir, "--wifi-ssid", "other", "--wifi-password-file", PasswordFile(), "--force");
        Assert.True(forced.ExitCode == 0, forced.Error);
        var storage = new FileDeviceStorage(outDir);
        byte[] b = new byte[256];
        int n = storage.Read(DeviceRecords.WifiCredentials, b, 0, b.Length);
        Assert.Equal(DeviceRecordError.None, DeviceWifiCredentials.Parse(b, 0, n, out DeviceWifiCredentials? w, out _));
        Assert.Equal("other", w!.Ssid);
    }

    [Fact]
    public async Task Existing_output_exits_2_in_a_separate_process_with_one_line_and_no_stack_trace()
    {
        string outDir = F("proc");
        Assert.Equal(0, Provision("esp32-c3", outDir, "--wifi-ssid", "lab").ExitCode);

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "PopIoT.Cli.dll"), "device", "provision", "--board", "esp32-c3", "--boards-dir", BoardProfiles.Dir,
            "--audience", "coap://rs1", "--as-uri", "coap://as/token", "--as-keys", KeyFile(), "--wifi-ssid", "lab", "--out", outDir,
        })
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string stdout = await p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "popiot did not exit within 60 s");
        Assert.Equal(2, p.ExitCode);
        Assert.Equal("", stdout);
        string line = (await err).TrimEnd();
        Assert.StartsWith("popiot: '", line, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", line, StringComparison.Ordinal);
    }

    // The AS–RS MAC key and a coap_dtls key derivation key (key_ops [derive key], RFC 9202 §3.3) in one COSE_KeySet.
    private string KeySetWithDerivationKey()
    {
        byte[] k = new byte[32];
        new SeededRandomSource(41).GetBytes(k, 0, 32);
        using CoseKey mac = CoseKey.Symmetric(k, 4, [0x41]);
        using CoseKey kdk = CoseKey.Symmetric(k.Reverse().ToArray(), 0, [0x42]);
        kdk.SetKeyOperations([CoseKeyOperation.DeriveKey]);
        string path = F("as-rs-set.key");
        File.WriteAllBytes(path, [0x82, .. mac.Encode(), .. kdk.Encode()]);
        return path;
    }

    [Fact]
    public void A_board_provisioned_for_both_profiles_gets_the_dtls_entries_and_the_key_derivation_key()
    {
        string outDir = F("f769-both");
        var r = CliRunner.Run(
            "device", "provision", "--board", "stm32f769i-discovery", "--boards-dir", BoardProfiles.Dir, "--audience", "coap://rs1",
            "--as-uri", "coap://as.example/token", "--as-keys", KeySetWithDerivationKey(), "--profile", "both", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.Out + r.Error);
        Assert.Contains("profiles both (DTLS PSK on UDP port 5684, 4 sessions)", r.Out, StringComparison.Ordinal);

        var storage = new FileDeviceStorage(outDir);
        var log = new ListLog();
        byte[] scratch = new byte[FirmwareStartup.RecordBufferBytes];
        DeviceBoardSettings? s = FirmwareStartup.ReadBoardSettings(storage, log, scratch);
        Assert.NotNull(s);
        Assert.Equal((DeviceBoardSettings.ProfileBoth, 4, 2), (s!.Profiles, s.DtlsSessions, s.DtlsHandshakes));
        Assert.Contains("coap_oscore and coap_dtls (4 sessions, 2 handshakes)", log.All, StringComparison.Ordinal);
        DeviceRuntimeSettings runtime = s.ToRuntimeSettings("coap://rs1", "coap://as.example/token");
        runtime.Validate();
        Assert.Equal(4, runtime.Dtls.MaxSessions);

        byte[] config = new byte[4096];
        int n = storage.Read(DeviceRecords.Configuration, config, 0, config.Length);
        Assert.Equal(DeviceConfigurationError.None, DeviceConfiguration.Parse(config, 0, n, out DeviceConfiguration? c));
        Assert.NotNull(c!.DerivationKey);
    }

    [Fact]
    public void A_profile_the_board_does_not_fit_and_a_derivation_key_for_an_oscore_only_board_are_refused()
    {
        var both = Provision("esp32-c3", F("c3-both"), "--wifi-ssid", "lab", "--profile", "both");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("runs the ACE profiles", both.Error, StringComparison.Ordinal);
        Assert.Contains("popiot device budget --board esp32-c3 --profile both", both.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(F("c3-both"), "board")));

        var kdk = CliRunner.Run(
            "device", "provision", "--board", "stm32f769i-discovery", "--boards-dir", BoardProfiles.Dir, "--audience", "coap://rs1",
            "--as-uri", "coap://as.example/token", "--as-keys", KeySetWithDerivationKey(), "--profile", "oscore", "--out", F("f769-oscore"));
        Assert.Equal(2, kdk.ExitCode);
        Assert.Contains("key derivation key", kdk.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(F("f769-oscore"), "config")));

        var bad = Provision("stm32f769i-discovery", F("f769-x"), "--profile", "tls");
        Assert.Equal(2, bad.ExitCode);
    }
}
