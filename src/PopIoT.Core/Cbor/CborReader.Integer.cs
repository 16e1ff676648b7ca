using System.Runtime.CompilerServices;

namespace PopIoT.Core.Cbor;

/// <summary>Major types 0 and 1 (RFC 8949 §3.1), and the argument of every head.</summary>
public sealed partial class CborReader
{
    /// <summary>Reads an unsigned integer (major type 0).</summary>
    /// <returns>The value, 0 to 2^64-1; 0 after an error.</returns>
    [MethodImpl(Inline)]
    public ulong ReadUInt64()
    {
        int ib = DirectHead();
        if (ib >= 0 && ib < 0x18)
        {
            TakeDirect(1);
            return (ulong)ib;
        }

        return ReadUInt64Long(ib);
    }

    private ulong ReadUInt64Long(int ib)
    {
        ulong v;
        int n;
        if (ib >= 0 && ib < 0x1C && (n = DirectArgument(ib, out v)) > 0)
        {
            // RFC 8949 §3: major type 0, the value in the initial byte or the 1 to 8 bytes after it.
            TakeDirect(n);
            return v;
        }

        int at = _pos;
        CborReaderState s = PeekState();
        if (s == CborReaderState.NegativeInteger)
        {
            Fail(CborError.IntegerOverflow, at, "negative integer does not fit an unsigned 64-bit integer", 0, 0);
            return 0;
        }

        if (!Expect(s, CborReaderState.UnsignedInteger, "an unsigned integer", at))
        {
            return 0;
        }

        return ReadArgumentItem();
    }

    /// <summary>Reads an integer (major type 0 or 1) that fits a <see cref="long"/>.</summary>
    /// <returns>The value, -2^63 to 2^63-1; anything else fails with <see cref="CborError.IntegerOverflow"/>.</returns>
    [MethodImpl(Inline)]
    public long ReadInt64()
    {
        int ib = DirectHead();
        if (ib >= 0 && ib < 0x38 && (ib & 0x1F) < 24)
        {
            // RFC 8949 §3.1: major type 0 or 1 with the argument in the initial byte; type 1 is -1 - argument.
            TakeDirect(1);
            return ib < 0x20 ? ib : -1 - (ib & 0x1F);
        }

        return ReadInt64Long(ib);
    }

    private long ReadInt64Long(int ib)
    {
        ulong v;
        int n;
        if (ib >= 0 && ib < 0x3C && (ib & 0x1F) < 28 && (n = DirectArgument(ib, out v)) > 0 && v <= long.MaxValue)
        {
            TakeDirect(n);
            return ib < 0x20 ? (long)v : -1 - (long)v;
        }

        return ReadSignedInteger(long.MaxValue, "integer does not fit a signed 64-bit integer");
    }

    /// <summary>Reads an integer (major type 0 or 1) that fits an <see cref="int"/>.</summary>
    /// <returns>The value; anything outside the int range fails with <see cref="CborError.IntegerOverflow"/>.</returns>
    [MethodImpl(Inline)]
    public int ReadInt32()
    {
        int ib = DirectHead();
        if (ib >= 0 && ib < 0x38 && (ib & 0x1F) < 24)
        {
            TakeDirect(1);
            return ib < 0x20 ? ib : -1 - (ib & 0x1F);
        }

        return (int)ReadSignedInteger(int.MaxValue, "integer does not fit a signed 32-bit integer");
    }

    /// <summary>
    /// Reads a negative integer (major type 1) and returns its argument n; the value is -1 - n, which reaches
    /// -2^64 (RFC 8949 §3.1), past the range of <see cref="long"/>.
    /// </summary>
    /// <returns>The argument n.</returns>
    [MethodImpl(Inline)]
    public ulong ReadNegativeIntegerArgument()
    {
        int ib = DirectHead();
        if (ib >= 0x20 && ib < 0x38)
        {
            TakeDirect(1);
            return (ulong)(ib & 0x1F);
        }

        return ReadNegativeIntegerArgumentLong(ib);
    }

    private ulong ReadNegativeIntegerArgumentLong(int ib)
    {
        ulong v;
        int n;
        if (ib >= 0x20 && ib < 0x3C && (n = DirectArgument(ib, out v)) > 0)
        {
            TakeDirect(n);
            return v;
        }

        int at = _pos;
        if (!Expect(PeekState(), CborReaderState.NegativeInteger, "a negative integer", at))
        {
            return 0;
        }

        return ReadArgumentItem();
    }

    /// <summary>
    /// Reads an integer (major type 0 or 1) as its argument without a range check: the value is the argument for
    /// major type 0 and -1 - argument for major type 1. For callers that must tell a huge integer (e.g. an unknown
    /// algorithm number) from malformed data.
    /// </summary>
    /// <param name="negative">True for major type 1.</param>
    /// <returns>The argument; 0 after an error.</returns>
    [MethodImpl(Inline)]
    public ulong ReadIntegerArgument(out bool negative)
    {
        int ib = DirectHead();
        if (ib >= 0 && ib < 0x38 && (ib & 0x1F) < 24)
        {
            TakeDirect(1);
            negative = ib >= 0x20;
            return (ulong)(ib & 0x1F);
        }

        return ReadIntegerArgumentLong(ib, out negative);
    }

    private ulong ReadIntegerArgumentLong(int ib, out bool negative)
    {
        ulong v;
        int n;
        if (ib >= 0 && ib < 0x3C && (ib & 0x1F) < 28 && (n = DirectArgument(ib, out v)) > 0)
        {
            TakeDirect(n);
            negative = ib >= 0x20;
            return v;
        }

        int at = _pos;
        CborReaderState s = PeekState();
        negative = s == CborReaderState.NegativeInteger;
        if (!negative && !Expect(s, CborReaderState.UnsignedInteger, "an integer", at))
        {
            return 0;
        }

        return ReadArgumentItem();
    }

    // Major type 0 or 1 whose argument is at most maxArgument, so both v and -1 - v fit the caller's type.
    // The argument is decoded once; on overflow nothing is consumed and the offset names the head.
    private long ReadSignedInteger(ulong maxArgument, string overflow)
    {
        int at = _pos;
        CborReaderState s = PeekState();
        if (s != CborReaderState.UnsignedInteger && s != CborReaderState.NegativeInteger)
        {
            FailExpected("an integer", at);
            return 0;
        }

        ulong arg = PeekArgument();
        if (_error != CborError.None)
        {
            return 0;
        }

        if (arg > maxArgument)
        {
            Fail(CborError.IntegerOverflow, at, overflow, 0, 0);
            return 0;
        }

        _pos += HeadSize(_buffer[at] & 0x1F);
        ItemDone();
        // RFC 8949 §3.1: major type 1 encodes -1 - argument.
        return s == CborReaderState.UnsignedInteger ? (long)arg : -1 - (long)arg;
    }

    private static int HeadSize(int ai)
    {
        if (ai < 24)
        {
            return 1;
        }

        // RFC 8949 §3: additional information 24..27 means 1, 2, 4 or 8 argument bytes follow.
        return 1 + (1 << (ai - 24));
    }

    // Decodes the argument of the head at _pos without moving; the caller has checked ai is not 28..31.
    private ulong PeekArgument()
    {
        int ai = _buffer[_pos] & 0x1F;
        return ai < 24 ? (ulong)ai : PeekLongArgument(ai);
    }

    // The argument in 1, 2, 4 or 8 following bytes; kept out of PeekArgument so the short form inlines.
    // 0 after reporting a head cut short or a two-byte simple value below 32.
    private ulong PeekLongArgument(int ai)
    {
        int size = 1 << (ai - 24);
        if (size > _end - _pos - 1)
        {
            Fail(CborError.UnexpectedEndOfData, _pos, "unexpected end of data in a #-byte argument", (ulong)size, 0);
            return 0;
        }

        ulong v = 0;
        for (int i = 1; i <= size; i++)
        {
            v = (v << 8) | _buffer[_pos + i];
        }

        // RFC 8949 §3.3: a simple value in the extra byte must be 32 or more; smaller ones have a short form.
        if (ai == 24 && (_buffer[_pos] >> 5) == 7 && v < 32)
        {
            Fail(CborError.InvalidSimpleValue, _pos, "two-byte simple value # is below 32", v, 0);
            return 0;
        }

        return v;
    }

    // The direct path of a head with additional information 0..27 that DirectHead allowed: its argument decoded in
    // place, and the head's size for the caller to consume (TakeDirect for an item); 0 when the argument runs past
    // the window (the checked path then reports it). Not for major type 7, whose two-byte form has a rule of its
    // own (RFC 8949 §3.3).
    private int DirectArgument(int ib, out ulong value)
    {
        int ai = ib & 0x1F;
        if (ai < 24)
        {
            value = (ulong)ai;
            return 1;
        }

        int p = _pos;
        int size = 1 << (ai - 24);
        if (size > _end - p - 1)
        {
            value = 0;
            return 0;
        }

        byte[] b = _buffer;
        if (size == 1)
        {
            value = b[p + 1];
        }
        else if (size == 2)
        {
            value = (ulong)((b[p + 1] << 8) | b[p + 2]);
        }
        else if (size == 4)
        {
            value = ((ulong)b[p + 1] << 24) | ((ulong)b[p + 2] << 16) | ((ulong)b[p + 3] << 8) | b[p + 4];
        }
        else
        {
            ulong v = 0;
            for (int i = 1; i <= 8; i++)
            {
                v = (v << 8) | b[p + i];
            }

            value = v;
        }

        return 1 + size;
    }

    // Consumes the head at _pos (checked by PeekState) and returns its argument; moves nothing after an error.
    private ulong ReadArgument()
    {
        ulong v = PeekArgument();
        if (_error == CborError.None)
        {
            _pos += HeadSize(_buffer[_pos] & 0x1F);
        }

        return v;
    }

    // ReadArgument for a whole item without content (integers, simple values, floats).
    private ulong ReadArgumentItem()
    {
        ulong v = ReadArgument();
        ItemDone();
        return v;
    }
}
