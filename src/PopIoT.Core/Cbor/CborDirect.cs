using System.Runtime.CompilerServices;

namespace PopIoT.Core.Cbor;

/// <summary>
/// The direct path of the hot parsers (COSE headers, CWT claims, COSE_Key in cnf): definite-length items read
/// straight from the buffer, with the position in the caller's local variable instead of a reader's state.
/// Each method either takes one whole item that <see cref="CborReader"/> would accept in the same place
/// (same bounds, UTF-8 and nesting rules, RFC 8949 §3) and returns the position after it, or returns -1,
/// "not taken". It never decides that input is bad: a parser that
/// gets "not taken" drops its direct attempt and parses again with <see cref="CborReader"/>, the one
/// authority on errors. So unusual input (indefinite lengths, long heads, non-preferred forms the callers do
/// not look for) costs a second pass, never a different answer. Never throws, allocates nothing.
/// </summary>
internal static class CborDirect
{
    // MethodImplOptions.AggressiveInlining (256) on .NET, where the JIT would otherwise keep these small heads out of
    // line in the hot loops; nanoFramework's enum has no such member and its interpreter inlines nothing, so the value
    // is spelled as a number and means nothing there.
    internal const MethodImplOptions Inline = (MethodImplOptions)256;

    /// <summary>
    /// The end of the head at <paramref name="p"/>, or -1 when the head is not a definite one (additional
    /// information 28..31: reserved, indefinite or break), is cut short by <paramref name="end"/>, or is a
    /// two-byte simple value below 32 (RFC 8949 §3.3). Its argument is then <see cref="Argument"/>.
    /// (No out parameters here: they would keep the callers' locals out of registers.)
    /// </summary>
    [MethodImpl(Inline)]
    internal static int HeadEnd(byte[] b, int p, int end)
    {
        if (p >= end)
        {
            return -1;
        }

        int ib = b[p];
        int ai = ib & 0x1F;
        if (ai < 24)
        {
            return p + 1;
        }

        if (ai > 27)
        {
            return -1;
        }

        int size = 1 << (ai - 24);
        if (size > end - p - 1 || (ai == 24 && (ib >> 5) == 7 && b[p + 1] < 32))
        {
            return -1;
        }

        return p + 1 + size;
    }

    /// <summary>The argument of the head at <paramref name="p"/>, which <see cref="HeadEnd"/> has accepted.</summary>
    [MethodImpl(Inline)]
    internal static ulong Argument(byte[] b, int p)
    {
        int ai = b[p] & 0x1F;
        if (ai < 24)
        {
            return (ulong)ai;
        }

        // One and four bytes are the common long forms (lengths, NumericDate times); 2 and 8 go out of line.
        if (ai == 24)
        {
            return b[p + 1];
        }

        return ai == 26 ? ((ulong)b[p + 1] << 24) | ((ulong)b[p + 2] << 16) | ((ulong)b[p + 3] << 8) | b[p + 4] : LongArgument(b, p, ai);
    }

    /// <summary>A definite byte string (major 2) or text string (major 3) at <paramref name="p"/>: its content as a slice (text must be valid UTF-8); the position after it, or -1.</summary>
    [MethodImpl(Inline)]
    internal static int String(byte[] b, int p, int end, int major, out int offset, out int length)
    {
        int q = HeadEnd(b, p, end);
        ulong n = q < 0 ? 0 : Argument(b, p);
        if (q < 0 || (b[p] >> 5) != major || n > (ulong)(end - q) || (major == 3 && Utf8.Validate(b, q, (int)n) >= 0))
        {
            offset = 0;
            length = 0;
            return -1;
        }

        offset = q;
        length = (int)n;
        return q + length;
    }

    /// <summary>An integer (major 0 or 1, RFC 8949 §3.1) whose value fits a long; the position after it, or -1.</summary>
    [MethodImpl(Inline)]
    internal static int Integer(byte[] b, int p, int end, out long value)
    {
        int q = HeadEnd(b, p, end);
        int major = q < 0 ? -1 : b[p] >> 5;
        ulong a = q < 0 ? 0 : Argument(b, p);
        if ((major != 0 && major != 1) || a > long.MaxValue)
        {
            value = 0;
            return -1;
        }

        value = major == 0 ? (long)a : -1 - (long)a;
        return q;
    }

    /// <summary>
    /// A definite array (major 4) or map (major 5) head: its item or pair count and the position after the head;
    /// -1 when the item is something else or declares more items than bytes follow (truncated input, RFC 8949 Appendix F).
    /// </summary>
    [MethodImpl(Inline)]
    internal static int Container(byte[] b, int p, int end, int major, out int count)
    {
        int q = HeadEnd(b, p, end);
        count = 0;
        if (q < 0 || (b[p] >> 5) != major)
        {
            return -1;
        }

        ulong n = Argument(b, p);
        ulong left = (ulong)(end - q);
        if (n > left || (major == 5 && n * 2 > left))
        {
            return -1;
        }

        count = (int)n;
        return q;
    }

    /// <summary>
    /// Skips one whole item with everything nested in it, tags included, opening at most
    /// <paramref name="depthLeft"/> nested arrays or maps (tags do not count, as in <see cref="CborReader"/>)
    /// and checking UTF-8 in every text string. The position after it, or -1 when any part of it is not a
    /// definite, well-formed item.
    /// </summary>
    internal static int Skip(byte[] b, int p, int end, int depthLeft)
    {
        int q = HeadEnd(b, p, end);
        while (q >= 0 && (b[p] >> 5) == 6)
        {
            p = q;
            q = HeadEnd(b, p, end);
        }

        if (q < 0)
        {
            return -1;
        }

        ulong n = Argument(b, p);
        int major = b[p] >> 5;
        ulong left = (ulong)(end - q);
        if (major == 2 || major == 3)
        {
            if (n > left || (major == 3 && Utf8.Validate(b, q, (int)n) >= 0))
            {
                return -1;
            }

            return q + (int)n;
        }

        if (major == 4 || major == 5)
        {
            if (depthLeft <= 0 || n > left || (major == 5 && n * 2 > left))
            {
                return -1;
            }

            int items = major == 5 ? (int)n * 2 : (int)n;
            for (int i = 0; i < items && q >= 0; i++)
            {
                q = Skip(b, q, end, depthLeft - 1);
            }
        }

        return q;
    }

    // The argument in 2, 4 or 8 following bytes (additional information 25..27, bounds checked by HeadEnd).
    // Kept out of line so that Argument stays small where it is inlined.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong LongArgument(byte[] b, int p, int ai)
    {
        if (ai == 25)
        {
            return (ulong)((b[p + 1] << 8) | b[p + 2]);
        }

        if (ai == 26)
        {
            return ((ulong)b[p + 1] << 24) | ((ulong)b[p + 2] << 16) | ((ulong)b[p + 3] << 8) | b[p + 4];
        }

        ulong v = 0;
        for (int i = 1; i <= 8; i++)
        {
            v = (v << 8) | b[p + i];
        }

        return v;
    }
}
