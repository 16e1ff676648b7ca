namespace PopIoT.Core.Coap;

/// <summary>
/// Duplicate detection (RFC 7252 §4.5): a fixed table keyed by (peer, Message ID), each entry living for
/// EXCHANGE_LIFETIME (CON) or NON_LIFETIME (NON) (§4.8.2) and holding the reply that answered it, so a duplicate
/// CON gets the same bytes again without the application running twice. Expired entries are reused lazily.
/// When every entry is still alive the cache refuses (Allocate returns -1), because evicting a live entry would let a
/// retransmitted non-idempotent request run twice, which is what this cache exists to prevent; with
/// <see cref="CoapSettings.EvictOldestWhenFull"/> it evicts the entry closest to expiry instead.
/// </summary>
internal sealed class DeduplicationCache
{
    private readonly int[] _peer;
    private readonly int[] _mid;
    private readonly long[] _expires;
    private readonly bool[] _used;
    private readonly bool[] _confirmable;

    internal DeduplicationCache(int capacity, int maxMessageSize)
    {
        _peer = new int[capacity];
        _mid = new int[capacity];
        _expires = new long[capacity];
        _used = new bool[capacity];
        _confirmable = new bool[capacity];
        Reply = new byte[capacity][];
        ReplyLength = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            Reply[i] = new byte[maxMessageSize];
        }
    }

    internal byte[][] Reply { get; }

    internal int[] ReplyLength { get; }

    internal int Capacity => _peer.Length;

    internal int Find(int peer, int messageId, long now)
    {
        for (int i = 0; i < _peer.Length; i++)
        {
            if (_used[i] && _mid[i] == messageId && _peer[i] == peer && _expires[i] > now)
            {
                return i;
            }
        }

        return -1;
    }

    // Whether the entry was made for a CON message; only a CON's duplicate gets the reply again.
    internal bool IsConfirmable(int entry) => _confirmable[entry];

    internal void Forget(int entry) => _used[entry] = false;

    internal int Allocate(int peer, int messageId, bool confirmable, long now, long lifetime, bool evictOldest)
    {
        int oldest = 0;
        for (int i = 0; i < _peer.Length; i++)
        {
            if (_expires[i] < _expires[oldest])
            {
                oldest = i;
            }
        }

        for (int i = 0; i < _peer.Length; i++)
        {
            if (!_used[i] || _expires[i] <= now || (evictOldest && i == oldest && LiveCount(now) == _peer.Length))
            {
                _used[i] = true;
                _peer[i] = peer;
                _mid[i] = messageId;
                _confirmable[i] = confirmable;
                _expires[i] = now + lifetime;
                ReplyLength[i] = 0;
                return i;
            }
        }

        return -1;
    }

    internal int LiveCount(long now)
    {
        int n = 0;
        for (int i = 0; i < _peer.Length; i++)
        {
            if (_used[i] && _expires[i] > now)
            {
                n++;
            }
        }

        return n;
    }

    // When the oldest live entry expires, for a Max-Age on a 5.03 refusal.
    internal long EarliestExpiry()
    {
        long t = long.MaxValue;
        for (int i = 0; i < _peer.Length; i++)
        {
            if (_used[i] && _expires[i] < t)
            {
                t = _expires[i];
            }
        }

        return t;
    }
}
