using System;

namespace PopIoT.Core.Coap;

/// <summary>
/// The message format (RFC 7252 §3): parsing a datagram into the header, the slots and the payload, and serializing
/// them back.
/// </summary>
public sealed partial class CoapMessage
{
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
            p = WriteOptionHeader(destination, p, delta, length);
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

    /// <summary>
    /// Writes an option's header (RFC 7252 §3.1): the delta and length nibbles, then their extended bytes (13: one
    /// byte minus 13; 14: two bytes minus 269). The one writer of option headers, also for OSCORE's inner options.
    /// </summary>
    /// <param name="destination">The buffer, with room for 5 bytes at <paramref name="p"/>.</param>
    /// <param name="p">Where the header starts.</param>
    /// <param name="delta">The option number minus the previous one (0 to 65804).</param>
    /// <param name="length">The value's length (0 to 65804).</param>
    /// <returns>Where the value starts.</returns>
    internal static int WriteOptionHeader(byte[] destination, int p, int delta, int length)
    {
        destination[p] = (byte)((Nibble(delta) << 4) | Nibble(length));
        p = WriteExtended(destination, p + 1, delta);
        return WriteExtended(destination, p, length);
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
