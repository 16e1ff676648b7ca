namespace PopIoT.Core.Cbor;

/// <summary>
/// The direct path of the hot parsers (COSE headers, CWT claims, COSE_Key in cnf): definite-length items read
/// straight from the buffer, with the position in the caller's local variable instead of a reader's state.
/// Each method either takes one whole item that <see cref="CborReader"/> would accept in the same place
/// (same bounds, UTF-8 and nesting rules, RFC 8949 §3) and moves the position past it, or returns its
/// "not taken" value and leaves the position alone. It never decides that input is bad: a parser that
/// gets "not taken" drops its direct attempt and parses again with <see cref="CborReader"/>, the one
/// authority on errors. So unusual input (indefinite lengths, long heads, non-preferred forms the callers do
/// not look for) costs a second pass, never a different answer. Never throws, allocates nothing.
/// </summary>
internal static class CborDirect
{
    /// <summary>
    /// The head at <paramref name="p"/>: returns its initial byte and puts its argument in
    /// <paramref name="argument"/>, moving <paramref name="p"/> past the head. -1 when the head is not a
    /// definite one (additional information 28..31: reserved, indefinite or break), is cut short by
    /// <paramref name="end"/>, or is a two-byte simple value below 32 (RFC 8949 §3.3).
    /// </summary>
    internal static int Head(byte[] b, ref int p, int end, out ulong argument)
    {
        int at = p;
        if (at >= end)
        {
            argument = 0;
            return -1;
        }

        int ib = b[at];
        int ai = ib & 0x1F;
        if (ai < 24)
        {
            argument = (ulong)ai;
            p = at + 1;
            return ib;
        }

        return LongHead(b, ref p, end, ib, ai, out argument);
    }

    /// <summary>A definite byte string (major 2) or text string (major 3) at <paramref name="p"/>: its content as a slice; text must be valid UTF-8.</summary>
    internal static bool String(byte[] b, ref int p, int end, int major, out int offset, out int length)
    {
        int q = p;
        ulong n;
        int ib = Head(b, ref q, end, out n);
        if ((ib >> 5) != major || n > (ulong)(end - q) || (major == 3 && Utf8.Validate(b, q, (int)n) >= 0))
        {
            offset = 0;
            length = 0;
            return false;
        }

        offset = q;
        length = (int)n;
        p = q + length;
        return true;
    }

    /// <summary>An integer (major 0 or 1, RFC 8949 §3.1) whose value fits a long.</summary>
    internal static bool Integer(byte[] b, ref int p, int end, out long value)
    {
        int q = p;
        ulong a;
        int major = Head(b, ref q, end, out a) >> 5;
        if ((major != 0 && major != 1) || a > long.MaxValue)
        {
            value = 0;
            return false;
        }

        value = major == 0 ? (long)a : -1 - (long)a;
        p = q;
        return true;
    }

    /// <summary>
    /// A definite array (major 4) or map (major 5) head: returns its item or pair count, or -1 when the item is
    /// something else or declares more items than bytes follow (truncated input, RFC 8949 Appendix F).
    /// </summary>
    internal static int Container(byte[] b, ref int p, int end, int major)
    {
        int q = p;
        ulong n;
        int ib = Head(b, ref q, end, out n);
        ulong left = (ulong)(end - q);
        if ((ib >> 5) != major || n > left || (major == 5 && n * 2 > left))
        {
            return -1;
        }

        p = q;
        return (int)n;
    }

    /// <summary>
    /// Skips one whole item with everything nested in it, tags included, opening at most
    /// <paramref name="depthLeft"/> nested arrays or maps (tags do not count, as in <see cref="CborReader"/>)
    /// and checking UTF-8 in every text string. False when any part of it is not a definite, well-formed item.
    /// </summary>
    internal static bool Skip(byte[] b, ref int p, int end, int depthLeft)
    {
        int q = p;
        ulong n;
        int ib = Head(b, ref q, end, out n);
        while ((ib >> 5) == 6)
        {
            ib = Head(b, ref q, end, out n);
        }

        if (ib < 0)
        {
            return false;
        }

        int major = ib >> 5;
        ulong left = (ulong)(end - q);
        if (major == 2 || major == 3)
        {
            if (n > left || (major == 3 && Utf8.Validate(b, q, (int)n) >= 0))
            {
                return false;
            }

            q += (int)n;
        }
        else if (major == 4 || major == 5)
        {
            if (depthLeft <= 0 || n > left || (major == 5 && n * 2 > left))
            {
                return false;
            }

            int items = major == 5 ? (int)n * 2 : (int)n;
            for (int i = 0; i < items; i++)
            {
                if (!Skip(b, ref q, end, depthLeft - 1))
                {
                    return false;
                }
            }
        }

        p = q;
        return true;
    }

    // The argument in 1, 2, 4 or 8 following bytes (additional information 24..27); kept apart so Head inlines.
    private static int LongHead(byte[] b, ref int p, int end, int ib, int ai, out ulong argument)
    {
        argument = 0;
        if (ai > 27)
        {
            return -1;
        }

        int at = p;
        int size = 1 << (ai - 24);
        if (size > end - at - 1)
        {
            return -1;
        }

        ulong v = 0;
        for (int i = 1; i <= size; i++)
        {
            v = (v << 8) | b[at + i];
        }

        if (ai == 24 && (ib >> 5) == 7 && v < 32)
        {
            return -1;
        }

        argument = v;
        p = at + 1 + size;
        return ib;
    }
}
