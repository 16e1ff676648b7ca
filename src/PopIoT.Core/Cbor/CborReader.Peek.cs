using System.Runtime.CompilerServices;

namespace PopIoT.Core.Cbor;

/// <summary>What comes next: the state of the reader and the checks of RFC 8949 §3 on an initial byte.</summary>
public sealed partial class CborReader
{
    // The state each initial byte announces when no container rule applies, or 0 when the byte needs
    // the checked path: reserved additional information 28..30, indefinite length where RFC 8949 §3.2.4
    // forbids it, the break, and indefinite-length strings and containers (they are rare, keep them exact).
    private static readonly byte[] InitialByteStates = BuildInitialByteStates();

    /// <summary>Says what the next data item, or container end, is without consuming it.</summary>
    /// <returns>The state; <see cref="CborReaderState.Finished"/> once an error is kept.</returns>
    [MethodImpl(Inline)]
    public CborReaderState PeekState()
    {
        // Inside a definite container with items left (or at the top level), not inside an indefinite-length
        // string, the initial byte alone names the state (RFC 8949 §3). Everything else (ends, breaks, chunks,
        // reserved values, a kept error: the window is then closed) takes the checked path.
        if (_pos < _end && _kind <= KindMap && _count != 0)
        {
            byte fast = InitialByteStates[_buffer[_pos]];
            if (fast != 0)
            {
                return (CborReaderState)fast;
            }
        }

        return PeekStateChecked();
    }

    private static byte[] BuildInitialByteStates()
    {
        byte[] t = new byte[256];
        for (int ib = 0; ib < 256; ib++)
        {
            int ai = ib & 0x1F;
            if (ai < 28)
            {
                t[ib] = (byte)StateOf(ib >> 5, ai);
            }
        }

        return t;
    }

    // The state a definite head announces (RFC 8949 §3, §3.3 for major type 7).
    private static CborReaderState StateOf(int major, int ai)
    {
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
                return ai == 20 || ai == 21 ? CborReaderState.Boolean
                    : ai == 22 ? CborReaderState.Null
                    : ai == 23 ? CborReaderState.Undefined
                    : ai == 25 ? CborReaderState.HalfPrecisionFloat
                    : ai == 26 ? CborReaderState.SinglePrecisionFloat
                    : ai == 27 ? CborReaderState.DoublePrecisionFloat
                    : CborReaderState.SimpleValue;
        }
    }

    // The direct paths of the common reads: the initial byte at the current position when an item may be taken there
    // without the checked path (top level, or a definite array or map with items left), else -1. Every byte the
    // checked path would refuse (reserved values, indefinite lengths, breaks) falls outside the ranges the callers
    // take, and a kept error has closed the window.
    [MethodImpl(Inline)]
    private int DirectHead()
    {
        int p = _pos;
        return p < _end && _kind <= KindMap && _count != 0 ? _buffer[p] : -1;
    }

    // Consumes a head of `size` bytes taken by a direct path and counts the item (ItemDone).
    [MethodImpl(Inline)]
    private void TakeDirect(int size)
    {
        _pos += size;
        ItemDone();
    }

    private CborReaderState PeekStateChecked()
    {
        if (_error != CborError.None)
        {
            return CborReaderState.Finished;
        }

        byte kind = _kind;
        if (_depth > 0)
        {
            if ((kind & KindIndefinite) == 0 && _count == 0)
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

            Fail(CborError.UnexpectedEndOfData, _pos, "unexpected end of data inside a data item", 0, 0);
            return CborReaderState.Finished;
        }

        int ib = _buffer[_pos];
        int major = ib >> 5;
        int ai = ib & 0x1F;
        if (ib == 0xFF)
        {
            return PeekBreak(kind);
        }

        if (ai >= 28 && ai <= 30)
        {
            Fail(CborError.ReservedAdditionalInformation, _pos, "reserved additional information # in major type #", (ulong)ai, (ulong)major);
            return CborReaderState.Finished;
        }

        if (_depth > 0 && ((kind & 0x7F) == KindByteChunks || (kind & 0x7F) == KindTextChunks))
        {
            // RFC 8949 §3.2.3: chunks are definite-length strings of the same major type.
            bool bytes = (kind & 0x7F) == KindByteChunks;
            if (major != (bytes ? 2 : 3) || ai == 31)
            {
                Fail(
                    CborError.InvalidIndefiniteLengthStringChunk,
                    _pos,
                    bytes ? "chunk of an indefinite-length byte string is not a definite-length byte string" : "chunk of an indefinite-length text string is not a definite-length text string",
                    0,
                    0);
                return CborReaderState.Finished;
            }
        }

        if (ai == 31 && (major == 0 || major == 1 || major == 6 || major == 7))
        {
            // RFC 8949 §3.2.4; major type 7 with 31 is the break, handled above.
            Fail(CborError.IndefiniteLengthNotAllowed, _pos, "indefinite length is not allowed for major type #", (ulong)major, 0);
            return CborReaderState.Finished;
        }

        return StateOf(major, ai);
    }

    // RFC 8949 §3.2.1: "break" only ends an indefinite-length item, and never in place of a tag's content.
    private CborReaderState PeekBreak(byte kind)
    {
        if (_depth > 0 && (kind & KindIndefinite) != 0 && !_tagPending)
        {
            switch (kind & 0x7F)
            {
                case KindArray:
                    return CborReaderState.EndArray;
                case KindMap:
                    if ((_count & 1) != 0)
                    {
                        Fail(CborError.IncompleteMap, _pos, "indefinite-length map ends after a key without its value", 0, 0);
                        return CborReaderState.Finished;
                    }

                    return CborReaderState.EndMap;
                case KindByteChunks:
                    return CborReaderState.EndIndefiniteLengthByteString;
                default:
                    return CborReaderState.EndIndefiniteLengthTextString;
            }
        }

        Fail(CborError.UnexpectedBreak, _pos, "\"break\" outside an indefinite-length item", 0, 0);
        return CborReaderState.Finished;
    }
}
