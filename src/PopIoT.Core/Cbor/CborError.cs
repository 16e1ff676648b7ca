namespace PopIoT.Core.Cbor;

/// <summary>What went wrong when reading or writing CBOR (RFC 8949). Carried by <see cref="CborException"/>.</summary>
public enum CborError
{
    /// <summary>No error: a reader in sticky mode that has read everything it was asked to.</summary>
    None = 0,

    /// <summary>The writer's buffer window has no room for the item.</summary>
    BufferTooSmall = 1,

    /// <summary>The input ends inside a data item (RFC 8949 Appendix F: "too little data").</summary>
    UnexpectedEndOfData,

    /// <summary>Additional information 28, 29 or 30, reserved by RFC 8949 §3.</summary>
    ReservedAdditionalInformation,

    /// <summary>Indefinite length (additional information 31) on major type 0, 1 or 6 (RFC 8949 §3.2.4).</summary>
    IndefiniteLengthNotAllowed,

    /// <summary>A "break" stop code outside an indefinite-length item, or right after a tag (RFC 8949 §3.2.1).</summary>
    UnexpectedBreak,

    /// <summary>A two-byte simple value below 32 (RFC 8949 §3.3), or a reserved simple value given to the writer.</summary>
    InvalidSimpleValue,

    /// <summary>A chunk of an indefinite-length string that is not a definite-length string of the same major type (RFC 8949 §3.2.3).</summary>
    InvalidIndefiniteLengthStringChunk,

    /// <summary>A text string that is not well-formed UTF-8 (RFC 8949 §3.1, RFC 3629 §4).</summary>
    InvalidUtf8,

    /// <summary>Arrays, maps and indefinite-length strings nest deeper than the reader allows.</summary>
    DepthLimitExceeded,

    /// <summary>An integer does not fit the requested .NET type.</summary>
    IntegerOverflow,

    /// <summary>The next data item is not of the type the caller asked for.</summary>
    UnexpectedDataType,

    /// <summary>A map ends after a key and before its value (RFC 8949 §3.2.2, Appendix F).</summary>
    IncompleteMap,

    /// <summary>Bytes follow the single data item that was expected (RFC 8949 §5.2 calls them "extra data").</summary>
    TrailingBytes,

    /// <summary>A float cannot be written in the requested width without losing precision (RFC 8949 §4.2.2).</summary>
    ValueNotRepresentable,
}
