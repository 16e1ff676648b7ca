namespace PopIoT.Core.Cbor;

/// <summary>The eight major types of RFC 8949 §3.1 (the high three bits of the initial byte).</summary>
public enum CborMajorType
{
    /// <summary>Major type 0: an unsigned integer.</summary>
    UnsignedInteger = 0,

    /// <summary>Major type 1: a negative integer, -1 minus the argument.</summary>
    NegativeInteger = 1,

    /// <summary>Major type 2: a byte string.</summary>
    ByteString = 2,

    /// <summary>Major type 3: a UTF-8 text string.</summary>
    TextString = 3,

    /// <summary>Major type 4: an array of data items.</summary>
    Array = 4,

    /// <summary>Major type 5: a map of pairs of data items.</summary>
    Map = 5,

    /// <summary>Major type 6: a tagged data item.</summary>
    Tag = 6,

    /// <summary>Major type 7: floats, simple values and the "break" stop code.</summary>
    SimpleOrFloat = 7,
}
