using System;

using PopIoT.Core.Cbor;

namespace PopIoT.Core.Device;

/// <summary>
/// The Wi-Fi credentials a device reads at boot from its <see cref="DeviceRecords.WifiCredentials"/> record, a record
/// of their own so that nothing else shares the file: a CBOR map {1: SSID (tstr, 1..32 characters, IEEE 802.11's
/// limit of 32 octets), 2: passphrase (tstr, empty for an open network, else 8..63 characters, or 64 hexadecimal
/// digits: IEEE 802.11i's WPA2-PSK forms)}. Never written to a log.
/// </summary>
public sealed class DeviceWifiCredentials
{
    /// <summary>The most bytes an encoded record takes.</summary>
    public const int MaxEncodedLength = 4 + 2 + (32 * 4) + 2 + 64;

    private const int KeySsid = 1;
    private const int KeyPassphrase = 2;

    /// <summary>Creates credentials.</summary>
    /// <param name="ssid">The network's SSID.</param>
    /// <param name="passphrase">The passphrase, or empty for an open network.</param>
    public DeviceWifiCredentials(string ssid, string passphrase)
    {
        Ssid = ssid;
        Passphrase = passphrase;
    }

    /// <summary>The SSID.</summary>
    public string Ssid { get; private set; }

    /// <summary>The passphrase (empty: an open network).</summary>
    public string Passphrase { get; private set; }

    /// <summary>Checks both entries.</summary>
    /// <param name="field">The key of the bad entry, or 0.</param>
    /// <returns><see cref="DeviceRecordError.None"/> or <see cref="DeviceRecordError.OutOfRange"/>.</returns>
    public DeviceRecordError Validate(out int field)
    {
        field = 0;
        if (Ssid == null || Ssid.Length < 1 || Ssid.Length > 32)
        {
            field = KeySsid;
            return DeviceRecordError.OutOfRange;
        }

        if (!PassphraseOk(Passphrase))
        {
            field = KeyPassphrase;
            return DeviceRecordError.OutOfRange;
        }

        return DeviceRecordError.None;
    }

    /// <summary>Writes the record.</summary>
    /// <param name="buffer">Where it goes.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">The room (<see cref="MaxEncodedLength"/> always suffices).</param>
    /// <returns>The record's length.</returns>
    /// <exception cref="ArgumentException">An entry is out of range (named by its key, never by its value).</exception>
    public int Encode(byte[] buffer, int offset, int count)
    {
        int field;
        if (Validate(out field) != DeviceRecordError.None)
        {
            throw new ArgumentException(field == KeySsid ? "the Wi-Fi SSID must be 1..32 characters" : "the Wi-Fi passphrase must be empty, 8..63 characters, or 64 hexadecimal digits");
        }

        var w = new CborWriter(buffer, offset, count);
        w.WriteStartMap(2);
        w.WriteInt32(KeySsid);
        w.WriteTextString(Ssid);
        w.WriteInt32(KeyPassphrase);
        w.WriteTextString(Passphrase);
        return w.BytesWritten;
    }

    /// <summary>Reads a record.</summary>
    /// <param name="buffer">The record.</param>
    /// <param name="offset">Its first byte.</param>
    /// <param name="count">Its length.</param>
    /// <param name="credentials">The credentials, or null unless the result is <see cref="DeviceRecordError.None"/>.</param>
    /// <param name="field">The key of the missing or bad entry, or 0.</param>
    /// <returns>Why it was refused, or <see cref="DeviceRecordError.None"/>.</returns>
    public static DeviceRecordError Parse(byte[] buffer, int offset, int count, out DeviceWifiCredentials credentials, out int field)
    {
        credentials = null;
        field = 0;
        if (buffer == null || offset < 0 || count < 0 || count > buffer.Length - offset)
        {
            return DeviceRecordError.Malformed;
        }

        var r = new CborReader(buffer, offset, count, 2) { ThrowOnError = false };
        string ssid = null;
        string passphrase = null;
        r.ReadStartMap();
        while (r.Error == CborError.None && r.HasNext())
        {
            if (r.PeekState() != CborReaderState.UnsignedInteger)
            {
                return DeviceRecordError.Malformed;
            }

            int key = r.ReadInt32();
            bool duplicate = (key == KeySsid && ssid != null) || (key == KeyPassphrase && passphrase != null);
            if ((key != KeySsid && key != KeyPassphrase) || duplicate || r.PeekState() != CborReaderState.TextString)
            {
                field = key;
                return DeviceRecordError.Malformed;
            }

            if (key == KeySsid)
            {
                ssid = r.ReadTextString();
            }
            else
            {
                passphrase = r.ReadTextString();
            }
        }

        r.ReadEndMap();
        if (r.Error != CborError.None || r.PeekState() != CborReaderState.Finished)
        {
            return DeviceRecordError.Malformed;
        }

        if (ssid == null || passphrase == null)
        {
            field = ssid == null ? KeySsid : KeyPassphrase;
            return DeviceRecordError.MissingField;
        }

        var c = new DeviceWifiCredentials(ssid, passphrase);
        DeviceRecordError e = c.Validate(out field);
        if (e == DeviceRecordError.None)
        {
            credentials = c;
        }

        return e;
    }

    private static bool PassphraseOk(string p)
    {
        if (p == null)
        {
            return false;
        }

        if (p.Length == 0 || (p.Length >= 8 && p.Length <= 63))
        {
            return true;
        }

        if (p.Length != 64)
        {
            return false;
        }

        for (int i = 0; i < 64; i++)
        {
            char c = p[i];
            bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!hex)
            {
                return false;
            }
        }

        return true;
    }
}
