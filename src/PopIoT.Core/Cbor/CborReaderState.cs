namespace PopIoT.Core.Cbor;

/// <summary>What <see cref="CborReader.PeekState"/> sees next. Names follow RFC 8949 §3.</summary>
public enum CborReaderState
{
    /// <summary>Major type 0.</summary>
    UnsignedInteger = 1,

    /// <summary>Major type 1.</summary>
    NegativeInteger,

    /// <summary>A definite-length byte string (major type 2), or a chunk inside an indefinite-length one.</summary>
    ByteString,

    /// <summary>Major type 2 with additional information 31 (RFC 8949 §3.2.3).</summary>
    StartIndefiniteLengthByteString,

    /// <summary>The "break" that ends an indefinite-length byte string.</summary>
    EndIndefiniteLengthByteString,

    /// <summary>A definite-length text string (major type 3), or a chunk inside an indefinite-length one.</summary>
    TextString,

    /// <summary>Major type 3 with additional information 31 (RFC 8949 §3.2.3).</summary>
    StartIndefiniteLengthTextString,

    /// <summary>The "break" that ends an indefinite-length text string.</summary>
    EndIndefiniteLengthTextString,

    /// <summary>Major type 4, definite or indefinite length.</summary>
    StartArray,

    /// <summary>The end of the current array: its count is exhausted or a "break" follows.</summary>
    EndArray,

    /// <summary>Major type 5, definite or indefinite length.</summary>
    StartMap,

    /// <summary>The end of the current map: its count is exhausted or a "break" follows.</summary>
    EndMap,

    /// <summary>Major type 6.</summary>
    Tag,

    /// <summary>Major type 7, simple value other than false, true, null and undefined.</summary>
    SimpleValue,

    /// <summary>Major type 7, additional information 25 (IEEE 754 binary16).</summary>
    HalfPrecisionFloat,

    /// <summary>Major type 7, additional information 26 (IEEE 754 binary32).</summary>
    SinglePrecisionFloat,

    /// <summary>Major type 7, additional information 27 (IEEE 754 binary64).</summary>
    DoublePrecisionFloat,

    /// <summary>Simple value 20 or 21.</summary>
    Boolean,

    /// <summary>Simple value 22.</summary>
    Null,

    /// <summary>Simple value 23.</summary>
    Undefined,

    /// <summary>The top level has no more bytes.</summary>
    Finished,
}
