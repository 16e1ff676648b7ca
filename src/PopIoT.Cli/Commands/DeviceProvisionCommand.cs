using System.CommandLine;
using System.Globalization;
using System.Text;
using PopIoT.Ace;
using PopIoT.Core.Device;
using PopIoT.Device;
using PopIoT.IO;

namespace PopIoT.Cli.Commands;

/// <summary>
/// <c>popiot device provision</c>: the records a nanoFramework board reads at boot (configuration, board settings,
/// Wi-Fi), written owner-only into a folder with the nanoff list that deploys them to the board (docs/firmware.md,
/// "Provisioning").
/// </summary>
internal static class DeviceProvisionCommand
{
    public static Command Create(CliContext io)
    {
        var board = DeviceBudgetCommand.BoardOption();
        board.Required = true;
        var boardsDir = DeviceBudgetCommand.BoardsDirOption();
        var audience = new Option<string>("--audience") { Description = "The device's audience: tokens must name it in aud.", Required = true };
        var asUri = new Option<string>("--as-uri") { Description = "The AS URI the device sends in AS Request Creation Hints (RFC 9200 §5.3).", Required = true };
        var asKeys = new Option<string>("--as-keys")
        {
            Description = "FILE with the AS–RS key or key set (COSE_Key/COSE_KeySet, binary or hex, e.g. the --key-out file of `popiot as rs add`); each key pinned by its alg and used for one purpose, as `device simulate --as-key` takes them.",
            Required = true,
        };
        var protection = new Option<string?>("--protection") { Description = "mac0, encrypt0 or sign1; default: implied by the keys (as device simulate)." };
        protection.AcceptOnlyFromAmong("mac0", "encrypt0", "sign1");
        var ssid = new Option<string?>("--wifi-ssid") { Description = "The Wi-Fi network a wifi board joins." };
        var passwordFile = new Option<string?>("--wifi-password-file") { Description = "FILE holding the Wi-Fi passphrase (one line; without it the network is open). Never printed." };
        var sntp = new Option<string?>("--sntp-server") { Description = "The SNTP server of an sntp board (default " + DeviceBoardSettings.DefaultSntpServer + ")." };
        var aceProfile = new Option<string?>("--profile")
        {
            Description = "The ACE profiles the board serves: oscore, dtls or both (coap_dtls: DTLS 1.2 PSK on UDP port 5684); one the board profile's \"profiles\" lists (default its first). dtls and both need a key derivation key in --as-keys when tokens carry only a kid (RFC 9202 §3.3).",
        };
        aceProfile.AcceptOnlyFromAmong(BoardProfile.ProfileChoices);
        var output = new Option<string>("--out") { Description = "The folder for the record files and deploy.json.", Required = true };
        var force = AsCommand.ForceOption();
        var provision = new Command("provision", "Write the records a nanoFramework board reads at boot: the AS–RS configuration, the board settings from its profile and the Wi-Fi credentials, owner-only, with deploy.json for nanoff.")
        {
            board, boardsDir, audience, asUri, asKeys, protection, ssid, passwordFile, sntp, aceProfile, output, force,
        };
        provision.SetAction(p => Run(io, new Request(
            p.GetValue(board)!, p.GetValue(boardsDir), p.GetValue(audience)!, p.GetValue(asUri)!, p.GetValue(asKeys)!, p.GetValue(protection),
            p.GetValue(ssid), p.GetValue(passwordFile), p.GetValue(sntp), p.GetValue(aceProfile), p.GetValue(output)!, p.GetValue(force))));
        return provision;
    }

    private static int Run(CliContext io, Request r)
    {
        BoardProfile profile = DeviceBudgetCommand.LoadProfile(r.Board, r.BoardsDir);
        if (profile.Storage.Length == 0)
        {
            throw new CliUsageException("board profile '" + profile.Id + "' has no storage for the records (\"storage\": \"\")");
        }

        bool wifi = profile.Network == "wifi";
        if (wifi && r.Ssid == null)
        {
            throw new CliUsageException("board profile '" + profile.Id + "' joins Wi-Fi: give --wifi-ssid (and --wifi-password-file for a protected network)");
        }

        if (!wifi && (r.Ssid != null || r.PasswordFile != null))
        {
            throw new CliUsageException("board profile '" + profile.Id + "' has no Wi-Fi (network " + profile.Network + "); leave out --wifi-ssid and --wifi-password-file");
        }

        string profiles = r.Profiles ?? (profile.Profiles.Length > 0 ? profile.Profiles[0] : "oscore");
        var records = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            DeviceBoardSettings board = DeviceProvisioning.BoardSettingsOf(profile, profiles, r.SntpServer);
            records[DeviceRecords.Configuration] = Configuration(io, r, board.ServesDtls);
            records[DeviceRecords.BoardSettings] = DeviceProvisioning.EncodeBoard(board);
            if (wifi)
            {
                records[DeviceRecords.WifiCredentials] = DeviceProvisioning.EncodeWifi(r.Ssid!, ReadPassphrase(r.PasswordFile));
            }

            IReadOnlyList<string> written = DeviceProvisioning.Write(r.Output, records, profile.Storage, r.Force);
            io.Out.WriteLine("popiot device provision: board " + profile.Id + " (" + profile.Firmware + "), audience " + r.Audience + ", profiles " + profiles
                + (board.ServesDtls ? " (DTLS PSK on UDP port 5684, " + board.DtlsSessions.ToString(CultureInfo.InvariantCulture) + " sessions)" : string.Empty) + ", records for " + profile.Storage);
            foreach (string path in written)
            {
                io.Out.WriteLine("  " + path + " (" + new FileInfo(path).Length.ToString(CultureInfo.InvariantCulture) + " bytes)");
            }

            io.Out.WriteLine("deploy them to the board: nanoff deploy file " + Path.Combine(r.Output, DeviceProvisioning.DeployFile) + " serialport PORT (docs/firmware.md)");
            return ExitCodes.Ok;
        }
        catch (TargetExistsException e)
        {
            throw new CliUsageException(AsCommand.ExistsMessage(e));
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException(e.Message);
        }
        finally
        {
            foreach (byte[] b in records.Values)
            {
                Array.Clear(b);
            }
        }
    }

    private static byte[] Configuration(CliContext io, Request r, bool servesDtls)
    {
        using CliKeySet keys = CliKeys.ParseKeys(["@" + r.AsKeys], io.Stdin, "--as-keys");
        TokenProtection protection = r.Protection switch
        {
            "mac0" => TokenProtection.Mac0,
            "sign1" => TokenProtection.Sign1,
            "encrypt0" => TokenProtection.Encrypt0,
            _ => AsKeyPurposes.InferProtection(keys.Keys),
        };
        AsKeySelection selection = AsKeyPurposes.Select(keys.Keys, protection, keys.Names);
        if (selection.DerivationKey != null && !servesDtls)
        {
            // docs/device.md, "Device configuration": an OSCORE-only device ignores entry 6; do not ship a key it never uses.
            throw new CliUsageException("--as-keys holds a key derivation key (key_ops [derive key]) but the board serves oscore only: give --profile dtls or both, or leave the key out");
        }

        return DeviceProvisioning.EncodeConfiguration(r.Audience, r.AsUri, protection, selection);
    }

    private static string ReadPassphrase(string? file)
    {
        if (file == null)
        {
            return string.Empty;
        }

        try
        {
            string text = File.ReadAllText(file, Encoding.UTF8);
            return text.TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException("cannot read --wifi-password-file '" + file + "': " + e.Message);
        }
    }

    private sealed record Request(
        string Board, string? BoardsDir, string Audience, string AsUri, string AsKeys, string? Protection, string? Ssid, string? PasswordFile, string? SntpServer, string? Profiles, string Output, bool Force);
}
