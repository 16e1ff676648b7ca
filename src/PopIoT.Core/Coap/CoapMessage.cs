using System;

using PopIoT.Core.Cbor;

namespace PopIoT.Core.Coap;

/// <summary>
/// A CoAP message (RFC 7252 §3) that is reused across datagrams. Options live in a fixed number of slots, kept
/// sorted by number with repeated options in insertion order (RFC 7252 §3.1, §5.4.5). A slot references its value
/// in some buffer by offset and length: <see cref="Parse"/> points the slots and the payload into the datagram
/// without copying, and the Add methods point them at the caller's buffer or copy small values into a value store
/// allocated at construction. So a parsed message is valid only while its datagram is unchanged.
/// </summary>
public sealed class CoapMessage
{
    /// <summary>The most options a message made with the default constructor holds.</summary>
    public const int DefaultOptionCapacity = 24;

    /// <summary>The value-store size of a message made with the default constructor.</summary>
    public const int DefaultValueStoreSize = 128;

    /// <summary>The longest token (RFC 7252 §3: TKL 0..8).</summary>
    public const int MaxTokenLength = 8;

    private readonly int[] _number;
    private readonly byte[][] _buffer;
    private readonly int[] _offset;
    private readonly int[] _length;
    private readonly byte[] _store;
    private readonly byte[] _token = new byte[MaxTokenLength];
    private int _count;
    private int _storeUsed;
    private int _tokenLength;
    private int _messageId;
    private byte[] _payload;
    private int _payloadOffset;
    private int _payloadLength;

    /// <summary>Creates a message with <see cref="DefaultOptionCapacity"/> slots and a <see cref="DefaultValueStoreSize"/>-byte value store.</summary>
    public CoapMessage()
        : this(DefaultOptionCapacity, DefaultValueStoreSize)
    {
    }

    /// <summary>Creates a message with bounded option slots.</summary>
    /// <param name="optionCapacity">How many options the message can hold (at least 1).</param>
    /// <param name="valueStoreSize">Bytes for option values the Add methods copy (uint and string values).</param>
    public CoapMessage(int optionCapacity, int valueStoreSize)
    {
        if (optionCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(optionCapacity));
        }

        if (valueStoreSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(valueStoreSize));
        }

        _number = new int[optionCapacity];
        _buffer = new byte[optionCapacity][];
        _offset = new int[optionCapacity];
        _length = new int[optionCapacity];
        _store = new byte[valueStoreSize];
    }

    /// <summary>The message type T.</summary>
    public CoapMessageType Type { get; set; }

    /// <summary>The code (see <see cref="CoapCode"/>).</summary>
    public byte Code { get; set; }

    /// <summary>The 16-bit Message ID (RFC 7252 §4.4).</summary>
    public int MessageId
    {
        get => _messageId;
        set => _messageId = value & 0xFFFF;
    }

    /// <summary>The token length, 0..8.</summary>
    public int TokenLength => _tokenLength;

    /// <summary>How many options the message holds.</summary>
    public int OptionCount => _count;

    /// <summary>How many options the message can hold.</summary>
    public int OptionCapacity => _number.Length;

    /// <summary>The buffer holding the payload, or null when there is none.</summary>
    public byte[] PayloadBuffer => _payload;

    /// <summary>Where the payload starts in <see cref="PayloadBuffer"/>.</summary>
    public int PayloadOffset => _payloadOffset;

    /// <summary>The payload length; 0 means no payload (and no payload marker).</summary>
    public int PayloadLength => _payloadLength;

    /// <summary>Clears the message: type CON, code 0.00, Message ID 0, no token, options or payload.</summary>
    public void Reset()
    {
        Type = CoapMessageType.Confirmable;
        Code = 0;
        _messageId = 0;
        _tokenLength = 0;
        ClearOptions();
        _payload = null;
        _payloadOffset = 0;
        _payloadLength = 0;
    }

    /// <summary>Removes every option and empties the value store.</summary>
    public void ClearOptions()
    {
        for (int i = 0; i < _count; i++)
        {
            _buffer[i] = null;
        }

        _count = 0;
        _storeUsed = 0;
    }

    /// <summary>Sets the token (RFC 7252 §5.3.1), copying it.</summary>
    /// <param name="source">The token bytes.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="length">0..8 bytes.</param>
    public void SetToken(byte[] source, int offset, int length)
    {
        if (length < 0 || length > MaxTokenLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length));
        }

        if (length > 0)
        {
            Array.Copy(source, offset, _token, 0, length);
        }

        _tokenLength = length;
    }

    /// <summary>Copies the token of <paramref name="other"/> into this message.</summary>
    /// <param name="other">The message whose token to take.</param>
    public void CopyTokenFrom(CoapMessage other) => SetToken(other._token, 0, other._tokenLength);

    /// <summary>Copies the token into <paramref name="destination"/>.</summary>
    /// <param name="destination">The buffer (room for <see cref="TokenLength"/> bytes).</param>
    /// <param name="offset">Where to write.</param>
    /// <returns>The token length.</returns>
    public int GetToken(byte[] destination, int offset)
    {
        Array.Copy(_token, 0, destination, offset, _tokenLength);
        return _tokenLength;
    }

    /// <summary>Whether the token equals the given bytes.</summary>
    /// <param name="other">The buffer holding the other token.</param>
    /// <param name="offset">Its first byte.</param>
    /// <param name="length">Its length.</param>
    /// <returns>True if equal.</returns>
    public bool TokenEquals(byte[] other, int offset, int length)
    {
        if (length != _tokenLength)
        {
            return false;
        }

        for (int i = 0; i < length; i++)
        {
            if (_token[i] != other[offset + i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Points the payload at the caller's bytes (not copied; keep them until the message is serialized).</summary>
    /// <param name="buffer">The buffer, or null for no payload.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="length">The length; 0 for no payload.</param>
    public void SetPayload(byte[] buffer, int offset, int length)
    {
        if (length < 0 || (length > 0 && (buffer == null || offset < 0 || length > buffer.Length - offset)))
        {
            throw new ArgumentOutOfRangeException(nameof(length));
        }

        _payload = length == 0 ? null : buffer;
        _payloadOffset = length == 0 ? 0 : offset;
        _payloadLength = length;
    }

    /// <summary>The number of the option in slot <paramref name="index"/>.</summary>
    /// <param name="index">0 .. <see cref="OptionCount"/>-1.</param>
    /// <returns>The option number.</returns>
    public int GetOptionNumber(int index) => _number[index];

    /// <summary>The buffer holding the value of the option in slot <paramref name="index"/>.</summary>
    /// <param name="index">The slot.</param>
    /// <returns>The buffer (may be null for an empty value).</returns>
    public byte[] GetOptionBuffer(int index) => _buffer[index];

    /// <summary>Where the value of the option in slot <paramref name="index"/> starts.</summary>
    /// <param name="index">The slot.</param>
    /// <returns>The offset in <see cref="GetOptionBuffer"/>.</returns>
    public int GetOptionOffset(int index) => _offset[index];

    /// <summary>The value length of the option in slot <paramref name="index"/>.</summary>
    /// <param name="index">The slot.</param>
    /// <returns>The length.</returns>
    public int GetOptionLength(int index) => _length[index];

    /// <summary>Finds the first option with <paramref name="number"/>.</summary>
    /// <param name="number">The option number.</param>
    /// <returns>The slot, or -1.</returns>
    public int FindOption(int number) => FindOption(number, 0);

    /// <summary>Finds the next option with <paramref name="number"/> at or after slot <paramref name="start"/>, for repeatable options.</summary>
    /// <param name="number">The option number.</param>
    /// <param name="start">The first slot to look at.</param>
    /// <returns>The slot, or -1.</returns>
    public int FindOption(int number, int start)
    {
        for (int i = start; i < _count; i++)
        {
            if (_number[i] == number)
            {
                return i;
            }

            if (_number[i] > number)
            {
                break;
            }
        }

        return -1;
    }

    /// <summary>Whether the message holds an option with <paramref name="number"/>.</summary>
    /// <param name="number">The option number.</param>
    /// <returns>True if present.</returns>
    public bool HasOption(int number) => FindOption(number, 0) >= 0;

    /// <summary>How many options with <paramref name="number"/> the message holds.</summary>
    /// <param name="number">The option number.</param>
    /// <returns>The count.</returns>
    public int CountOption(int number)
    {
        int n = 0;
        for (int i = 0; i < _count; i++)
        {
            if (_number[i] == number)
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>Reads the first option with <paramref name="number"/> as an unsigned integer (RFC 7252 §3.2).</summary>
    /// <param name="number">The option number.</param>
    /// <param name="value">The value; 0 when absent.</param>
    /// <returns>False if the option is absent or longer than 4 bytes.</returns>
    public bool TryGetUint(int number, out uint value)
    {
        int i = FindOption(number, 0);
        if (i < 0)
        {
            value = 0;
            return false;
        }

        return CoapOption.TryReadUint(_buffer[i], _offset[i], _length[i], out value);
    }

    /// <summary>Whether the option in slot <paramref name="index"/> has exactly the UTF-8 bytes of <paramref name="value"/> (ASCII fast path, no allocation).</summary>
    /// <param name="index">The slot.</param>
    /// <param name="value">The bytes to compare with.</param>
    /// <returns>True if equal.</returns>
    public bool OptionEquals(int index, byte[] value)
    {
        int length = _length[index];
        if (length != value.Length)
        {
            return false;
        }

        byte[] b = _buffer[index];
        int o = _offset[index];
        for (int i = 0; i < length; i++)
        {
            if (b[o + i] != value[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Adds an option whose value stays in the caller's buffer (not copied).</summary>
    /// <param name="number">The option number, 0..65535.</param>
    /// <param name="buffer">The buffer holding the value (may be null when <paramref name="length"/> is 0).</param>
    /// <param name="offset">The first byte of the value.</param>
    /// <param name="length">The value length, 0..65804.</param>
    public void AddOption(int number, byte[] buffer, int offset, int length)
    {
        if (number < 0 || number > 0xFFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(number));
        }

        // RFC 7252 §3.1: the largest length the 14-form of the length nibble can express.
        if (length < 0 || length > 65804 || (length > 0 && (buffer == null || offset < 0 || length > buffer.Length - offset)))
        {
            throw new ArgumentOutOfRangeException(nameof(length));
        }

        if (_count == _number.Length)
        {
            throw new InvalidOperationException("CoAP message: all " + _number.Length.ToString() + " option slots are in use.");
        }

        // RFC 7252 §3.1, §5.4.5: options go out sorted by number and repeated options keep their order,
        // so insert after the last option with a number not above this one.
        int at = _count;
        while (at > 0 && _number[at - 1] > number)
        {
            _number[at] = _number[at - 1];
            _buffer[at] = _buffer[at - 1];
            _offset[at] = _offset[at - 1];
            _length[at] = _length[at - 1];
            at--;
        }

        _number[at] = number;
        _buffer[at] = buffer;
        _offset[at] = offset;
        _length[at] = length;
        _count++;
    }

    /// <summary>Adds an unsigned-integer option in its minimal encoding, copying it into the value store.</summary>
    /// <param name="number">The option number.</param>
    /// <param name="value">The value.</param>
    public void AddUintOption(int number, uint value)
    {
        int n = CoapOption.UintLength(value);
        int at = Reserve(n);
        CoapOption.WriteUint(value, _store, at);
        AddOption(number, _store, at, n);
    }

    /// <summary>Adds a string option, copying its UTF-8 form into the value store (startup and tests; it walks the string).</summary>
    /// <param name="number">The option number.</param>
    /// <param name="value">The string.</param>
    public void AddStringOption(int number, string value)
    {
        int n = Utf8.GetByteCount(value);
        if (n < 0)
        {
            throw new ArgumentException("The string has an unpaired surrogate.", nameof(value));
        }

        int at = Reserve(n);
        Utf8.Encode(value, _store, at);
        AddOption(number, _store, at, n);
    }

    /// <summary>Adds one Uri-Path option per segment of a '/'-separated path (leading '/' ignored).</summary>
    /// <param name="path">E.g. "/sensors/temp".</param>
    public void AddUriPath(string path)
    {
        int start = path.Length > 0 && path[0] == '/' ? 1 : 0;
        if (start == path.Length)
        {
            return;
        }

        for (int i = start; i <= path.Length; i++)
        {
            if (i == path.Length || path[i] == '/')
            {
                AddStringOption(CoapOptionNumber.UriPath, path.Substring(start, i - start));
                start = i + 1;
            }
        }
    }

    /// <summary>Removes every option with <paramref name="number"/>.</summary>
    /// <param name="number">The option number.</param>
    public void RemoveOption(int number)
    {
        int w = 0;
        for (int r = 0; r < _count; r++)
        {
            if (_number[r] == number)
            {
                continue;
            }

            _number[w] = _number[r];
            _buffer[w] = _buffer[r];
            _offset[w] = _offset[r];
            _length[w] = _length[r];
            w++;
        }

        for (int i = w; i < _count; i++)
        {
            _buffer[i] = null;
        }

        _count = w;
    }

    /// <summary>Replaces any options with <paramref name="number"/> by one unsigned-integer option.</summary>
    /// <param name="number">The option number.</param>
    /// <param name="value">The value.</param>
    public void SetUintOption(int number, uint value)
    {
        RemoveOption(number);
        AddUintOption(number, value);
    }

    /// <summary>
    /// Copies header fields, token, options (by reference) and payload (by reference) of <paramref name="other"/>,
    /// so a request can be re-sent with one option changed (block-wise). Values in <paramref name="other"/>'s
    /// value store are referenced, so keep <paramref name="other"/> unchanged while this copy is in use.
    /// </summary>
    /// <param name="other">The message to copy.</param>
    public void CopyFrom(CoapMessage other)
    {
        if (other._count > _number.Length)
        {
            throw new InvalidOperationException("CoAP message: not enough option slots to copy.");
        }

        Reset();
        Type = other.Type;
        Code = other.Code;
        _messageId = other._messageId;
        SetToken(other._token, 0, other._tokenLength);
        for (int i = 0; i < other._count; i++)
        {
            _number[i] = other._number[i];
            _buffer[i] = other._buffer[i];
            _offset[i] = other._offset[i];
            _length[i] = other._length[i];
        }

        _count = other._count;
        SetPayload(other._payload, other._payloadOffset, other._payloadLength);
    }

    /// <summary>
    /// Parses <paramref name="count"/> bytes at <paramref name="offset"/> into this message (RFC 7252 §3), replacing
    /// its contents. Options and payload reference the datagram. When the result is not <see cref="CoapParseError.None"/>
    /// but the header was readable (not <see cref="CoapParseError.TooShort"/> or <see cref="CoapParseError.UnknownVersion"/>),
    /// <see cref="Type"/>, <see cref="Code"/> and <see cref="MessageId"/> are set, so the caller can reject the message (RFC 7252 §4.2).
    /// Never throws for any content of the datagram.
    /// </summary>
    /// <param name="datagram">The buffer holding the datagram.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="count">The datagram length.</param>
    /// <returns>The first problem found, or <see cref="CoapParseError.None"/>.</returns>
    public CoapParseError Parse(byte[] datagram, int offset, int count)
    {
        Reset();
        if (count < 4)
        {
            return CoapParseError.TooShort;
        }

        int b0 = datagram[offset];
        // RFC 7252 §3: versions other than 1 are reserved and such messages are silently ignored.
        if ((b0 >> 6) != 1)
        {
            return CoapParseError.UnknownVersion;
        }

        Type = (CoapMessageType)((b0 >> 4) & 3);
        Code = datagram[offset + 1];
        _messageId = (datagram[offset + 2] << 8) | datagram[offset + 3];
        int tkl = b0 & 0x0F;
        int end = offset + count;
        int p = offset + 4;

        // RFC 7252 §4.1: an Empty message is the 4-byte header alone.
        if (Code == CoapCode.Empty && (tkl != 0 || count != 4))
        {
            return CoapParseError.NonEmptyEmptyMessage;
        }

        // RFC 7252 §3: TKL 9..15 are reserved and MUST be processed as a message format error.
        if (tkl > MaxTokenLength)
        {
            return CoapParseError.ReservedTokenLength;
        }

        if (end - p < tkl)
        {
            return CoapParseError.TruncatedToken;
        }

        Array.Copy(datagram, p, _token, 0, tkl);
        _tokenLength = tkl;
        p += tkl;

        int number = 0;
        while (p < end)
        {
            int b = datagram[p++];
            if (b == 0xFF)
            {
                // RFC 7252 §3: a marker followed by a zero-length payload MUST be a message format error.
                if (p == end)
                {
                    return CoapParseError.EmptyPayload;
                }

                _payload = datagram;
                _payloadOffset = p;
                _payloadLength = end - p;
                return CoapParseError.None;
            }

            int delta = b >> 4;
            int length = b & 0x0F;
            // RFC 7252 §3.1: nibble 15 is reserved for the payload marker.
            if (delta == 15 || length == 15)
            {
                return CoapParseError.ReservedOptionNibble;
            }

            delta = ReadExtended(datagram, ref p, end, delta);
            if (delta < 0)
            {
                return CoapParseError.TruncatedOption;
            }

            length = ReadExtended(datagram, ref p, end, length);
            if (length < 0)
            {
                return CoapParseError.TruncatedOption;
            }

            number += delta;
            if (number > 0xFFFF)
            {
                return CoapParseError.OptionNumberTooLarge;
            }

            if (length > end - p)
            {
                return CoapParseError.TruncatedOption;
            }

            if (_count == _number.Length)
            {
                return CoapParseError.TooManyOptions;
            }

            _number[_count] = number;
            _buffer[_count] = datagram;
            _offset[_count] = p;
            _length[_count] = length;
            _count++;
            p += length;
        }

        return CoapParseError.None;
    }

    /// <summary>The number of bytes <see cref="Serialize"/> writes.</summary>
    /// <returns>The encoded size.</returns>
    public int GetSerializedLength()
    {
        int n = 4 + _tokenLength;
        int previous = 0;
        for (int i = 0; i < _count; i++)
        {
            n += 1 + ExtendedSize(_number[i] - previous) + ExtendedSize(_length[i]) + _length[i];
            previous = _number[i];
        }

        if (_payloadLength > 0)
        {
            n += 1 + _payloadLength;
        }

        return n;
    }

    /// <summary>Writes the message into <paramref name="destination"/> (RFC 7252 §3).</summary>
    /// <param name="destination">The buffer.</param>
    /// <param name="offset">Where to start.</param>
    /// <param name="capacity">How many bytes may be written.</param>
    /// <returns>The number of bytes written, or -1 if the message does not fit (nothing useful is written then).</returns>
    public int Serialize(byte[] destination, int offset, int capacity)
    {
        if (GetSerializedLength() > capacity)
        {
            return -1;
        }

        int p = offset;
        destination[p++] = (byte)(0x40 | (((int)Type & 3) << 4) | _tokenLength);
        destination[p++] = Code;
        destination[p++] = (byte)(_messageId >> 8);
        destination[p++] = (byte)_messageId;
        for (int i = 0; i < _tokenLength; i++)
        {
            destination[p++] = _token[i];
        }

        int previous = 0;
        for (int i = 0; i < _count; i++)
        {
            int delta = _number[i] - previous;
            int length = _length[i];
            previous = _number[i];
            int head = p++;
            destination[head] = (byte)((Nibble(delta) << 4) | Nibble(length));
            p = WriteExtended(destination, p, delta);
            p = WriteExtended(destination, p, length);
            if (length > 0)
            {
                Array.Copy(_buffer[i], _offset[i], destination, p, length);
                p += length;
            }
        }

        if (_payloadLength > 0)
        {
            destination[p++] = 0xFF;
            Array.Copy(_payload, _payloadOffset, destination, p, _payloadLength);
            p += _payloadLength;
        }

        return p - offset;
    }

    private int Reserve(int n)
    {
        if (n > _store.Length - _storeUsed)
        {
            throw new InvalidOperationException("CoAP message: the " + _store.Length.ToString() + "-byte option value store is full.");
        }

        int at = _storeUsed;
        _storeUsed += n;
        return at;
    }

    // RFC 7252 §3.1: nibble 13 adds one byte (value - 13), 14 adds two bytes (value - 269).
    private static int ReadExtended(byte[] buffer, ref int p, int end, int nibble)
    {
        if (nibble == 13)
        {
            if (p >= end)
            {
                return -1;
            }

            return buffer[p++] + 13;
        }

        if (nibble == 14)
        {
            if (end - p < 2)
            {
                return -1;
            }

            int v = (buffer[p] << 8) | buffer[p + 1];
            p += 2;
            return v + 269;
        }

        return nibble;
    }

    private static int Nibble(int value) => value < 13 ? value : (value < 269 ? 13 : 14);

    private static int ExtendedSize(int value) => value < 13 ? 0 : (value < 269 ? 1 : 2);

    private static int WriteExtended(byte[] destination, int p, int value)
    {
        if (value >= 269)
        {
            int v = value - 269;
            destination[p++] = (byte)(v >> 8);
            destination[p++] = (byte)v;
        }
        else if (value >= 13)
        {
            destination[p++] = (byte)(value - 13);
        }

        return p;
    }
}
