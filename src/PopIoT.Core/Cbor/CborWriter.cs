using System;

namespace PopIoT.Core.Cbor;

/// <summary>
/// Writes CBOR (RFC 8949) into a window of a caller-provided buffer. Heads always use the shortest argument
/// form (RFC 8949 §4.2.1, preferred serialization); <see cref="WriteFloat"/> picks the shortest exact float
/// (§4.2.2). If an item does not fit, the writer throws <see cref="CborException"/> with
/// <see cref="CborError.BufferTooSmall"/> and writes none of it, so nothing lands past the window.
/// The writer does not track structure: the caller writes the right number of items after a start.
/// </summary>
public sealed class CborWriter
{
    private readonly byte[] _buffer;
    private readonly int _start;
    private readonly int _end;
    private int _pos;

    /// <summary>Creates a writer over the whole of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The destination.</param>
    public CborWriter(byte[] buffer)
        : this(buffer, 0, buffer == null ? 0 : buffer.Length)
    {
    }

    /// <summary>Creates a writer over <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    /// <param name="buffer">The destination.</param>
    /// <param name="offset">The first byte the writer may use.</param>
    /// <param name="count">How many bytes the writer may use.</param>
    public CborWriter(byte[] buffer, int offset, int count)
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
        _start = offset;
        _end = offset + count;
        _pos = offset;
    }

    /// <summary>The index in the buffer where the next byte will go.</summary>
    public int Offset => _pos;

    /// <summary>How many bytes have been written since construction or <see cref="Reset"/>.</summary>
    public int BytesWritten => _pos - _start;

    /// <summary>How many bytes of the window are still free.</summary>
    public int BytesRemaining => _end - _pos;

    /// <summary>Forgets what was written and starts again at the beginning of the window.</summary>
    public void Reset()
    {
        _pos = _start;
    }

    /// <summary>Writes an unsigned integer (major type 0).</summary>
    /// <param name="value">Any value from 0 to 2^64-1.</param>
    public void WriteUInt64(ulong value)
    {
        WriteHead(0, value);
    }

    /// <summary>Writes an unsigned integer (major type 0).</summary>
    /// <param name="value">The value.</param>
    public void WriteUInt32(uint value)
    {
        WriteHead(0, value);
    }

    /// <summary>Writes a signed integer: major type 0 if it is not negative, else major type 1.</summary>
    /// <param name="value">Any value from -2^63 to 2^63-1.</param>
    public void WriteInt64(long value)
    {
        if (value >= 0)
        {
            WriteHead(0, (ulong)value);
        }
        else
        {
            // RFC 8949 §3.1: major type 1 carries -1 - n; ~value == -1 - value without overflow at long.MinValue.
            WriteHead(1, (ulong)~value);
        }
    }

    /// <summary>Writes a signed integer: major type 0 if it is not negative, else major type 1.</summary>
    /// <param name="value">The value.</param>
    public void WriteInt32(int value)
    {
        WriteInt64(value);
    }

    /// <summary>
    /// Writes a negative integer given its major type 1 argument: the value is -1 - <paramref name="argument"/>.
    /// This reaches the whole range -1 to -2^64 (argument 0xffffffffffffffff), beyond <see cref="long"/>.
    /// </summary>
    /// <param name="argument">The argument n of RFC 8949 §3.1, value -1-n.</param>
    public void WriteNegativeIntegerArgument(ulong argument)
    {
        WriteHead(1, argument);
    }

    /// <summary>Writes a definite-length byte string (major type 2) holding all of <paramref name="value"/>.</summary>
    /// <param name="value">The bytes.</param>
    public void WriteByteString(byte[] value)
    {
        WriteByteString(value, 0, value.Length);
    }

    /// <summary>Writes a definite-length byte string (major type 2) from a slice.</summary>
    /// <param name="value">The source buffer.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">How many bytes.</param>
    public void WriteByteString(byte[] value, int offset, int count)
    {
        CheckSlice(value, offset, count);
        WriteHeadAndPayload(2, value, offset, count);
    }

    /// <summary>Writes a definite-length text string (major type 3), encoding <paramref name="value"/> as UTF-8.</summary>
    /// <param name="value">The text; an unpaired surrogate is refused with <see cref="CborError.InvalidUtf8"/>.</param>
    public void WriteTextString(string value)
    {
        if (value == null)
        {
            throw new ArgumentNullException(nameof(value));
        }

        int n = Utf8.GetByteCount(value);
        if (n < 0)
        {
            throw new CborException(CborError.InvalidUtf8, _pos, "text string holds an unpaired UTF-16 surrogate");
        }

        int head = HeadLength((ulong)n);
        Ensure(head + n);
        PutHead(3, (ulong)n);
        _pos += Utf8.Encode(value, _buffer, _pos);
    }

    /// <summary>Writes a definite-length text string (major type 3) from bytes that are already UTF-8.</summary>
    /// <param name="utf8">The source buffer.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">How many bytes; they must be valid UTF-8 (RFC 8949 §3.1), else <see cref="CborError.InvalidUtf8"/>.</param>
    public void WriteTextString(byte[] utf8, int offset, int count)
    {
        CheckSlice(utf8, offset, count);
        int bad = Utf8.Validate(utf8, offset, count);
        if (bad >= 0)
        {
            throw new CborException(CborError.InvalidUtf8, _pos, "text string is not valid UTF-8 (source byte " + bad.ToString() + ")");
        }

        WriteHeadAndPayload(3, utf8, offset, count);
    }

    /// <summary>Starts a definite-length array (major type 4); write exactly <paramref name="count"/> items next.</summary>
    /// <param name="count">The number of items.</param>
    public void WriteStartArray(int count)
    {
        CheckCount(count);
        WriteHead(4, (ulong)count);
    }

    /// <summary>Starts a definite-length map (major type 5); write exactly <paramref name="pairCount"/> key/value pairs next.</summary>
    /// <param name="pairCount">The number of pairs.</param>
    public void WriteStartMap(int pairCount)
    {
        CheckCount(pairCount);
        WriteHead(5, (ulong)pairCount);
    }

    /// <summary>Starts an indefinite-length array (RFC 8949 §3.2.2); end it with <see cref="WriteBreak"/>.</summary>
    public void WriteStartIndefiniteLengthArray()
    {
        WriteByte(0x9F);
    }

    /// <summary>Starts an indefinite-length map (RFC 8949 §3.2.2); end it with <see cref="WriteBreak"/>.</summary>
    public void WriteStartIndefiniteLengthMap()
    {
        WriteByte(0xBF);
    }

    /// <summary>Starts an indefinite-length byte string (RFC 8949 §3.2.3): write definite byte string chunks, then <see cref="WriteBreak"/>.</summary>
    public void WriteStartIndefiniteLengthByteString()
    {
        WriteByte(0x5F);
    }

    /// <summary>Starts an indefinite-length text string (RFC 8949 §3.2.3): write definite text string chunks, then <see cref="WriteBreak"/>.</summary>
    public void WriteStartIndefiniteLengthTextString()
    {
        WriteByte(0x7F);
    }

    /// <summary>Writes the "break" stop code 0xff that ends an indefinite-length item (RFC 8949 §3.2.1).</summary>
    public void WriteBreak()
    {
        WriteByte(0xFF);
    }

    /// <summary>Writes a tag head (major type 6); write exactly one item next, the tag content.</summary>
    /// <param name="tag">The tag number.</param>
    public void WriteTag(ulong tag)
    {
        WriteHead(6, tag);
    }

    /// <summary>Writes a simple value (major type 7, RFC 8949 §3.3).</summary>
    /// <param name="value">0..23 or 32..255; 24..31 have no encoding and are refused with <see cref="CborError.InvalidSimpleValue"/>.</param>
    public void WriteSimpleValue(byte value)
    {
        if (value >= 24 && value < 32)
        {
            throw new CborException(CborError.InvalidSimpleValue, _pos, "simple value " + value.ToString() + " is reserved (RFC 8949 §3.3)");
        }

        WriteHead(7, value);
    }

    /// <summary>Writes false (0xf4) or true (0xf5).</summary>
    /// <param name="value">The value.</param>
    public void WriteBoolean(bool value)
    {
        WriteByte(value ? (byte)0xF5 : (byte)0xF4);
    }

    /// <summary>Writes null (0xf6).</summary>
    public void WriteNull()
    {
        WriteByte(0xF6);
    }

    /// <summary>Writes undefined (0xf7).</summary>
    public void WriteUndefined()
    {
        WriteByte(0xF7);
    }

    /// <summary>
    /// Writes a half-precision float (0xf9). The value must be exactly representable in binary16, else
    /// <see cref="CborError.ValueNotRepresentable"/>; every NaN becomes 0x7e00.
    /// </summary>
    /// <param name="value">The value.</param>
    public void WriteHalf(double value)
    {
        ushort bits;
        if (!IeeeFloat.TryGetHalfBits(value, out bits))
        {
            throw new CborException(CborError.ValueNotRepresentable, _pos, "value is not exactly representable as a half-precision float");
        }

        WriteHalfBits(bits);
    }

    /// <summary>Writes a single-precision float (0xfa) with the value's own bits.</summary>
    /// <param name="value">The value.</param>
    public void WriteSingle(float value)
    {
        uint bits;
        IeeeFloat.TryGetSingleBits(value, false, out bits); // float -> double -> float is exact
        Ensure(5);
        _buffer[_pos++] = 0xFA;
        PutBigEndian(bits, 4);
    }

    /// <summary>Writes a double-precision float (0xfb) with the value's own bits.</summary>
    /// <param name="value">The value.</param>
    public void WriteDouble(double value)
    {
        Ensure(9);
        _buffer[_pos++] = 0xFB;
        PutBigEndian((ulong)BitConverter.DoubleToInt64Bits(value), 8);
    }

    /// <summary>
    /// Writes a float with preferred serialization (RFC 8949 §4.2.2): the shortest of half, single and double
    /// that preserves the value exactly; every NaN is written as the half 0xf97e00.
    /// </summary>
    /// <param name="value">The value.</param>
    public void WriteFloat(double value)
    {
        ushort half;
        if (IeeeFloat.TryGetHalfBits(value, out half))
        {
            WriteHalfBits(half);
            return;
        }

        uint single;
        if (IeeeFloat.TryGetSingleBits(value, true, out single))
        {
            Ensure(5);
            _buffer[_pos++] = 0xFA;
            PutBigEndian(single, 4);
            return;
        }

        WriteDouble(value);
    }

    /// <summary>
    /// Copies one already-encoded data item. It is checked first with <see cref="CborReader.Validate(byte[], int, int)"/>
    /// so the output stays well-formed.
    /// </summary>
    /// <param name="encoded">The buffer holding the item.</param>
    /// <param name="offset">The first byte of the item.</param>
    /// <param name="count">Its length; it must be exactly one well-formed item.</param>
    public void WriteEncodedValue(byte[] encoded, int offset, int count)
    {
        CheckSlice(encoded, offset, count);
        CborReader.Validate(encoded, offset, count);
        Ensure(count);
        Array.Copy(encoded, offset, _buffer, _pos, count);
        _pos += count;
    }

    /// <summary>Writes a head (RFC 8949 §3) with the shortest argument form for <paramref name="argument"/>.</summary>
    /// <param name="major">The major type.</param>
    /// <param name="argument">The argument.</param>
    public void WriteHead(CborMajorType major, ulong argument)
    {
        WriteHead((int)major, argument);
    }

    private void WriteHead(int major, ulong argument)
    {
        Ensure(HeadLength(argument));
        PutHead(major, argument);
    }

    private void WriteHalfBits(ushort bits)
    {
        Ensure(3);
        _buffer[_pos++] = 0xF9;
        PutBigEndian(bits, 2);
    }

    private void WriteHeadAndPayload(int major, byte[] source, int offset, int count)
    {
        int head = HeadLength((ulong)count);
        Ensure(head + count);
        PutHead(major, (ulong)count);
        Array.Copy(source, offset, _buffer, _pos, count);
        _pos += count;
    }

    private void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_pos++] = value;
    }

    // RFC 8949 §3 and §4.2.1: arguments below 24 live in the initial byte, else 1, 2, 4 or 8 bytes follow;
    // preferred serialization always takes the shortest.
    private static int HeadLength(ulong argument)
    {
        if (argument < 24)
        {
            return 1;
        }

        if (argument <= 0xFF)
        {
            return 2;
        }

        if (argument <= 0xFFFF)
        {
            return 3;
        }

        return argument <= 0xFFFFFFFF ? 5 : 9;
    }

    private void PutHead(int major, ulong argument)
    {
        int mt = major << 5;
        if (argument < 24)
        {
            _buffer[_pos++] = (byte)(mt | (int)argument);
        }
        else if (argument <= 0xFF)
        {
            _buffer[_pos++] = (byte)(mt | 24);
            _buffer[_pos++] = (byte)argument;
        }
        else if (argument <= 0xFFFF)
        {
            _buffer[_pos++] = (byte)(mt | 25);
            PutBigEndian(argument, 2);
        }
        else if (argument <= 0xFFFFFFFF)
        {
            _buffer[_pos++] = (byte)(mt | 26);
            PutBigEndian(argument, 4);
        }
        else
        {
            _buffer[_pos++] = (byte)(mt | 27);
            PutBigEndian(argument, 8);
        }
    }

    // RFC 8949 §3: multi-byte arguments and floats are in network byte order (big-endian).
    private void PutBigEndian(ulong value, int size)
    {
        for (int i = size - 1; i >= 0; i--)
        {
            _buffer[_pos + i] = (byte)value;
            value >>= 8;
        }

        _pos += size;
    }

    private void Ensure(int needed)
    {
        if (needed > _end - _pos)
        {
            throw new CborException(CborError.BufferTooSmall, _pos, "buffer too small: " + needed.ToString() + " bytes needed, " + (_end - _pos).ToString() + " left");
        }
    }

    private static void CheckSlice(byte[] source, int offset, int count)
    {
        if (source == null)
        {
            throw new ArgumentNullException(nameof(source));
        }

        if (offset < 0 || count < 0 || count > source.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
    }

    private static void CheckCount(int count)
    {
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
    }
}
