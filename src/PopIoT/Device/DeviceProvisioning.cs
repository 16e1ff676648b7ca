using System.Text;
using System.Text.Json;
using PopIoT.Ace;
using PopIoT.Core.Cbor;
using PopIoT.Core.Device;
using PopIoT.IO;

namespace PopIoT.Device;

/// <summary>
/// The records a board reads at boot, made on the desktop (<c>popiot device provision</c>, docs/firmware.md
/// "Provisioning"): the AS–RS configuration (<see cref="DeviceRecords.Configuration"/>, the map
/// <see cref="DeviceConfiguration.Parse"/> reads), the board settings (<see cref="DeviceRecords.BoardSettings"/>, from a
/// board profile) and the Wi-Fi credentials (<see cref="DeviceRecords.WifiCredentials"/>). Each is checked by the same
/// parser the board runs before anything is written, and written as one owner-only file per record, the layout
/// <see cref="FileDeviceStorage"/> and the firmware's storage read.
/// </summary>
public static class DeviceProvisioning
{
    /// <summary>The file nanoff deploys the records with (docs/firmware.md, "Provisioning").</summary>
    public const string DeployFile = "deploy.json";

    /// <summary>Encodes the configuration record and checks it parses back.</summary>
    /// <param name="audience">The RS's audience.</param>
    /// <param name="asUri">The AS URI for the hints.</param>
    /// <param name="protection">The token protection.</param>
    /// <param name="keys">The keys, each picked for its purpose (<see cref="AsKeyPurposes.Select"/>).</param>
    /// <returns>The record; it holds keys: erase it after use.</returns>
    /// <exception cref="ArgumentException">The record would not load on the board (the message says why).</exception>
    public static byte[] EncodeConfiguration(string audience, string asUri, TokenProtection protection, AsKeySelection keys)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        ArgumentException.ThrowIfNullOrEmpty(asUri);
        ArgumentNullException.ThrowIfNull(keys);
        byte[] buffer = new byte[4096];
        try
        {
            var w = new CborWriter(buffer, 0, buffer.Length);
            w.WriteStartMap(4 + (keys.CnfKey != null ? 1 : 0) + (keys.DerivationKey != null ? 1 : 0));
            w.WriteInt32(1);
            w.WriteTextString(audience);
            w.WriteInt32(2);
            w.WriteTextString(asUri);
            w.WriteInt32(3);
            w.WriteInt32(AsKeyPurposes.CoseTagOf(protection));
            w.WriteInt32(4);
            keys.TokenKey.Encode(w);
            if (keys.CnfKey != null)
            {
                w.WriteInt32(5);
                keys.CnfKey.Encode(w);
            }

            if (keys.DerivationKey != null)
            {
                // docs/device.md, "Device configuration": key 6, the coap_dtls key derivation key (RFC 9202 §3.3).
                w.WriteInt32(6);
                keys.DerivationKey.Encode(w);
            }

            byte[] record = buffer[..w.BytesWritten];
            DeviceConfigurationError e = DeviceConfiguration.Parse(record, 0, record.Length, out _);
            if (e != DeviceConfigurationError.None)
            {
                Array.Clear(record);
                throw new ArgumentException("the configuration record would be refused by the board: " + e);
            }

            return record;
        }
        finally
        {
            Array.Clear(buffer);
        }
    }

    /// <summary>The board settings a profile gives for its ACE profiles (<see cref="BoardProfile.ToBoardSettings"/>: the mapping <c>device budget</c> measures).</summary>
    /// <param name="profile">The board profile.</param>
    /// <param name="profiles">oscore, dtls or both; one of the profile's <see cref="BoardProfile.Profiles"/>.</param>
    /// <param name="sntpServer">The SNTP server, or null for <see cref="DeviceBoardSettings.DefaultSntpServer"/>.</param>
    /// <returns>Settings that encode.</returns>
    /// <exception cref="ArgumentException">The profile's values do not fit the record (the message names the entry), or the board does not run those ACE profiles.</exception>
    public static DeviceBoardSettings BoardSettingsOf(BoardProfile profile, string profiles, string? sntpServer)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (Array.IndexOf(profile.Profiles, profiles) < 0)
        {
            throw new ArgumentException("board profile '" + profile.Id + "' runs the ACE profiles " + string.Join(", ", profile.Profiles) + ", not '" + profiles + "' (it does not fit the heap share: popiot device budget --board " + profile.Id + " --profile " + profiles + ")");
        }

        return profile.ToBoardSettings(profiles, sntpServer);
    }

    /// <summary>Encodes a board-settings record.</summary>
    /// <param name="settings">The settings.</param>
    /// <returns>The record.</returns>
    public static byte[] EncodeBoard(DeviceBoardSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        byte[] b = new byte[DeviceBoardSettings.MaxEncodedLength];
        return b[..settings.Encode(b, 0, b.Length)];
    }

    /// <summary>Encodes a Wi-Fi record.</summary>
    /// <param name="ssid">The SSID.</param>
    /// <param name="passphrase">The passphrase (empty: open network).</param>
    /// <returns>The record; it holds the passphrase: erase it after use.</returns>
    /// <exception cref="ArgumentException">Outside IEEE 802.11's limits (never quoting the passphrase).</exception>
    public static byte[] EncodeWifi(string ssid, string passphrase)
    {
        byte[] b = new byte[DeviceWifiCredentials.MaxEncodedLength];
        try
        {
            return b[..new DeviceWifiCredentials(ssid, passphrase).Encode(b, 0, b.Length)];
        }
        finally
        {
            Array.Clear(b);
        }
    }

    /// <summary>
    /// Writes the records into a folder, one owner-only file each, and the nanoff file-deployment list that copies
    /// them to the board's storage root. Refuses before writing anything when a file exists and
    /// <paramref name="overwrite"/> is false.
    /// </summary>
    /// <param name="directory">The folder (created if needed).</param>
    /// <param name="records">Record name to bytes.</param>
    /// <param name="storageRoot">The board's storage root, e.g. <c>I:</c>.</param>
    /// <param name="overwrite">Whether existing files may be replaced.</param>
    /// <returns>The paths written.</returns>
    /// <exception cref="TargetExistsException">A file exists; nothing was written.</exception>
    public static IReadOnlyList<string> Write(string directory, IReadOnlyDictionary<string, byte[]> records, string storageRoot, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (!Directory.Exists(directory))
        {
            // The folder gathers secrets: on Unix only its owner may list or enter it.
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var paths = records.Keys.Select(name => Path.Combine(directory, name)).Append(Path.Combine(directory, DeployFile)).ToList();
        foreach (string p in paths)
        {
            SecretFile.CheckWritable(p, overwrite);
        }

        foreach (var (name, bytes) in records)
        {
            SecretFile.Write(Path.Combine(directory, name), bytes, overwrite);
        }

        var deploy = new
        {
            files = records.Keys.Select(name => new
            {
                DestinationFilePath = storageRoot + "\\" + name,
                SourceFilePath = Path.GetFullPath(Path.Combine(directory, name)),
            }).ToArray(),
        };
        SecretFile.Write(paths[^1], Encoding.UTF8.GetBytes(JsonSerializer.Serialize(deploy, new JsonSerializerOptions { WriteIndented = true })), overwrite);
        return paths;
    }
}
