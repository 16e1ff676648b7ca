using System;

namespace PopIoT.Core.Dtls;

/// <summary>
/// Puts received handshake fragments back into whole messages in message_seq order (RFC 6347 §4.2.2, §4.2.3), in
/// fixed buffers: one message being reassembled (a bit per byte records what arrived, so overlapping and repeated
/// fragments are harmless) and a bounded queue of whole messages that arrived early. Fragments that do not fit,
/// disagree with what came before or are too far ahead are dropped; the peer's retransmission recovers them.
/// </summary>
internal sealed class DtlsReassembler
{
    /// <summary><see cref="Offer"/>: the fragment was taken (or was harmlessly redundant).</summary>
    internal const int Taken = 0;

    /// <summary><see cref="Offer"/>: a message already processed came again (the peer is retransmitting).</summary>
    internal const int Old = 1;

    /// <summary><see cref="Offer"/>: the fragment was dropped.</summary>
    internal const int Dropped = 2;

    // How far ahead of the expected message an early message may be.
    private const int MaxAhead = 4;

    private readonly byte[] _body;
    private readonly byte[] _have;
    private readonly byte[][] _queued;
    private readonly int[] _queuedSeq;
    private readonly int[] _queuedType;
    private readonly int[] _queuedLength;
    private int _type = -1;
    private int _length;
    private int _received;

    internal DtlsReassembler(int capacity, int queueSlots)
    {
        _body = new byte[capacity];
        _have = new byte[(capacity + 7) / 8];
        _queued = new byte[queueSlots][];
        _queuedSeq = new int[queueSlots];
        _queuedType = new int[queueSlots];
        _queuedLength = new int[queueSlots];
        for (int i = 0; i < queueSlots; i++)
        {
            _queued[i] = new byte[capacity];
            _queuedSeq[i] = -1;
        }
    }

    /// <summary>The message_seq expected next.</summary>
    internal int NextSeq { get; private set; }

    /// <summary>True when the expected message is whole: <see cref="Type"/> and <see cref="Body"/> hold it.</summary>
    internal bool IsComplete
    {
        get { return _type >= 0 && _received == _length; }
    }

    internal int Type
    {
        get { return _type; }
    }

    internal ByteRange Body
    {
        get { return new ByteRange(_body, 0, _length); }
    }

    /// <summary>Forgets everything and expects <paramref name="nextSeq"/>.</summary>
    internal void Reset(int nextSeq)
    {
        ClearCurrent();
        DropQueued();
        NextSeq = nextSeq;
    }

    /// <summary>Drops the early messages (at an epoch change, so none crosses it).</summary>
    internal void DropQueued()
    {
        for (int i = 0; i < _queued.Length; i++)
        {
            if (_queuedSeq[i] >= 0)
            {
                Array.Clear(_queued[i], 0, _queuedLength[i]);
                _queuedSeq[i] = -1;
            }
        }
    }

    /// <summary>Offers one fragment (its header already read and checked against the record).</summary>
    /// <param name="header">The handshake header: msg_type, length, message_seq, fragment_offset (fragment_length is the fragment's count).</param>
    /// <param name="fragment">The fragment bytes.</param>
    /// <returns><see cref="Taken"/>, <see cref="Old"/> or <see cref="Dropped"/>.</returns>
    internal int Offer(ByteRange header, ByteRange fragment)
    {
        byte[] h = header.Buffer;
        int at = header.Offset;
        int type = h[at];
        int length = DtlsWire.Read24(h, at + 1);
        int seq = DtlsWire.Read16(h, at + 4);
        int offset = DtlsWire.Read24(h, at + 6);
        int count = fragment.Count;
        if (seq < NextSeq)
        {
            return Old;
        }

        if (length > _body.Length || offset > length - count)
        {
            return Dropped;
        }

        if (seq > NextSeq)
        {
            return Queue(type, length, seq, offset, fragment);
        }

        if (_type < 0)
        {
            _type = type;
            _length = length;
            _received = 0;
        }
        else if (_type != type || _length != length)
        {
            return Dropped;
        }

        byte[] src = fragment.Buffer;
        for (int i = 0; i < count; i++)
        {
            int p = offset + i;
            int bit = 1 << (p & 7);
            if ((_have[p >> 3] & bit) == 0)
            {
                _have[p >> 3] = (byte)(_have[p >> 3] | bit);
                _body[p] = src[fragment.Offset + i];
                _received++;
            }
        }

        return Taken;
    }

    /// <summary>Moves past the complete message and brings in the next one if it already arrived.</summary>
    internal void Advance()
    {
        ClearCurrent();
        NextSeq++;
        for (int i = 0; i < _queued.Length; i++)
        {
            if (_queuedSeq[i] == NextSeq)
            {
                _type = _queuedType[i];
                _length = _queuedLength[i];
                _received = _length;
                Array.Copy(_queued[i], 0, _body, 0, _length);
                Array.Clear(_queued[i], 0, _length);
                _queuedSeq[i] = -1;
                return;
            }
        }
    }

    private int Queue(int type, int length, int seq, int offset, ByteRange fragment)
    {
        // Only whole early messages are kept; a fragmented one comes again with the peer's retransmission.
        if (seq > NextSeq + MaxAhead || offset != 0 || fragment.Count != length)
        {
            return Dropped;
        }

        int free = -1;
        for (int i = 0; i < _queued.Length; i++)
        {
            if (_queuedSeq[i] == seq)
            {
                return Taken;
            }

            if (_queuedSeq[i] < 0 && free < 0)
            {
                free = i;
            }
        }

        if (free < 0)
        {
            return Dropped;
        }

        fragment.CopyTo(_queued[free], 0);
        _queuedSeq[free] = seq;
        _queuedType[free] = type;
        _queuedLength[free] = length;
        return Taken;
    }

    private void ClearCurrent()
    {
        if (_type >= 0)
        {
            Array.Clear(_body, 0, _length);
            Array.Clear(_have, 0, (_length + 7) / 8);
        }

        _type = -1;
        _length = 0;
        _received = 0;
    }
}
