using System;

namespace PopIoT.Core.Coap;

/// <summary>
/// A copy of a <see cref="CoapMessage"/> that owns its bytes: code, type, token, option values and payload are copied
/// into buffers allocated at construction, so the copy survives the buffers the original pointed into (a datagram,
/// an OSCORE processor's work buffers). Used to keep a protected message for Outer block-wise (RFC 8613 §4.1.3.4.2),
/// where every block is cut from the one protected message. Taking a copy allocates nothing.
/// </summary>
public sealed class CoapMessageSnapshot
{
    private readonly CoapMessage _message;
    private readonly byte[] _store;
    private readonly byte[] _payload;
    private bool _full;

    /// <summary>Creates an empty snapshot with fixed room.</summary>
    /// <param name="optionCapacity">The most options it keeps.</param>
    /// <param name="optionBytes">The most bytes of option values in all.</param>
    /// <param name="maxPayload">The longest payload.</param>
    public CoapMessageSnapshot(int optionCapacity, int optionBytes, int maxPayload)
    {
        if (optionCapacity < 1 || optionBytes < 0 || maxPayload < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(optionCapacity));
        }

        _message = new CoapMessage(optionCapacity, 0);
        _store = new byte[optionBytes];
        _payload = new byte[maxPayload];
    }

    /// <summary>Whether a message is held (the last <see cref="Take"/> succeeded and <see cref="Clear"/> was not called since).</summary>
    public bool IsFull => _full;

    /// <summary>The copy; read it, or copy it with <see cref="CoapMessage.CopyFrom"/>, but do not change it.</summary>
    public CoapMessage Message => _message;

    /// <summary>Copies <paramref name="source"/>. False (and empty) when it has too many options or bytes to fit.</summary>
    /// <param name="source">The message to copy.</param>
    /// <returns>True when copied.</returns>
    public bool Take(CoapMessage source)
    {
        _message.Reset();
        _full = false;
        if (source.OptionCount > _message.OptionCapacity || source.PayloadLength > _payload.Length)
        {
            return false;
        }

        int used = 0;
        for (int i = 0; i < source.OptionCount; i++)
        {
            int n = source.GetOptionLength(i);
            if (n > _store.Length - used)
            {
                _message.Reset();
                return false;
            }

            if (n > 0)
            {
                Array.Copy(source.GetOptionBuffer(i), source.GetOptionOffset(i), _store, used, n);
            }

            _message.AddOption(source.GetOptionNumber(i), _store, used, n);
            used += n;
        }

        _message.Type = source.Type;
        _message.Code = source.Code;
        _message.MessageId = source.MessageId;
        _message.CopyTokenFrom(source);
        if (source.PayloadLength > 0)
        {
            Array.Copy(source.PayloadBuffer, source.PayloadOffset, _payload, 0, source.PayloadLength);
        }

        _message.SetPayload(_payload, 0, source.PayloadLength);
        _full = true;
        return true;
    }

    /// <summary>Forgets the message.</summary>
    public void Clear()
    {
        _message.Reset();
        _full = false;
    }
}
