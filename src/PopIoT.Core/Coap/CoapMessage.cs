using System;


namespace PopIoT.Core.Coap;

/// <summary>
/// A CoAP message (RFC 7252 §3) that is reused across datagrams. Options live in a fixed number of slots, kept
/// sorted by number with repeated options in insertion order (RFC 7252 §3.1, §5.4.5). A slot references its value
/// in some buffer by offset and length: <see cref="Parse"/> points the slots and the payload into the datagram
/// without copying, and the Add methods point them at the caller's buffer or copy small values into a value store
/// allocated at construction. So a parsed message is valid only while its datagram is unchanged.
/// </summary>
public sealed partial class CoapMessage
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

    /// <summary>
    /// The security binding the layer that verified this request attached (null: unprotected). Its response is protected
    /// from this value (docs/architecture.md, "A request carries its security binding").
    /// </summary>
    public RequestSecurity Security { get; set; }

    /// <summary>Clears the message: type CON, code 0.00, Message ID 0, no token, options, payload or security binding.</summary>
    public void Reset()
    {
        Security = null;
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
        Security = other.Security;
    }
}
