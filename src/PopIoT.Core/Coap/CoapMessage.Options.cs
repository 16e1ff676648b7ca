using System;
using PopIoT.Core.Cbor;

namespace PopIoT.Core.Coap;

/// <summary>
/// The option slots (RFC 7252 §3.1, §5.4, §5.10): reading them by number, adding values by reference or into the value
/// store, removing them.
/// </summary>
public sealed partial class CoapMessage
{
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
}
