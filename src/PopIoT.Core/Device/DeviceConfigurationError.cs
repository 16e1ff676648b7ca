namespace PopIoT.Core.Device;

/// <summary>Why a device configuration record was refused (<see cref="DeviceConfiguration.Parse"/>).</summary>
public enum DeviceConfigurationError
{
    /// <summary>The record is a valid configuration.</summary>
    None = 0,

    /// <summary>Not one well-formed CBOR map of the expected shape (a duplicate, unknown or mistyped entry, trailing bytes).</summary>
    Malformed,

    /// <summary>The audience (key 1) is missing or empty.</summary>
    MissingAudience,

    /// <summary>The AS URI (key 2) is missing or empty.</summary>
    MissingAsUri,

    /// <summary>The protection (key 3) is missing or not 16 (Encrypt0), 17 (Mac0) or 18 (Sign1).</summary>
    InvalidProtection,

    /// <summary>The token key (key 4) is missing.</summary>
    MissingTokenKey,

    /// <summary>A COSE_Key (key 4, 5 or 6) is not one the engine can use (key 6: a symmetric key of 16..64 bytes with key_ops exactly [derive key]).</summary>
    InvalidKey,
}
