using System;

namespace PopIoT.Core;

/// <summary>
/// A run of bytes in a caller's buffer: the buffer, an offset and a count, passed as one value instead of three
/// parameters (docs/architecture.md, the portable core). A plain struct, so it is neither generic nor an allocation, and
/// nanoFramework's runtime (which has no Span) can run it. It does not own the bytes: whoever made the buffer erases it.
/// </summary>
public struct ByteRange
{
    private readonly byte[] _buffer;
    private readonly int _offset;
    private readonly int _count;

    /// <summary>Names <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    /// <param name="buffer">The buffer; null only with offset and count 0 (an empty range).</param>
    /// <param name="offset">Where the range starts.</param>
    /// <param name="count">How many bytes it has.</param>
    /// <exception cref="ArgumentException">The range does not lie inside the buffer.</exception>
    public ByteRange(byte[] buffer, int offset, int count)
    {
        if (offset < 0 || count < 0 || (buffer == null ? offset != 0 || count != 0 : offset > buffer.Length - count))
        {
            throw new ArgumentException("The range does not lie inside the buffer.");
        }

        _buffer = buffer;
        _offset = offset;
        _count = count;
    }

    /// <summary>A range over a whole buffer (an empty range for null).</summary>
    /// <param name="buffer">The buffer.</param>
    /// <returns>The range.</returns>
    public static ByteRange Of(byte[] buffer)
    {
        return new ByteRange(buffer, 0, buffer == null ? 0 : buffer.Length);
    }

    /// <summary>The buffer (null for the empty range made by default).</summary>
    public byte[] Buffer
    {
        get { return _buffer; }
    }

    /// <summary>Where the range starts in <see cref="Buffer"/>.</summary>
    public int Offset
    {
        get { return _offset; }
    }

    /// <summary>How many bytes the range has.</summary>
    public int Count
    {
        get { return _count; }
    }

    /// <summary>The byte at <paramref name="index"/> within the range.</summary>
    /// <param name="index">0 .. Count − 1.</param>
    /// <returns>The byte.</returns>
    public byte this[int index]
    {
        get
        {
            if (index < 0 || index >= _count)
            {
                throw new ArgumentException("index is outside the range.");
            }

            return _buffer[_offset + index];
        }
    }

    /// <summary>The first <paramref name="count"/> bytes from <paramref name="start"/> within this range.</summary>
    /// <param name="start">Offset within the range.</param>
    /// <param name="count">How many bytes.</param>
    /// <returns>The sub-range.</returns>
    public ByteRange Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start > _count - count)
        {
            throw new ArgumentException("The slice does not lie inside the range.");
        }

        return new ByteRange(_buffer, _offset + start, count);
    }

    /// <summary>Copies the range into <paramref name="destination"/> at <paramref name="at"/>.</summary>
    /// <param name="destination">The buffer to copy into.</param>
    /// <param name="at">Where to put the first byte.</param>
    public void CopyTo(byte[] destination, int at)
    {
        if (_count > 0)
        {
            Array.Copy(_buffer, _offset, destination, at, _count);
        }
    }
}
