using System.Runtime.CompilerServices;

namespace PopIoT.Core.Cbor;

/// <summary>Major types 4 and 5 (RFC 8949 §3.1, §3.2.2), the nesting stack, and skipping whole items.</summary>
public sealed partial class CborReader
{
    /// <summary>Enters an array (major type 4).</summary>
    /// <returns>The number of items, or -1 for an indefinite-length array; 0 after an error.</returns>
    [MethodImpl(Inline)]
    public int ReadStartArray()
    {
        int ib = DirectHead();
        return ib >= 0x80 && ib < 0x98 && StartShort(KindArray, ib & 0x1F) ? ib & 0x1F : StartChecked(KindArray);
    }

    /// <summary>Leaves an array after all its items.</summary>
    [MethodImpl(Inline)]
    public void ReadEndArray()
    {
        if (!EndShort(KindArray))
        {
            EndChecked(KindArray);
        }
    }

    /// <summary>Enters a map (major type 5).</summary>
    /// <returns>The number of key/value pairs, or -1 for an indefinite-length map; 0 after an error.</returns>
    [MethodImpl(Inline)]
    public int ReadStartMap()
    {
        int ib = DirectHead();
        return ib >= 0xA0 && ib < 0xB8 && StartShort(KindMap, ib & 0x1F) ? ib & 0x1F : StartChecked(KindMap);
    }

    /// <summary>Leaves a map after all its pairs.</summary>
    [MethodImpl(Inline)]
    public void ReadEndMap()
    {
        if (!EndShort(KindMap))
        {
            EndChecked(KindMap);
        }
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

        // The checked walk takes over where the definite one stopped: both keep the same state.
        do
        {
            int at = _pos;
            int off;
            int len;
            switch (PeekState())
            {
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
                    Fail(CborError.UnexpectedEndOfData, at, "no data item to skip", 0, 0);
                    return;
                case CborReaderState.EndArray:
                case CborReaderState.EndMap:
                case CborReaderState.EndIndefiniteLengthByteString:
                case CborReaderState.EndIndefiniteLengthTextString:
                    if (_depth == baseDepth)
                    {
                        Fail(CborError.UnexpectedDataType, at, "no data item to skip: the enclosing item ends here", 0, 0);
                        return;
                    }

                    // PeekState has checked that a "break" is there if the container is indefinite.
                    EndContainer();
                    break;
                default:
                    // Integers, simple values and floats: the head is the whole item.
                    ReadArgumentItem();
                    break;
            }
        }
        while (_error == CborError.None && (_depth > baseDepth || _tagPending));
    }

    /// <summary>
    /// Skips the rest of every array, map and indefinite-length string opened deeper than <paramref name="depth"/>
    /// (a <see cref="CurrentDepth"/> taken before), checking it as <see cref="SkipValue"/> does: a parser that
    /// stops early inside a structure goes on after it.
    /// </summary>
    /// <param name="depth">The depth to return to.</param>
    public void SkipTo(int depth)
    {
        while (_error == CborError.None && _depth > depth)
        {
            if (HasNext())
            {
                SkipValue();
            }
            else if (_error == CborError.None)
            {
                // HasNext has checked the end (and its "break", for an indefinite length).
                EndContainer();
            }
        }
    }

    /// <summary>
    /// Skips the next data item like <see cref="SkipValue"/> and returns where its encoding lies in the buffer,
    /// e.g. to hash or re-emit it (<see cref="CborWriter.WriteEncodedValue"/>) without decoding it.
    /// </summary>
    /// <param name="offset">Index in the buffer of the item's first byte (its first tag, if tagged).</param>
    /// <param name="length">Length of the whole encoded item (0 after an error).</param>
    public void ReadEncodedValue(out int offset, out int length)
    {
        int start = _pos;
        SkipValue();
        offset = start;
        length = _error == CborError.None ? _pos - start : 0;
    }

    // The common case of SkipValue: definite-length items only. It walks heads directly with the same
    // bookkeeping as the Read* methods (counts, depth limit, tags, UTF-8) and stops, returning false,
    // at anything that needs the checked path: indefinite lengths, breaks, reserved values, the end of
    // the data, an item that is not there, or an error (which the checked path then finds kept).
    private bool SkipDefinite(int baseDepth)
    {
        bool started = false;
        while (_error == CborError.None)
        {
            int d = _depth;
            if (started && d == baseDepth && !_tagPending)
            {
                return true;
            }

            if (_kind > KindMap)
            {
                return false;
            }

            if (_count == 0)
            {
                if (d == baseDepth || _tagPending)
                {
                    return false;
                }

                // RFC 8949 §3.2.1: a definite container ends when its count is used up.
                Pop();
                continue;
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
            else if (major == 3)
            {
                int o;
                int l;
                ReadTextString(out o, out l);
            }
            else if (major == 2)
            {
                int o;
                int l;
                ReadStringSlice(out o, out l);
            }
            else
            {
                ReadArgumentItem();
            }
        }

        return false;
    }

    // The direct path of a definite container whose count (0..23) is in the initial byte DirectHead returned: entered
    // when the count fits the bytes left and the nesting limit, else false with nothing done (the checked path reports).
    [MethodImpl(Inline)]
    private bool StartShort(byte kind, int n)
    {
        int items = kind == KindMap ? n * 2 : n;
        if (items > _end - _pos - 1 || _depth >= _kinds.Length)
        {
            return false;
        }

        ItemDone();
        _kinds[_depth] = _kind;
        _counts[_depth] = _count;
        _depth++;
        _kind = kind;
        _count = items;
        _pos++;
        return true;
    }

    private int StartChecked(byte kind)
    {
        int at = _pos;
        bool map = kind == KindMap;
        return Expect(PeekState(), map ? CborReaderState.StartMap : CborReaderState.StartArray, map ? "a map" : "an array", at) ? StartContainer(kind, at) : 0;
    }

    // RFC 8949 §3.2.1: a definite container ends when its count is used up; there is nothing to read.
    [MethodImpl(Inline)]
    private bool EndShort(byte kind)
    {
        if (_kind == kind && _count == 0 && !_tagPending)
        {
            Pop();
            return true;
        }

        return false;
    }

    private void EndChecked(byte kind)
    {
        int at = _pos;
        bool map = kind == KindMap;
        if (Expect(PeekState(), map ? CborReaderState.EndMap : CborReaderState.EndArray, map ? "the end of a map" : "the end of an array", at))
        {
            EndContainer();
        }
    }

    // Enters the container whose head is at _pos; its item or pair count, -1 for indefinite, 0 after an error.
    private int StartContainer(byte kind, int at)
    {
        int ai = _buffer[_pos] & 0x1F;
        if (ai == 31)
        {
            if (Push((byte)(kind | KindIndefinite), 0, at))
            {
                _pos++;
                return -1;
            }

            return 0;
        }

        ulong n = PeekArgument();
        if (_error != CborError.None)
        {
            return 0;
        }

        int headEnd = _pos + HeadSize(ai);
        // Never trust a count: each item takes at least one byte, so a count above the bytes left is
        // truncated input (RFC 8949 Appendix F), and the check keeps the arithmetic below in range.
        ulong left = (ulong)(_end - headEnd);
        ulong items = kind == KindMap ? (n > left ? n : n * 2) : n;
        if (items > left)
        {
            Fail(CborError.UnexpectedEndOfData, at, kind == KindMap ? "map declares # pairs but only # bytes follow" : "array declares # items but only # bytes follow", n, left);
            return 0;
        }

        if (!Push(kind, (long)items, at))
        {
            return 0;
        }

        _pos = headEnd;
        return (int)n;
    }

    private void EndContainer()
    {
        bool indefinite = (_kind & KindIndefinite) != 0;
        Pop();
        if (indefinite)
        {
            _pos++;
        }
    }

    // Closes the innermost container: its parent becomes the current one again.
    private void Pop()
    {
        _depth--;
        _kind = _kinds[_depth];
        _count = _counts[_depth];
    }

    // Opens a container level; false (after reporting) past the nesting limit.
    private bool Push(byte kind, long count, int at)
    {
        if (_depth >= _kinds.Length)
        {
            Fail(CborError.DepthLimitExceeded, at, "nesting deeper than # levels", (ulong)_kinds.Length, 0);
            return false;
        }

        // The container is one item of its parent; count it now, as it is entered.
        ItemDone();
        _kinds[_depth] = _kind;
        _counts[_depth] = _count;
        _depth++;
        _kind = kind;
        _count = count;
        return true;
    }

    [MethodImpl(Inline)]
    private void ItemDone()
    {
        // The top level counts down from long.MaxValue: it never reaches 0.
        _tagPending = false;
        if (_kind >= KindIndefinite)
        {
            _count++;
        }
        else
        {
            _count--;
        }
    }
}
