using PopIoT.Core.Cbor;

namespace PopIoT.Core.Ace;

/// <summary>
/// The walk the client-side parsers share over an application/ace+cbor map (RFC 9200 §5.8): open the map, then visit
/// its unsigned-integer keys, skipping other keys with their values (RFC 9200 leaves room for parameters a party does
/// not know). May throw <see cref="CborException"/> on malformed input; callers catch it.
/// </summary>
internal static class AceMapReader
{
    /// <summary>A reader positioned inside the map, or null when the range is bad or does not start with a map.</summary>
    public static CborReader Open(byte[] payload, int offset, int count)
    {
        if (payload == null || offset < 0 || count <= 0 || count > payload.Length - offset)
        {
            return null;
        }

        CborReader r = new CborReader(payload, offset, count, 8);
        if (r.PeekState() != CborReaderState.StartMap)
        {
            return null;
        }

        r.ReadStartMap();
        return r;
    }

    /// <summary>Moves to the next unsigned-integer key; false (after leaving the map) at its end.</summary>
    public static bool NextKey(CborReader r, out ulong key)
    {
        while (r.PeekState() != CborReaderState.EndMap)
        {
            if (r.PeekState() == CborReaderState.UnsignedInteger)
            {
                key = r.ReadUInt64();
                return true;
            }

            r.SkipValue();
            r.SkipValue();
        }

        r.ReadEndMap();
        key = 0;
        return false;
    }
}
