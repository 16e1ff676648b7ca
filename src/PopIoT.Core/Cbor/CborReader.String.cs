using System;
using System.Runtime.CompilerServices;

namespace PopIoT.Core.Cbor;

/// <summary>Major types 2 and 3: byte and text strings, definite or in chunks (RFC 8949 §3.1, §3.2.3).</summary>
public sealed partial class CborReader
{
    /// <summary>
    /// Reads a definite-length byte string (major type 2), or one chunk inside an indefinite-length byte string,
    /// as a slice of the buffer: no copy.
    /// </summary>
    /// <param name="offset">Index in the buffer of the first content byte.</param>
    /// <param name="length">Number of content bytes (0 after an error).</param>
    [MethodImpl(Inline)]
    public void ReadByteString(out int offset, out int length)
    {
        int ib = DirectHead();
        if (!(ib >= 0x40 && ib <= 0x58 && DirectString(ib, out offset, out length)))
        {
            ReadStringChecked(false, out offset, out length);
        }
    }

    /// <summary>Reads a byte string, definite or indefinite length (chunks concatenated), into a new array.</summary>
    /// <returns>The content; empty after an error.</returns>
    public byte[] ReadByteString()
    {
        int at = _pos;
        CborReaderState s = PeekState();
        if (s == CborReaderState.ByteString)
        {
            int off;
            int len;
            ReadByteString(out off, out len);
            byte[] copy = new byte[len];
            Array.Copy(_buffer, off, copy, 0, len);
            return copy;
        }

        if (!Expect(s, CborReaderState.StartIndefiniteLengthByteString, "a byte string", at))
        {
            return new byte[0];
        }

        return ReadConcatenated(false);
    }

    /// <summary>
    /// Reads a definite-length text string (major type 3), or one chunk inside an indefinite-length text string,
    /// as a slice of the buffer after checking it is valid UTF-8.
    /// </summary>
    /// <param name="offset">Index in the buffer of the first UTF-8 byte.</param>
    /// <param name="length">Number of UTF-8 bytes (0 after an error).</param>
    [MethodImpl(Inline)]
    public void ReadTextString(out int offset, out int length)
    {
        // The string is consumed only if it is valid UTF-8, as on the checked path.
        int ib = DirectHead();
        if (!(ib >= 0x60 && ib <= 0x78 && DirectString(ib, out offset, out length)))
        {
            ReadStringChecked(true, out offset, out length);
        }
    }

    // The checked path of both definite string reads; a text string's UTF-8 is checked before its slice is given.
    private void ReadStringChecked(bool text, out int offset, out int length)
    {
        int at = _pos;
        offset = at;
        length = 0;
        CborReaderState want = text ? CborReaderState.TextString : CborReaderState.ByteString;
        int o;
        int n;
        if (!Expect(PeekState(), want, text ? "a definite-length text string" : "a definite-length byte string", at) || !ReadStringSlice(out o, out n))
        {
            return;
        }

        int bad = text ? Utf8.Validate(_buffer, o, n) : -1;
        if (bad >= 0)
        {
            Fail(CborError.InvalidUtf8, bad, "text string is not valid UTF-8", 0, 0);
            return;
        }

        offset = o;
        length = n;
    }

    /// <summary>Reads a text string, definite or indefinite length (chunks concatenated), checking its UTF-8.</summary>
    /// <returns>The text; empty after an error.</returns>
    public string ReadTextString()
    {
        int at = _pos;
        CborReaderState s = PeekState();
        if (s == CborReaderState.TextString)
        {
            int off;
            int len;
            ReadTextString(out off, out len);
            return Utf8.Decode(_buffer, off, len);
        }

        if (!Expect(s, CborReaderState.StartIndefiniteLengthTextString, "a text string", at))
        {
            return string.Empty;
        }

        byte[] utf8 = ReadConcatenated(true);
        return Utf8.Decode(utf8, 0, utf8.Length);
    }

    /// <summary>Enters an indefinite-length byte string; read its chunks with <see cref="ReadByteString(out int, out int)"/>.</summary>
    public void ReadStartIndefiniteLengthByteString()
    {
        StartChunks(CborReaderState.StartIndefiniteLengthByteString, KindByteChunks, "an indefinite-length byte string");
    }

    /// <summary>Consumes the "break" that ends an indefinite-length byte string.</summary>
    public void ReadEndIndefiniteLengthByteString()
    {
        EndChunks(CborReaderState.EndIndefiniteLengthByteString, "the end of an indefinite-length byte string");
    }

    /// <summary>Enters an indefinite-length text string; read its chunks with <see cref="ReadTextString(out int, out int)"/>.</summary>
    public void ReadStartIndefiniteLengthTextString()
    {
        StartChunks(CborReaderState.StartIndefiniteLengthTextString, KindTextChunks, "an indefinite-length text string");
    }

    /// <summary>Consumes the "break" that ends an indefinite-length text string.</summary>
    public void ReadEndIndefiniteLengthTextString()
    {
        EndChunks(CborReaderState.EndIndefiniteLengthTextString, "the end of an indefinite-length text string");
    }

    private void StartChunks(CborReaderState state, byte kind, string what)
    {
        int at = _pos;
        if (Expect(PeekState(), state, what, at) && Push((byte)(kind | KindIndefinite), 0, at))
        {
            _pos++;
        }
    }

    private void EndChunks(CborReaderState state, string what)
    {
        int at = _pos;
        if (Expect(PeekState(), state, what, at))
        {
            _pos++;
            Pop();
        }
    }

    // A definite string whose length is in the initial byte (0..23) or in one more byte (24): bounds-checked like
    // ReadStringSlice; text is UTF-8 checked before anything is consumed. False leaves everything to the checked path.
    [MethodImpl(Inline)]
    private bool DirectString(int ib, out int offset, out int length)
    {
        int p = _pos;
        int ai = ib & 0x1F;
        int head = 1;
        offset = 0;
        length = 0;
        if (ai == 24)
        {
            if (p + 1 >= _end)
            {
                return false;
            }

            ai = _buffer[p + 1];
            head = 2;
        }

        if (ai > _end - p - head || ((ib >> 5) == 3 && Utf8.Validate(_buffer, p + head, ai) >= 0))
        {
            return false;
        }

        offset = p + head;
        length = ai;
        TakeDirect(head + length);
        return true;
    }

    // The content of the definite string head at _pos (checked by PeekState): consumes the item, or reports a
    // length past the window and returns false with nothing consumed.
    private bool ReadStringSlice(out int offset, out int length)
    {
        int at = _pos;
        offset = at;
        length = 0;
        ulong n = PeekArgument();
        if (_error != CborError.None)
        {
            return false;
        }

        int headEnd = at + HeadSize(_buffer[at] & 0x1F);
        // Never trust a length: compare it with the bytes left before using it.
        if (n > (ulong)(_end - headEnd))
        {
            Fail(CborError.UnexpectedEndOfData, at, "string declares # bytes but only # follow", n, (ulong)(_end - headEnd));
            return false;
        }

        offset = headEnd;
        length = (int)n;
        _pos = headEnd + length;
        ItemDone();
        return true;
    }

    // RFC 8949 §3.2.3: an indefinite-length string is the concatenation of its chunks. The first pass
    // validates and measures (each text chunk must be valid UTF-8 by itself), the second copies.
    private byte[] ReadConcatenated(bool text)
    {
        int savedPos = _pos;
        bool savedTag = _tagPending;
        long savedCount = _count;
        int total = WalkChunks(text, null);
        if (_error != CborError.None)
        {
            return new byte[0];
        }

        byte[] result = new byte[total];
        _pos = savedPos;
        _tagPending = savedTag;
        _count = savedCount;

        WalkChunks(text, result);
        return result;
    }

    private int WalkChunks(bool text, byte[] destination)
    {
        if (text)
        {
            ReadStartIndefiniteLengthTextString();
        }
        else
        {
            ReadStartIndefiniteLengthByteString();
        }

        int total = 0;
        while (_error == CborError.None)
        {
            CborReaderState s = PeekState();
            if (s == CborReaderState.EndIndefiniteLengthByteString)
            {
                ReadEndIndefiniteLengthByteString();
                break;
            }

            if (s == CborReaderState.EndIndefiniteLengthTextString)
            {
                ReadEndIndefiniteLengthTextString();
                break;
            }

            int off;
            int len;
            if (text)
            {
                ReadTextString(out off, out len);
            }
            else
            {
                ReadByteString(out off, out len);
            }

            if (destination != null)
            {
                Array.Copy(_buffer, off, destination, total, len);
            }

            total += len;
        }

        return total;
    }
}
