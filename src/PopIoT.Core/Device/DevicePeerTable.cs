using System;

using PopIoT.Core.Coap;

namespace PopIoT.Core.Device;

/// <summary>
/// The runtime's bounded table of client addresses (RFC 7252 §4: an endpoint is its address and port), mapping each to
/// the peer number the message layer, the ACE engine and the observe table key their state by. Eviction rule
/// (docs/firmware.md, "Peers"): a new address takes a free entry, else the least recently used entry whose peer holds
/// no open exchange in the message layer and no observation; when every peer is busy the datagram is dropped and
/// counted. A peer number is never given to a second address, so whatever the layers still hold for an evicted peer
/// (duplicate-cache entries, an upload in progress, admission counters) can never answer or reach someone else, and
/// ages out. Allocated at construction; looking up and admitting allocate nothing.
/// </summary>
public sealed class DevicePeerTable
{
    private readonly DatagramAddress[] _address;
    private readonly int[] _peer;
    private readonly long[] _lastUse;
    private readonly bool[] _used;
    private int _nextPeer;

    /// <summary>Creates the table.</summary>
    /// <param name="capacity">The most addresses held (1..255).</param>
    public DevicePeerTable(int capacity)
    {
        if (capacity < 1)
        {
            throw new ArgumentException("capacity must be at least 1.");
        }

        _address = new DatagramAddress[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _address[i] = new DatagramAddress();
        }

        _peer = new int[capacity];
        _lastUse = new long[capacity];
        _used = new bool[capacity];
    }

    /// <summary>The table size.</summary>
    public int Capacity
    {
        get { return _used.Length; }
    }

    /// <summary>How many addresses are held.</summary>
    public int Count
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _used.Length; i++)
            {
                if (_used[i])
                {
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>Addresses evicted so far to make room.</summary>
    public int Evictions { get; private set; }

    /// <summary>Datagrams from a new address dropped because every held peer was busy.</summary>
    public int FullDrops { get; private set; }

    /// <summary>
    /// The peer number of <paramref name="from"/>, numbering it if new (evicting an idle peer when full); -1 when every
    /// held peer is busy (the datagram is to be dropped).
    /// </summary>
    /// <param name="from">The sender (copied when new).</param>
    /// <param name="now">The monotonic time, for the recency order.</param>
    /// <param name="layer">The message layer: a peer with an open exchange is busy.</param>
    /// <param name="observers">The observe table: a peer with an observation is busy.</param>
    /// <returns>The peer number (0 or more), or -1.</returns>
    public int Admit(DatagramAddress from, long now, MessageLayer layer, ObserveRegistry observers)
    {
        int free = -1;
        for (int i = 0; i < _used.Length; i++)
        {
            if (!_used[i])
            {
                if (free < 0)
                {
                    free = i;
                }
            }
            else if (_address[i].SameAs(from))
            {
                _lastUse[i] = now;
                return _peer[i];
            }
        }

        if (free < 0)
        {
            free = IdleLeastRecentlyUsed(layer, observers);
            if (free < 0)
            {
                FullDrops++;
                return -1;
            }

            Evictions++;
        }

        _used[free] = true;
        _address[free].CopyFrom(from);
        _lastUse[free] = now;
        _peer[free] = _nextPeer;
        // Numbers are not reused (a wrap needs 2^31 new addresses, far beyond any state's lifetime).
        _nextPeer = _nextPeer == int.MaxValue ? 0 : _nextPeer + 1;
        return _peer[free];
    }

    /// <summary>The address of a peer number, or null once it was evicted.</summary>
    /// <param name="peer">The peer number.</param>
    /// <returns>The address (owned by the table; valid until the entry is reused).</returns>
    public DatagramAddress AddressOf(int peer)
    {
        for (int i = 0; i < _used.Length; i++)
        {
            if (_used[i] && _peer[i] == peer)
            {
                return _address[i];
            }
        }

        return null;
    }

    private int IdleLeastRecentlyUsed(MessageLayer layer, ObserveRegistry observers)
    {
        int best = -1;
        for (int i = 0; i < _used.Length; i++)
        {
            if (layer.HasOpenExchange(_peer[i]) || Observing(observers, _peer[i]))
            {
                continue;
            }

            if (best < 0 || _lastUse[i] < _lastUse[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static bool Observing(ObserveRegistry observers, int peer)
    {
        for (int i = 0; i < observers.Capacity; i++)
        {
            if (observers.IsActive(i) && observers.GetPeer(i) == peer)
            {
                return true;
            }
        }

        return false;
    }
}
