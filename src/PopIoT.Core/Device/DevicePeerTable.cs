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
/// ages out. Allocated at construction; looking up and admitting allocate nothing. The addresses are packed into one
/// byte array with their lengths and ports beside it (docs/firmware.md, "Memory model": an object per entry costs a
/// header and a block per field), and <see cref="TryGetAddress"/> copies one into the caller's object.
/// </summary>
public sealed class DevicePeerTable
{
    private readonly byte[] _address;
    private readonly byte[] _addressLength;
    private readonly int[] _port;
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

        _address = new byte[capacity * DatagramAddress.MaxAddressLength];
        _addressLength = new byte[capacity];
        _port = new int[capacity];

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
        return Admit(from, now, layer, observers, null);
    }

    /// <summary>As <see cref="Admit(DatagramAddress, long, MessageLayer, ObserveRegistry)"/>; a peer with a DTLS session or handshake in <paramref name="dtls"/> (null: none) is busy too.</summary>
    /// <param name="from">The sender (copied when new).</param>
    /// <param name="now">The monotonic time.</param>
    /// <param name="layer">The message layer.</param>
    /// <param name="observers">The observe table.</param>
    /// <param name="dtls">The DTLS engine, or null.</param>
    /// <returns>The peer number, or -1.</returns>
    public int Admit(DatagramAddress from, long now, MessageLayer layer, ObserveRegistry observers, PopIoT.Core.Dtls.DtlsEngine dtls)
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
            else if (Holds(i, from))
            {
                _lastUse[i] = now;
                return _peer[i];
            }
        }

        if (free < 0)
        {
            free = IdleLeastRecentlyUsed(layer, observers, dtls);
            if (free < 0)
            {
                FullDrops++;
                return -1;
            }

            Evictions++;
        }

        _used[free] = true;
        Array.Copy(from.Address, 0, _address, free * DatagramAddress.MaxAddressLength, DatagramAddress.MaxAddressLength);
        _addressLength[free] = (byte)from.AddressLength;
        _port[free] = from.Port;
        _lastUse[free] = now;
        _peer[free] = _nextPeer;
        // Numbers are not reused (a wrap needs 2^31 new addresses, far beyond any state's lifetime).
        _nextPeer = _nextPeer == int.MaxValue ? 0 : _nextPeer + 1;
        return _peer[free];
    }

    // A peer that completed a DTLS handshake keeps a mark above its 16-bit port (no field of its own: docs/firmware.md,
    // "Memory model"), so that nothing for it ever goes out, or comes in, in the clear once its session is gone.
    private const int PortMask = 0xFFFF;
    private const int DtlsMark = 0x10000;

    /// <summary>Marks a peer as one that spoke DTLS (RFC 9202: its messages belong to a session, never to plain CoAP).</summary>
    /// <param name="peer">The peer number.</param>
    public void MarkDtls(int peer)
    {
        for (int i = 0; i < _used.Length; i++)
        {
            if (_used[i] && _peer[i] == peer)
            {
                _port[i] |= DtlsMark;
            }
        }
    }

    /// <summary>Whether the peer completed a DTLS handshake (<see cref="MarkDtls"/>).</summary>
    /// <param name="peer">The peer number.</param>
    /// <returns>True once marked, while the peer is held.</returns>
    public bool IsDtls(int peer)
    {
        for (int i = 0; i < _used.Length; i++)
        {
            if (_used[i] && _peer[i] == peer)
            {
                return (_port[i] & DtlsMark) != 0;
            }
        }

        return false;
    }

    /// <summary>Copies the address of a peer number into the caller's <paramref name="into"/>; false once the peer was evicted.</summary>
    /// <param name="peer">The peer number.</param>
    /// <param name="into">Where the address goes (the caller's own, so no view is shared between callers or threads).</param>
    /// <returns>Whether the peer is held.</returns>
    public bool TryGetAddress(int peer, DatagramAddress into)
    {
        if (into == null)
        {
            throw new ArgumentNullException(nameof(into));
        }

        for (int i = 0; i < _used.Length; i++)
        {
            if (_used[i] && _peer[i] == peer)
            {
                into.Set(_address, i * DatagramAddress.MaxAddressLength, _addressLength[i], _port[i] & PortMask);
                return true;
            }
        }

        return false;
    }

    // Whether entry i holds the address and port of from.
    private bool Holds(int i, DatagramAddress from)
    {
        if (from.AddressLength != _addressLength[i] || from.Port != (_port[i] & PortMask))
        {
            return false;
        }

        int at = i * DatagramAddress.MaxAddressLength;
        byte[] bytes = from.Address;
        for (int k = 0; k < from.AddressLength; k++)
        {
            if (bytes[k] != _address[at + k])
            {
                return false;
            }
        }

        return true;
    }

    private int IdleLeastRecentlyUsed(MessageLayer layer, ObserveRegistry observers, PopIoT.Core.Dtls.DtlsEngine dtls)
    {
        int best = -1;
        for (int i = 0; i < _used.Length; i++)
        {
            // A peer with a DTLS session keeps its number: the session is keyed by it.
            if (layer.HasOpenExchange(_peer[i]) || Observing(observers, _peer[i]) || (dtls != null && dtls.HasSession(_peer[i])))
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
