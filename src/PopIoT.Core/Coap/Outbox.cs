using System;

namespace PopIoT.Core.Coap;

/// <summary>
/// A fixed ring of datagrams waiting for the host to send them. Sans-IO (DESIGN.md §3): the message layer never sends,
/// it queues here, and the host takes. When full, the newest datagram is dropped and counted, as a lossy link would;
/// CON retransmission and the duplicate cache recover from that, so the host should drain after every call.
/// </summary>
internal sealed class Outbox
{
    private readonly byte[][] _data;
    private readonly int[] _length;
    private readonly int[] _peer;
    private int _head;
    private int _count;

    internal Outbox(int capacity, int maxMessageSize)
    {
        _data = new byte[capacity][];
        for (int i = 0; i < capacity; i++)
        {
            _data[i] = new byte[maxMessageSize];
        }

        _length = new int[capacity];
        _peer = new int[capacity];
    }

    internal int Count => _count;

    internal int Dropped { get; private set; }

    internal void Enqueue(int peer, byte[] source, int offset, int length)
    {
        if (_count == _data.Length)
        {
            Dropped++;
            return;
        }

        int i = (_head + _count) % _data.Length;
        Array.Copy(source, offset, _data[i], 0, length);
        _length[i] = length;
        _peer[i] = peer;
        _count++;
    }

    internal bool TryTake(byte[] destination, int offset, out int length, out int peer)
    {
        if (_count == 0)
        {
            length = 0;
            peer = -1;
            return false;
        }

        length = _length[_head];
        peer = _peer[_head];
        if (destination == null || offset < 0 || length > destination.Length - offset)
        {
            throw new ArgumentException("The destination buffer is too small for the next datagram.", nameof(destination));
        }

        Array.Copy(_data[_head], 0, destination, offset, length);
        _head = (_head + 1) % _data.Length;
        _count--;
        return true;
    }
}
