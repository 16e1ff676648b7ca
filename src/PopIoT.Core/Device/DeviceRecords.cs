namespace PopIoT.Core.Device;

/// <summary>The names of the records a device keeps in its <see cref="IDeviceStorage"/> (docs/device.md).</summary>
public static class DeviceRecords
{
    /// <summary>
    /// The highest exi sequence number burnt (RFC 9200 §5.10.3), 8 bytes big-endian, then 4 bytes of its complement as a
    /// check (a torn or zeroed record reads as unreadable, not as a lower number).
    /// </summary>
    public const string ExiSequence = "exi-seq";

    /// <summary>The AS–RS configuration: a CBOR map (audience, AS URI, token protection, the AS–RS COSE_Keys; docs/device.md).</summary>
    public const string Configuration = "config";

    /// <summary>The board settings (engine sizes, CoAP timers, clock, pins): a CBOR map, <see cref="DeviceBoardSettings"/>; written by <c>popiot device provision</c>.</summary>
    public const string BoardSettings = "board";

    /// <summary>The Wi-Fi credentials (SSID, passphrase): a CBOR map, <see cref="DeviceWifiCredentials"/>; kept apart from the other records so that no other record holds them.</summary>
    public const string WifiCredentials = "wifi";
}
