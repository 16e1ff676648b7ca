using System.Net;
using PopIoT.Core.Dtls;

namespace PopIoT.Coap;

/// <summary>
/// The peer indices a <see cref="DtlsCoapTransport"/> gives its <see cref="DtlsEngine"/>: a bounded table from address
/// to index (docs/dtls.md, "Hosts"). An entry is claimed while the engine may hold a session for it (a client handshake
/// started, a ServerHello sent, a session established) and is then never handed to another address; unclaimed
/// entries are reused least recently used first, so datagrams from any number of unverified addresses (spoofed
/// ClientHellos) cost no state beyond the table (RFC 6347 §4.2.1). Not thread-safe: the transport's lock guards it.
/// </summary>
internal sealed class DtlsPeerTable
{
    private readonly IPEndPoint?[] _address;
    private readonly byte[]?[] _addressBytes;
    private readonly long[] _lastUsed;
    private readonly bool[] _claimed;
    private readonly bool[] _connecting;
    private readonly bool[] _heard;
    private readonly Queue<byte[]>[] _queue;
    private readonly int _maxQueued;
    private readonly Dictionary<IPEndPoint, int> _index = [];

    public DtlsPeerTable(int capacity, int maxQueued)
    {
        _address = new IPEndPoint?[capacity];
        _addressBytes = new byte[]?[capacity];
        _lastUsed = new long[capacity];
        _claimed = new bool[capacity];
        _connecting = new bool[capacity];
        _heard = new bool[capacity];
        _queue = new Queue<byte[]>[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _queue[i] = new Queue<byte[]>();
        }

        _maxQueued = maxQueued;
    }

    public int Capacity => _address.Length;

    public int Find(IPEndPoint address) => _index.TryGetValue(address, out int p) ? p : -1;

    public IPEndPoint? Address(int peer) => peer >= 0 && peer < _address.Length ? _address[peer] : null;

    /// <summary>The address bytes the cookie covers (RFC 6347 §4.2.1): the IP address and the port.</summary>
    public byte[] AddressBytes(int peer) => _addressBytes[peer]!;

    /// <summary>The index of <paramref name="address"/>, numbering it if new.</summary>
    public int Acquire(IPEndPoint address, long now, DtlsEngine engine)
    {
        if (_index.TryGetValue(address, out int p))
        {
            _lastUsed[p] = now;
            return p;
        }

        p = Victim(now, engine);
        if (_address[p] is IPEndPoint old)
        {
            _index.Remove(old);
            if (_claimed[p])
            {
                // Only reached for a claim the engine no longer backs (see Victim); Close makes sure, and what it
                // queues for the old address is discarded with it.
                engine.Close(p, now);
                while (engine.TryTakeOutgoing(new byte[engine.Settings.DatagramSize], 0, out _, out _))
                {
                }
            }
        }

        _address[p] = address;
        byte[] ip = address.Address.GetAddressBytes();
        var bytes = new byte[ip.Length + 2];
        ip.CopyTo(bytes, 0);
        bytes[ip.Length] = (byte)(address.Port >> 8);
        bytes[ip.Length + 1] = (byte)address.Port;
        _addressBytes[p] = bytes;
        _lastUsed[p] = now;
        _claimed[p] = false;
        _connecting[p] = false;
        _queue[p].Clear();
        _index[address] = p;
        return p;
    }

    public void Claim(int peer) => _claimed[peer] = true;

    /// <summary>The engine ended the session: the entry may go to another address.</summary>
    public void Release(int peer)
    {
        _claimed[peer] = false;
        _connecting[peer] = false;
        _queue[peer].Clear();
    }

    public bool IsConnecting(int peer) => _connecting[peer];

    public void SetConnecting(int peer, bool value)
    {
        _connecting[peer] = value;
        _heard[peer] = false;
    }

    /// <summary>Whether anything arrived from the peer since its client handshake began.</summary>
    public bool Heard(int peer) => _heard[peer];

    public void MarkHeard(int peer) => _heard[peer] = true;

    /// <summary>Holds a copy of a datagram until the handshake completes; beyond the bound it is dropped (CoAP retransmits).</summary>
    public void Enqueue(int peer, ReadOnlySpan<byte> datagram)
    {
        if (_queue[peer].Count < _maxQueued)
        {
            _queue[peer].Enqueue(datagram.ToArray());
        }
    }

    public bool TryDequeue(int peer, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? datagram) => _queue[peer].TryDequeue(out datagram);

    public void ClearQueue(int peer) => _queue[peer].Clear();

    private int Victim(long now, DtlsEngine engine)
    {
        int best = -1;
        for (int i = 0; i < _address.Length; i++)
        {
            if (_address[i] == null)
            {
                return i;
            }

            if (!_claimed[i] && (best < 0 || _lastUsed[i] < _lastUsed[best]))
            {
                best = i;
            }
        }

        if (best >= 0)
        {
            return best;
        }

        // Every entry claimed: the table has one entry more than the engine has sessions, so at least one claim is
        // stale (its session ended inside the same call that began it). Past the handshake timeout a claim that is not
        // established has no handshake left in the engine either; the least recently used such entry goes.
        engine.Poll(now);
        for (int i = 0; i < _address.Length; i++)
        {
            if (!engine.IsEstablished(i) && (best < 0 || _lastUsed[i] < _lastUsed[best]))
            {
                best = i;
            }
        }

        return best;
    }
}
