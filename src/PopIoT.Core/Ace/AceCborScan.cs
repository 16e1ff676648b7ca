using PopIoT.Core.Cbor;

namespace PopIoT.Core.Ace;

/// <summary>
/// A well-formedness check (RFC 8949 §5.3.1, Appendix C) that reports by return value instead of an exception, so a
/// malformed /authz-info payload is refused without allocating (a thrown exception is an allocation on the request
/// path). Checks heads, lengths, nesting, indefinite-length chunks and the UTF-8 of text strings.
/// </summary>
internal static class AceCborScan
{
    /// <summary>True when the bytes are exactly one well-formed data item nested at most <paramref name="maxDepth"/> deep.</summary>
    public static bool IsWellFormed(byte[] b, int offset, int count, int maxDepth)
    {
        int end = offset + count;
        return Skip(b, offset, end, 0, maxDepth) == end;
    }

    // Returns the position after the item, or -1.
    private static int Skip(byte[] b, int p, int end, int depth, int maxDepth)
    {
        if (p >= end || depth > maxDepth)
        {
            return -1;
        }

        int ib = b[p++];
        int major = ib >> 5;
        int ai = ib & 31;
        if (ai == 31)
        {
            return Indefinite(b, p, end, major, depth, maxDepth);
        }

        ulong value;
        p = Argument(b, p, end, ai, out value);
        if (p < 0)
        {
            return -1;
        }

        switch (major)
        {
            case 0:
            case 1:
                return p;
            case 2:
            case 3:
                if (value > (ulong)(end - p))
                {
                    return -1;
                }

                if (major == 3 && Utf8.Validate(b, p, (int)value) >= 0)
                {
                    return -1;
                }

                return p + (int)value;
            case 4:
            case 5:
                // Every item takes at least one byte: a count beyond the remaining bytes cannot be well-formed.
                ulong items = major == 5 ? value * 2 : value;
                if (value > (ulong)(end - p) || items > (ulong)(end - p))
                {
                    return -1;
                }

                for (ulong i = 0; i < items; i++)
                {
                    p = Skip(b, p, end, depth + 1, maxDepth);
                    if (p < 0)
                    {
                        return -1;
                    }
                }

                return p;
            case 6:
                return Skip(b, p, end, depth + 1, maxDepth);
            default:
                // RFC 8949 §3.3: a one-byte simple value below 32 is not well-formed.
                return ai == 24 && value < 32 ? -1 : p;
        }
    }

    private static int Indefinite(byte[] b, int p, int end, int major, int depth, int maxDepth)
    {
        if (major == 0 || major == 1 || major == 6 || major == 7)
        {
            return -1;
        }

        int n = 0;
        while (true)
        {
            if (p >= end)
            {
                return -1;
            }

            if (b[p] == 0xFF)
            {
                // RFC 8949 §3.2.2: a map needs an even number of items.
                return major == 5 && (n & 1) != 0 ? -1 : p + 1;
            }

            if ((major == 2 || major == 3) && ((b[p] >> 5) != major || (b[p] & 31) == 31))
            {
                // RFC 8949 §3.2.3: chunks are definite-length strings of the same major type.
                return -1;
            }

            p = Skip(b, p, end, depth + 1, maxDepth);
            if (p < 0)
            {
                return -1;
            }

            n++;
        }
    }

    private static int Argument(byte[] b, int p, int end, int ai, out ulong value)
    {
        value = 0;
        if (ai < 24)
        {
            value = (ulong)ai;
            return p;
        }

        int n = ai == 24 ? 1 : ai == 25 ? 2 : ai == 26 ? 4 : ai == 27 ? 8 : 0;
        if (n == 0 || end - p < n)
        {
            return -1;
        }

        for (int i = 0; i < n; i++)
        {
            value = (value << 8) | b[p + i];
        }

        return p + n;
    }
}
