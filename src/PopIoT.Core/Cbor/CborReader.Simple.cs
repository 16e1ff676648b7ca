using System;

namespace PopIoT.Core.Cbor;

/// <summary>Major type 6 (tags, RFC 8949 §3.4) and major type 7 (simple values and floats, §3.3).</summary>
public sealed partial class CborReader
{
    /// <summary>Reads a tag head (major type 6); the tag content is the next item.</summary>
    /// <returns>The tag number; 0 after an error.</returns>
    public ulong ReadTag()
    {
        int ib = DirectHead();
        if (ib >= 0xC0 && ib < 0xDC)
        {
            // RFC 8949 §3.4: the tag number is the argument; the head alone is consumed, the content counts the item.
            ulong number;
            int n = DirectArgument(ib, out number);
            if (n > 0)
            {
                _pos += n;
                _tagPending = true;
                return number;
            }
        }

        int at = _pos;
        if (!Expect(PeekState(), CborReaderState.Tag, "a tag", at))
        {
            return 0;
        }

        ulong tag = ReadArgument();
        // The tag and its content are one item of the enclosing container; the content will count it.
        _tagPending = _error == CborError.None;
        return tag;
    }

    /// <summary>Reads a simple value (major type 7, RFC 8949 §3.3), including false, true, null and undefined (20..23).</summary>
    /// <returns>The simple value number; 0 after an error.</returns>
    public byte ReadSimpleValue()
    {
        int at = _pos;
        CborReaderState s = PeekState();
        if (s != CborReaderState.SimpleValue && s != CborReaderState.Boolean && s != CborReaderState.Null && s != CborReaderState.Undefined)
        {
            FailExpected("a simple value", at);
            return 0;
        }

        return (byte)ReadArgumentItem();
    }

    /// <summary>Reads false (0xf4) or true (0xf5).</summary>
    /// <returns>The value; false after an error.</returns>
    public bool ReadBoolean()
    {
        int at = _pos;
        return ReadOneByte(CborReaderState.Boolean, "a boolean", at) && _buffer[at] == 0xF5;
    }

    /// <summary>Reads null (0xf6).</summary>
    public void ReadNull()
    {
        ReadOneByte(CborReaderState.Null, "null", _pos);
    }

    /// <summary>Reads undefined (0xf7).</summary>
    public void ReadUndefined()
    {
        ReadOneByte(CborReaderState.Undefined, "undefined", _pos);
    }

    /// <summary>Reads a half-, single- or double-precision float and returns it as a double (always exact).</summary>
    /// <returns>The value; 0 after an error.</returns>
    public double ReadDouble()
    {
        int at = _pos;
        CborReaderState s = PeekState();
        if (s != CborReaderState.HalfPrecisionFloat && s != CborReaderState.SinglePrecisionFloat && s != CborReaderState.DoublePrecisionFloat)
        {
            FailExpected("a floating-point number", at);
            return 0;
        }

        ulong bits = ReadArgumentItem();
        if (s == CborReaderState.HalfPrecisionFloat)
        {
            return IeeeFloat.HalfToDouble((ushort)bits);
        }

        if (s == CborReaderState.SinglePrecisionFloat)
        {
            return IeeeFloat.SingleToDouble((uint)bits);
        }

        return BitConverter.Int64BitsToDouble((long)bits);
    }

    // A simple value whose initial byte is the whole item (RFC 8949 §3.3: 20..23).
    private bool ReadOneByte(CborReaderState state, string what, int at)
    {
        if (!Expect(PeekState(), state, what, at))
        {
            return false;
        }

        _pos++;
        ItemDone();
        return true;
    }
}
