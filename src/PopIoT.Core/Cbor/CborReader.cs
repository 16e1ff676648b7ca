using System;

namespace PopIoT.Core.Cbor;

/// <summary>
/// Reads CBOR (RFC 8949) from a window of a caller-provided buffer, one data item at a time, and rejects every
/// input that is not well-formed (RFC 8949 Appendix C, F) plus text strings that are not valid UTF-8.
/// Byte and text strings can be read as slices of the buffer without copying. Arrays, maps and
/// indefinite-length strings may nest at most <see cref="MaxDepth"/> deep; tags do not count because they
/// need no state. All errors are <see cref="CborException"/>; its offset is an index into the caller's buffer.
/// The reader allocates only at construction, except for <see cref="ReadTextString()"/> and
/// <see cref="ReadByteString()"/>, which return new objects.
/// </summary>
public sealed class CborReader
{
    /// <summary>The nesting depth a new reader allows.</summary>
    public const int DefaultMaxDepth = 16;

    private const byte KindArray = 1;
    private const byte KindMap = 2;
    private const byte KindByteChunks = 3;
    private const byte KindTextChunks = 4;
    private const byte KindIndefinite = 0x80;

    private byte[] _buffer;
    private int _end;
    private int _pos;
    private int _depth;
    private byte[] _kinds;
    // For a definite container: items still to read (a map counts keys and values). For an indefinite one:
    // items read so far, so a break after an odd number of map items can be refused (RFC 8949 §3.2.2).
    private long[] _counts;
    private bool _tagPending;

    /// <summary>Creates a reader over the whole of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The encoded data.</param>
    public CborReader(byte[] buffer)
        : this(buffer, 0, buffer == null ? 0 : buffer.Length, DefaultMaxDepth)
    {
    }

    /// <summary>Creates a reader over <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    /// <param name="buffer">The encoded data.</param>
    /// <param name="offset">The first byte to read.</param>
    /// <param name="count">How many bytes belong to the input.</param>
    public CborReader(byte[] buffer, int offset, int count)
        : this(buffer, offset, count, DefaultMaxDepth)
    {
    }

    /// <summary>Creates a reader with a nesting limit.</summary>
    /// <param name="buffer">The encoded data.</param>
    /// <param name="offset">The first byte to read.</param>
    /// <param name="count">How many bytes belong to the input.</param>
    /// <param name="maxDepth">How deep arrays, maps and indefinite-length strings may nest (at least 1).</param>
    public CborReader(byte[] buffer, int offset, int count, int maxDepth)
    {
        if (buffer == null)
        {
            throw new ArgumentNullException(nameof(buffer));
        }

        if (offset < 0 || count < 0 || count > buffer.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _buffer = buffer;
        _end = offset + count;
        _pos = offset;
        AllocateStack(maxDepth);
    }

    /// <summary>
    /// Starts reading a new input with the same nesting limit, reusing this reader's state arrays, so a
    /// long-running parser (the RS request path) allocates nothing per message.
    /// </summary>
    /// <param name="buffer">The encoded data.</param>
    /// <param name="offset">The first byte to read.</param>
    /// <param name="count">How many bytes belong to the input.</param>
    public void Reset(byte[] buffer, int offset, int count)
    {
        if (buffer == null)
        {
            throw new ArgumentNullException(nameof(buffer));
        }

        if (offset < 0 || count < 0 || count > buffer.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _buffer = buffer;
        _end = offset + count;
        _pos = offset;
        _depth = 0;
        _tagPending = false;
    }

    /// <summary>
    /// How deep arrays, maps and indefinite-length strings may nest; deeper input fails with
    /// <see cref="CborError.DepthLimitExceeded"/>. Can only be changed before reading into a container.
    /// </summary>
    public int MaxDepth
    {
        get => _kinds.Length;
        set
        {
            if (_depth != 0)
            {
                throw new InvalidOperationException("MaxDepth can only change at the top level.");
            }

            AllocateStack(value);
        }
    }

    /// <summary>The index in the buffer of the next byte to read.</summary>
    public int Position => _pos;

    /// <summary>How many bytes of the window have not been read yet.</summary>
    public int BytesRemaining => _end - _pos;

    /// <summary>How many arrays, maps and indefinite-length strings are open.</summary>
    public int CurrentDepth => _depth;

    /// <summary>
    /// Checks that <paramref name="count"/> bytes at <paramref name="offset"/> are exactly one well-formed
    /// data item nested at most <see cref="DefaultMaxDepth"/> deep, with valid UTF-8 in its text strings.
    /// </summary>
    /// <param name="buffer">The encoded data.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">How many bytes.</param>
    public static void Validate(byte[] buffer, int offset, int count)
    {
        Validate(buffer, offset, count, DefaultMaxDepth);
    }

    /// <summary>Like <see cref="Validate(byte[], int, int)"/> with a chosen nesting limit.</summary>
    /// <param name="buffer">The encoded data.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">How many bytes.</param>
    /// <param name="maxDepth">The nesting limit.</param>
    public static void Validate(byte[] buffer, int offset, int count, int maxDepth)
    {
        CborReader reader = new CborReader(buffer, offset, count, maxDepth);
        reader.SkipValue();
        if (reader._pos != reader._end)
        {
            throw new CborException(CborError.TrailingBytes, reader._pos, (reader._end - reader._pos).ToString() + " trailing bytes after the data item");
        }
    }

    /// <summary>Says what the next data item, or container end, is without consuming it.</summary>
    /// <returns>The state.</returns>
    public CborReaderState PeekState()
    {
        // Fast path: inside a definite container with items left (or at the top level), not inside
        // an indefinite-length string, the initial byte alone names the state (RFC 8949 §3).
        // Everything else (ends, breaks, chunks, reserved values) takes the checked path below.
        int d = _depth;
        if (_pos < _end && (d == 0 || (_kinds[d - 1] == KindArray || _kinds[d - 1] == KindMap) && _counts[d - 1] != 0))
        {
            byte fast = InitialByteStates[_buffer[_pos]];
            if (fast != 0)
            {
                return (CborReaderState)fast;
            }
        }

        return PeekStateChecked();
    }

    // The state each initial byte announces when no container rule applies, or 0 when the byte needs
    // the checked path: reserved additional information 28..30, indefinite length where RFC 8949 §3.2.4
    // forbids it, the break, and indefinite-length strings and containers (they are rare, keep them exact).
    private static readonly byte[] InitialByteStates = BuildInitialByteStates();

    private static byte[] BuildInitialByteStates()
    {
        byte[] t = new byte[256];
        for (int ib = 0; ib < 256; ib++)
        {
            int major = ib >> 5;
            int ai = ib & 0x1F;
            if (ai >= 28)
            {
                continue;
            }

            CborReaderState s;
            switch (major)
            {
                case 0:
                    s = CborReaderState.UnsignedInteger;
                    break;
                case 1:
                    s = CborReaderState.NegativeInteger;
                    break;
                case 2:
                    s = CborReaderState.ByteString;
                    break;
                case 3:
                    s = CborReaderState.TextString;
                    break;
                case 4:
                    s = CborReaderState.StartArray;
                    break;
                case 5:
                    s = CborReaderState.StartMap;
                    break;
                case 6:
                    s = CborReaderState.Tag;
                    break;
                default:
                    s = ai == 20 || ai == 21 ? CborReaderState.Boolean
                        : ai == 22 ? CborReaderState.Null
                        : ai == 23 ? CborReaderState.Undefined
                        : ai == 25 ? CborReaderState.HalfPrecisionFloat
                        : ai == 26 ? CborReaderState.SinglePrecisionFloat
                        : ai == 27 ? CborReaderState.DoublePrecisionFloat
                        : CborReaderState.SimpleValue;
                    break;
            }

            t[ib] = (byte)s;
        }

        return t;
    }

    // The direct paths of the common reads: the initial byte at the current position when an item may be taken there
    // without the checked path (top level, or a definite array or map with items left), else -1. Every byte the
    // checked path would refuse (reserved values, indefinite lengths, breaks) falls outside the ranges the callers take.
    private int DirectHead()
    {
        int p = _pos;
        if (p >= _end)
        {
            return -1;
        }

        int d = _depth;
        if (d > 0)
        {
            byte kind = _kinds[d - 1];
            if ((kind != KindArray && kind != KindMap) || _counts[d - 1] == 0)
            {
                return -1;
            }
        }

        return _buffer[p];
    }

    // Consumes a head of `size` bytes taken by a direct path and counts the item (ItemDone).
    private void TakeDirect(int size)
    {
        _pos += size;
        ItemDone();
    }

    // A definite string whose length is in the initial byte (0..23) or in one more byte (24): bounds-checked like
    // ReadStringSlice; text is UTF-8 checked before anything is consumed. False leaves everything to the checked path.
    private bool DirectString(int ib, out int offset, out int length)
    {
        int p = _pos;
        int ai = ib & 0x1F;
        int head = 1;
        if (ai == 24)
        {
            if (p + 1 >= _end)
            {
                offset = 0;
                length = 0;
                return false;
            }

            ai = _buffer[p + 1];
            head = 2;
        }

        if (ai > _end - p - head)
        {
            offset = 0;
            length = 0;
            return false;
        }

        offset = p + head;
        length = ai;
        if ((ib >> 5) == 3 && Utf8.Validate(_buffer, offset, length) >= 0)
        {
            return false;
        }

        TakeDirect(head + length);
        return true;
    }

    private CborReaderState PeekStateChecked()
    {
        byte kind = 0;
        if (_depth > 0)
        {
            kind = _kinds[_depth - 1];
            if ((kind & KindIndefinite) == 0 && _counts[_depth - 1] == 0)
            {
                // A definite container is over when its count is exhausted (RFC 8949 §3.2.1 has no end marker).
                return (kind & 0x7F) == KindArray ? CborReaderState.EndArray : CborReaderState.EndMap;
            }
        }

        if (_pos >= _end)
        {
            if (_depth == 0 && !_tagPending)
            {
                return CborReaderState.Finished;
            }

            throw new CborException(CborError.UnexpectedEndOfData, _pos, "unexpected end of data inside a data item");
        }

        int ib = _buffer[_pos];
        int major = ib >> 5;
        int ai = ib & 0x1F;

        if (ib == 0xFF)
        {
            // RFC 8949 §3.2.1: "break" only ends an indefinite-length item, and never in place of a tag's content.
            if (_depth > 0 && (kind & KindIndefinite) != 0 && !_tagPending)
            {
                switch (kind & 0x7F)
                {
                    case KindArray:
                        return CborReaderState.EndArray;
                    case KindMap:
                        if ((_counts[_depth - 1] & 1) != 0)
                        {
                            throw new CborException(CborError.IncompleteMap, _pos, "indefinite-length map ends after a key without its value");
                        }

                        return CborReaderState.EndMap;
                    case KindByteChunks:
                        return CborReaderState.EndIndefiniteLengthByteString;
                    default:
                        return CborReaderState.EndIndefiniteLengthTextString;
                }
            }

            throw new CborException(CborError.UnexpectedBreak, _pos, "\"break\" outside an indefinite-length item");
        }

        if (ai >= 28 && ai <= 30)
        {
            throw new CborException(CborError.ReservedAdditionalInformation, _pos, "reserved additional information " + ai.ToString() + " in major type " + major.ToString());
        }

        if (_depth > 0 && ((kind & 0x7F) == KindByteChunks || (kind & 0x7F) == KindTextChunks))
        {
            // RFC 8949 §3.2.3: chunks are definite-length strings of the same major type.
            int want = (kind & 0x7F) == KindByteChunks ? 2 : 3;
            if (major != want || ai == 31)
            {
                throw new CborException(CborError.InvalidIndefiniteLengthStringChunk, _pos, "chunk of an indefinite-length " + (want == 2 ? "byte" : "text") + " string is not a definite-length " + (want == 2 ? "byte" : "text") + " string");
            }
        }

        if (ai == 31 && (major == 0 || major == 1 || major == 6 || major == 7))
        {
            // RFC 8949 §3.2.4; major type 7 with 31 is the break, handled above.
            throw new CborException(CborError.IndefiniteLengthNotAllowed, _pos, "indefinite length is not allowed for major type " + major.ToString());
        }

        switch (major)
        {
            case 0:
                return CborReaderState.UnsignedInteger;
            case 1:
                return CborReaderState.NegativeInteger;
            case 2:
                return ai == 31 ? CborReaderState.StartIndefiniteLengthByteString : CborReaderState.ByteString;
            case 3:
                return ai == 31 ? CborReaderState.StartIndefiniteLengthTextString : CborReaderState.TextString;
            case 4:
                return CborReaderState.StartArray;
            case 5:
                return CborReaderState.StartMap;
            case 6:
                return CborReaderState.Tag;
            default:
                switch (ai)
                {
                    case 20:
                    case 21:
                        return CborReaderState.Boolean;
                    case 22:
                        return CborReaderState.Null;
                    case 23:
                        return CborReaderState.Undefined;
                    case 25:
                        return CborReaderState.HalfPrecisionFloat;
                    case 26:
                        return CborReaderState.SinglePrecisionFloat;
                    case 27:
                        return CborReaderState.DoublePrecisionFloat;
                    default:
                        return CborReaderState.SimpleValue;
                }
        }
    }

    /// <summary>Reads an unsigned integer (major type 0).</summary>
    /// <returns>The value, 0 to 2^64-1.</returns>
    public ulong ReadUInt64()
    {
        int ib = DirectHead();
        if (ib >= 0 && ib < 0x18)
        {
            // RFC 8949 §3: major type 0 with the value in the initial byte.
            TakeDirect(1);
            return (ulong)ib;
        }

        int at = _pos;
        CborReaderState s = PeekState();
        if (s == CborReaderState.NegativeInteger)
        {
            throw new CborException(CborError.IntegerOverflow, at, "negative integer does not fit an unsigned 64-bit integer");
        }

        Expect(s, CborReaderState.UnsignedInteger, "an unsigned integer", at);
        ulong v = ReadArgument();
        ItemDone();
        return v;
    }

    /// <summary>Reads an integer (major type 0 or 1) that fits a <see cref="long"/>.</summary>
    /// <returns>The value, -2^63 to 2^63-1; anything else fails with <see cref="CborError.IntegerOverflow"/>.</returns>
    public long ReadInt64()
    {
        int ib = DirectHead();
        if (ib >= 0 && ib < 0x38 && (ib & 0x1F) < 24)
        {
            // RFC 8949 §3.1: major type 0 or 1 with the argument in the initial byte; type 1 is -1 - argument.
            TakeDirect(1);
            return ib < 0x20 ? ib : -1 - (ib & 0x1F);
        }

        return ReadSignedInteger(long.MaxValue, "integer does not fit a signed 64-bit integer");
    }

    /// <summary>Reads an integer (major type 0 or 1) that fits an <see cref="int"/>.</summary>
    /// <returns>The value; anything outside the int range fails with <see cref="CborError.IntegerOverflow"/>.</returns>
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
    public ulong ReadNegativeIntegerArgument()
    {
        int ib = DirectHead();
        if (ib >= 0x20 && ib < 0x38)
        {
            TakeDirect(1);
            return (ulong)(ib & 0x1F);
        }

        int at = _pos;
        Expect(PeekState(), CborReaderState.NegativeInteger, "a negative integer", at);
        ulong v = ReadArgument();
        ItemDone();
        return v;
    }

    /// <summary>
    /// Reads a definite-length byte string (major type 2), or one chunk inside an indefinite-length byte string,
    /// as a slice of the buffer: no copy.
    /// </summary>
    /// <param name="offset">Index in the buffer of the first content byte.</param>
    /// <param name="length">Number of content bytes.</param>
    public void ReadByteString(out int offset, out int length)
    {
        int ib = DirectHead();
        if (ib >= 0x40 && ib <= 0x58 && DirectString(ib, out offset, out length))
        {
            return;
        }

        int at = _pos;
        Expect(PeekState(), CborReaderState.ByteString, "a definite-length byte string", at);
        ReadStringSlice(out offset, out length);
        ItemDone();
    }

    /// <summary>Reads a byte string, definite or indefinite length (chunks concatenated), into a new array.</summary>
    /// <returns>The content.</returns>
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

        Expect(s, CborReaderState.StartIndefiniteLengthByteString, "a byte string", at);
        return ReadConcatenated(false);
    }

    /// <summary>
    /// Reads a definite-length text string (major type 3), or one chunk inside an indefinite-length text string,
    /// as a slice of the buffer after checking it is valid UTF-8.
    /// </summary>
    /// <param name="offset">Index in the buffer of the first UTF-8 byte.</param>
    /// <param name="length">Number of UTF-8 bytes.</param>
    public void ReadTextString(out int offset, out int length)
    {
        int ib = DirectHead();
        if (ib >= 0x60 && ib <= 0x78 && DirectString(ib, out offset, out length))
        {
            // The string is consumed only if it is valid UTF-8, as on the checked path.
            return;
        }

        int at = _pos;
        Expect(PeekState(), CborReaderState.TextString, "a definite-length text string", at);
        ReadStringSlice(out offset, out length);
        CheckUtf8(offset, length);
        ItemDone();
    }

    /// <summary>Reads a text string, definite or indefinite length (chunks concatenated), checking its UTF-8.</summary>
    /// <returns>The text.</returns>
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

        Expect(s, CborReaderState.StartIndefiniteLengthTextString, "a text string", at);
        byte[] utf8 = ReadConcatenated(true);
        return Utf8.Decode(utf8, 0, utf8.Length);
    }

    /// <summary>Enters an indefinite-length byte string; read its chunks with <see cref="ReadByteString(out int, out int)"/>.</summary>
    public void ReadStartIndefiniteLengthByteString()
    {
        int at = _pos;
        Expect(PeekState(), CborReaderState.StartIndefiniteLengthByteString, "an indefinite-length byte string", at);
        Push(KindByteChunks | KindIndefinite, 0, at);
        _pos++;
    }

    /// <summary>Consumes the "break" that ends an indefinite-length byte string.</summary>
    public void ReadEndIndefiniteLengthByteString()
    {
        int at = _pos;
        Expect(PeekState(), CborReaderState.EndIndefiniteLengthByteString, "the end of an indefinite-length byte string", at);
        _pos++;
        _depth--;
    }

    /// <summary>Enters an indefinite-length text string; read its chunks with <see cref="ReadTextString(out int, out int)"/>.</summary>
    public void ReadStartIndefiniteLengthTextString()
    {
        int at = _pos;
        Expect(PeekState(), CborReaderState.StartIndefiniteLengthTextString, "an indefinite-length text string", at);
        Push(KindTextChunks | KindIndefinite, 0, at);
        _pos++;
    }

    /// <summary>Consumes the "break" that ends an indefinite-length text string.</summary>
    public void ReadEndIndefiniteLengthTextString()
    {
        int at = _pos;
        Expect(PeekState(), CborReaderState.EndIndefiniteLengthTextString, "the end of an indefinite-length text string", at);
        _pos++;
        _depth--;
    }

    /// <summary>Enters an array (major type 4).</summary>
    /// <returns>The number of items, or -1 for an indefinite-length array.</returns>
    public int ReadStartArray()
    {
        int ib = DirectHead();
        if (ib >= 0x80 && ib < 0x98)
        {
            return StartContainer(KindArray, _pos);
        }

        int at = _pos;
        Expect(PeekState(), CborReaderState.StartArray, "an array", at);
        return StartContainer(KindArray, at);
    }

    /// <summary>Leaves an array after all its items.</summary>
    public void ReadEndArray()
    {
        int d = _depth;
        if (d > 0 && _kinds[d - 1] == KindArray && _counts[d - 1] == 0 && !_tagPending)
        {
            _depth = d - 1;
            return;
        }

        int at = _pos;
        Expect(PeekState(), CborReaderState.EndArray, "the end of an array", at);
        EndContainer();
    }

    /// <summary>Enters a map (major type 5).</summary>
    /// <returns>The number of key/value pairs, or -1 for an indefinite-length map.</returns>
    public int ReadStartMap()
    {
        int ib = DirectHead();
        if (ib >= 0xA0 && ib < 0xB8)
        {
            return StartContainer(KindMap, _pos);
        }

        int at = _pos;
        Expect(PeekState(), CborReaderState.StartMap, "a map", at);
        return StartContainer(KindMap, at);
    }

    /// <summary>Leaves a map after all its pairs.</summary>
    public void ReadEndMap()
    {
        int d = _depth;
        if (d > 0 && _kinds[d - 1] == KindMap && _counts[d - 1] == 0 && !_tagPending)
        {
            // RFC 8949 §3.2.1: a definite map ends when its count is used up; nothing to read.
            _depth = d - 1;
            return;
        }

        int at = _pos;
        Expect(PeekState(), CborReaderState.EndMap, "the end of a map", at);
        EndContainer();
    }

    /// <summary>Reads a tag head (major type 6); the tag content is the next item.</summary>
    /// <returns>The tag number.</returns>
    public ulong ReadTag()
    {
        int at = _pos;
        Expect(PeekState(), CborReaderState.Tag, "a tag", at);
        ulong tag = ReadArgument();
        // The tag and its content are one item of the enclosing container; the content will count it.
        _tagPending = true;
        return tag;
    }

    /// <summary>Reads a simple value (major type 7, RFC 8949 §3.3), including false, true, null and undefined (20..23).</summary>
    /// <returns>The simple value number.</returns>
    public byte ReadSimpleValue()
    {
        int at = _pos;
        CborReaderState s = PeekState();
        if (s != CborReaderState.SimpleValue && s != CborReaderState.Boolean && s != CborReaderState.Null && s != CborReaderState.Undefined)
        {
            throw Unexpected("a simple value", at);
        }

        ulong v = ReadArgument();
        ItemDone();
        return (byte)v;
    }

    /// <summary>Reads false (0xf4) or true (0xf5).</summary>
    /// <returns>The value.</returns>
    public bool ReadBoolean()
    {
        int at = _pos;
        Expect(PeekState(), CborReaderState.Boolean, "a boolean", at);
        bool v = _buffer[_pos] == 0xF5;
        _pos++;
        ItemDone();
        return v;
    }

    /// <summary>Reads null (0xf6).</summary>
    public void ReadNull()
    {
        int at = _pos;
        Expect(PeekState(), CborReaderState.Null, "null", at);
        _pos++;
        ItemDone();
    }

    /// <summary>Reads undefined (0xf7).</summary>
    public void ReadUndefined()
    {
        int at = _pos;
        Expect(PeekState(), CborReaderState.Undefined, "undefined", at);
        _pos++;
        ItemDone();
    }

    /// <summary>Reads a half-, single- or double-precision float and returns it as a double (always exact).</summary>
    /// <returns>The value.</returns>
    public double ReadDouble()
    {
        int at = _pos;
        CborReaderState s = PeekState();
        if (s != CborReaderState.HalfPrecisionFloat && s != CborReaderState.SinglePrecisionFloat && s != CborReaderState.DoublePrecisionFloat)
        {
            throw Unexpected("a floating-point number", at);
        }

        ulong bits = ReadArgument();
        ItemDone();
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

    /// <summary>
    /// Skips the next data item with everything nested in it, checking well-formedness and UTF-8 on the way,
    /// without allocating. The nesting limit applies.
    /// </summary>
    public void SkipValue()
    {
        int baseDepth = _depth;
        if (SkipDefinite(baseDepth))
        {
            return;
        }

        // The checked walk takes over where the fast one stopped: both keep the same state.
        do
        {
            int at = _pos;
            int off;
            int len;
            switch (PeekState())
            {
                case CborReaderState.UnsignedInteger:
                case CborReaderState.NegativeInteger:
                case CborReaderState.SimpleValue:
                case CborReaderState.Boolean:
                case CborReaderState.Null:
                case CborReaderState.Undefined:
                case CborReaderState.HalfPrecisionFloat:
                case CborReaderState.SinglePrecisionFloat:
                case CborReaderState.DoublePrecisionFloat:
                    ReadArgument();
                    ItemDone();
                    break;
                case CborReaderState.ByteString:
                    ReadByteString(out off, out len);
                    break;
                case CborReaderState.TextString:
                    ReadTextString(out off, out len);
                    break;
                case CborReaderState.StartIndefiniteLengthByteString:
                    ReadStartIndefiniteLengthByteString();
                    break;
                case CborReaderState.StartIndefiniteLengthTextString:
                    ReadStartIndefiniteLengthTextString();
                    break;
                case CborReaderState.StartArray:
                    ReadStartArray();
                    break;
                case CborReaderState.StartMap:
                    ReadStartMap();
                    break;
                case CborReaderState.Tag:
                    ReadTag();
                    break;
                case CborReaderState.Finished:
                    throw new CborException(CborError.UnexpectedEndOfData, at, "no data item to skip");
                default:
                    if (_depth == baseDepth)
                    {
                        throw new CborException(CborError.UnexpectedDataType, at, "no data item to skip: the enclosing item ends here");
                    }

                    // PeekState has checked that a "break" is there if the container is indefinite.
                    EndContainer();

                    break;
            }
        }
        while (_depth > baseDepth || _tagPending);
    }

    // The common case of SkipValue: definite-length items only. It walks heads directly with the same
    // bookkeeping as the Read* methods (counts, depth limit, tags, UTF-8) and stops, returning false,
    // at anything that needs the checked path: indefinite lengths, breaks, reserved values, the end of
    // the data, or an item that is not there. True when the whole item has been skipped.
    private bool SkipDefinite(int baseDepth)
    {
        bool started = false;
        while (true)
        {
            int d = _depth;
            if (started && d == baseDepth && !_tagPending)
            {
                return true;
            }

            if (d > 0)
            {
                byte kind = _kinds[d - 1];
                if (kind != KindArray && kind != KindMap)
                {
                    return false;
                }

                if (_counts[d - 1] == 0)
                {
                    if (d == baseDepth || _tagPending)
                    {
                        return false;
                    }

                    // RFC 8949 §3.2.1: a definite container ends when its count is used up.
                    _depth = d - 1;
                    continue;
                }
            }

            if (_pos >= _end)
            {
                return false;
            }

            int ib = _buffer[_pos];
            if (InitialByteStates[ib] == 0)
            {
                return false;
            }

            started = true;
            int major = ib >> 5;
            if (major == 4 || major == 5)
            {
                StartContainer(major == 4 ? KindArray : KindMap, _pos);
            }
            else if (major == 6)
            {
                ReadArgument();
                _tagPending = true;
            }
            else if (major == 2 || major == 3)
            {
                int o;
                int l;
                ReadStringSlice(out o, out l);
                if (major == 3)
                {
                    CheckUtf8(o, l);
                }

                ItemDone();
            }
            else
            {
                ReadArgument();
                ItemDone();
            }
        }
    }

    /// <summary>
    /// Skips the next data item like <see cref="SkipValue"/> and returns where its encoding lies in the buffer,
    /// e.g. to hash or re-emit it (<see cref="CborWriter.WriteEncodedValue"/>) without decoding it.
    /// </summary>
    /// <param name="offset">Index in the buffer of the item's first byte (its first tag, if tagged).</param>
    /// <param name="length">Length of the whole encoded item.</param>
    public void ReadEncodedValue(out int offset, out int length)
    {
        int start = _pos;
        SkipValue();
        offset = start;
        length = _pos - start;
    }

    private void AllocateStack(int maxDepth)
    {
        if (maxDepth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDepth));
        }

        _kinds = new byte[maxDepth];
        _counts = new long[maxDepth];
    }

    private int StartContainer(byte kind, int at)
    {
        int ai = _buffer[_pos] & 0x1F;
        if (ai == 31)
        {
            Push((byte)(kind | KindIndefinite), 0, at);
            _pos++;
            return -1;
        }

        ulong n = PeekArgument();
        int headEnd = _pos + HeadSize(ai);
        // Never trust a count: each item takes at least one byte, so a count above the bytes left is
        // truncated input (RFC 8949 Appendix F), and the check keeps the arithmetic below in range.
        ulong left = (ulong)(_end - headEnd);
        ulong items = kind == KindMap ? (n > left ? n : n * 2) : n;
        if (items > left)
        {
            ThrowCountTooLarge(kind, at, n, left);
        }

        Push(kind, (long)items, at);
        _pos = headEnd;
        return (int)n;
    }

    private static void ThrowCountTooLarge(byte kind, int at, ulong n, ulong left)
    {
        throw new CborException(CborError.UnexpectedEndOfData, at, (kind == KindMap ? "map" : "array") + " declares " + n.ToString() + (kind == KindMap ? " pairs" : " items") + " but only " + left.ToString() + " bytes follow");
    }

    private void EndContainer()
    {
        _depth--;
        if ((_kinds[_depth] & KindIndefinite) != 0)
        {
            _pos++;
        }
    }

    private void Push(byte kind, long count, int at)
    {
        if (_depth >= _kinds.Length)
        {
            ThrowTooDeep(at);
        }

        // The container is one item of its parent; count it now, as it is entered.
        ItemDone();
        _kinds[_depth] = kind;
        _counts[_depth] = count;
        _depth++;
    }

    private void ThrowTooDeep(int at)
    {
        throw new CborException(CborError.DepthLimitExceeded, at, "nesting deeper than " + _kinds.Length.ToString() + " levels");
    }

    private void ItemDone()
    {
        _tagPending = false;
        if (_depth > 0)
        {
            int d = _depth - 1;
            if ((_kinds[d] & KindIndefinite) != 0)
            {
                _counts[d]++;
            }
            else
            {
                _counts[d]--;
            }
        }
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
    // Major type 0 or 1 whose argument is at most maxArgument, so both v and -1 - v fit the caller's type.
    // The argument is decoded once; on overflow nothing is consumed and the offset names the head.
    private long ReadSignedInteger(ulong maxArgument, string overflow)
    {
        int at = _pos;
        CborReaderState s = PeekState();
        if (s != CborReaderState.UnsignedInteger && s != CborReaderState.NegativeInteger)
        {
            throw Unexpected("an integer", at);
        }

        ulong arg = PeekArgument();
        if (arg > maxArgument)
        {
            throw new CborException(CborError.IntegerOverflow, at, overflow);
        }

        _pos += HeadSize(_buffer[at] & 0x1F);
        ItemDone();
        // RFC 8949 §3.1: major type 1 encodes -1 - argument.
        return s == CborReaderState.UnsignedInteger ? (long)arg : -1 - (long)arg;
    }

    private ulong PeekArgument()
    {
        int ai = _buffer[_pos] & 0x1F;
        return ai < 24 ? (ulong)ai : PeekLongArgument(ai);
    }

    // The argument in 1, 2, 4 or 8 following bytes; kept out of PeekArgument so the short form inlines.
    private ulong PeekLongArgument(int ai)
    {
        int size = 1 << (ai - 24);
        if (size > _end - _pos - 1)
        {
            throw new CborException(CborError.UnexpectedEndOfData, _pos, "unexpected end of data in a " + size.ToString() + "-byte argument");
        }

        ulong v = 0;
        for (int i = 1; i <= size; i++)
        {
            v = (v << 8) | _buffer[_pos + i];
        }

        // RFC 8949 §3.3: a simple value in the extra byte must be 32 or more; smaller ones have a short form.
        if (ai == 24 && (_buffer[_pos] >> 5) == 7 && v < 32)
        {
            throw new CborException(CborError.InvalidSimpleValue, _pos, "two-byte simple value " + v.ToString() + " is below 32");
        }

        return v;
    }

    private ulong ReadArgument()
    {
        ulong v = PeekArgument();
        _pos += HeadSize(_buffer[_pos] & 0x1F);
        return v;
    }

    private void ReadStringSlice(out int offset, out int length)
    {
        int at = _pos;
        ulong n = PeekArgument();
        int headEnd = at + HeadSize(_buffer[at] & 0x1F);
        // Never trust a length: compare it with the bytes left before using it.
        if (n > (ulong)(_end - headEnd))
        {
            ThrowStringTooLong(at, n, headEnd);
        }

        offset = headEnd;
        length = (int)n;
        _pos = headEnd + length;
    }

    private void ThrowStringTooLong(int at, ulong n, int headEnd)
    {
        throw new CborException(CborError.UnexpectedEndOfData, at, "string declares " + n.ToString() + " bytes but only " + (_end - headEnd).ToString() + " follow");
    }

    private void CheckUtf8(int offset, int length)
    {
        int bad = Utf8.Validate(_buffer, offset, length);
        if (bad >= 0)
        {
            ThrowInvalidUtf8(bad);
        }
    }

    private static void ThrowInvalidUtf8(int at)
    {
        throw new CborException(CborError.InvalidUtf8, at, "text string is not valid UTF-8");
    }

    // RFC 8949 §3.2.3: an indefinite-length string is the concatenation of its chunks. The first pass
    // validates and measures (each text chunk must be valid UTF-8 by itself), the second copies.
    private byte[] ReadConcatenated(bool text)
    {
        int savedPos = _pos;
        bool savedTag = _tagPending;
        long savedCount = _depth > 0 ? _counts[_depth - 1] : 0;
        int total = WalkChunks(text, null);
        byte[] result = new byte[total];
        _pos = savedPos;
        _tagPending = savedTag;
        if (_depth > 0)
        {
            _counts[_depth - 1] = savedCount;
        }

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
        while (true)
        {
            CborReaderState s = PeekState();
            if (s == CborReaderState.EndIndefiniteLengthByteString)
            {
                ReadEndIndefiniteLengthByteString();
                return total;
            }

            if (s == CborReaderState.EndIndefiniteLengthTextString)
            {
                ReadEndIndefiniteLengthTextString();
                return total;
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
    }

    private void Expect(CborReaderState actual, CborReaderState wanted, string what, int at)
    {
        if (actual != wanted)
        {
            ThrowUnexpected(what, at);
        }
    }

    // Throwing from a separate method keeps the callers small enough for the JIT to inline them.
    private void ThrowUnexpected(string what, int at)
    {
        throw Unexpected(what, at);
    }

    private CborException Unexpected(string what, int at)
    {
        string found;
        if (at >= _end)
        {
            found = "the end of the data";
        }
        else if (_buffer[at] == 0xFF)
        {
            found = "a \"break\"";
        }
        else if (_depth > 0 && (_kinds[_depth - 1] & KindIndefinite) == 0 && _counts[_depth - 1] == 0)
        {
            found = "the end of the enclosing " + ((_kinds[_depth - 1] & 0x7F) == KindArray ? "array" : "map");
        }
        else
        {
            int ib = _buffer[at];
            found = "major type " + (ib >> 5).ToString() + (ib >= 0xE0 ? " (" + (ib & 0x1F).ToString() + ")" : string.Empty);
        }

        return new CborException(CborError.UnexpectedDataType, at, "expected " + what + " but found " + found);
    }
}
