namespace PopIoT.Core.Device;

/// <summary>Why a board-settings or Wi-Fi record was refused (<see cref="DeviceBoardSettings.Parse"/>, <see cref="DeviceWifiCredentials.Parse"/>).</summary>
public enum DeviceRecordError
{
    /// <summary>The record is valid.</summary>
    None = 0,

    /// <summary>Not one well-formed CBOR map of integer keys (a duplicate or unknown key, a wrong type, trailing bytes).</summary>
    Malformed,

    /// <summary>A required entry is missing; the out parameter names its key.</summary>
    MissingField,

    /// <summary>An entry is outside its range; the out parameter names its key.</summary>
    OutOfRange,
}
