using System;

namespace PopIoT.Core.Coap;

/// <summary>
/// Duplicate detection (RFC 7252 §4.5): a fixed table keyed by (peer, Message ID), each entry living for
/// EXCHANGE_LIFETIME (CON) or NON_LIFETIME (NON) (§4.8.2) and holding the reply that answered it, so a duplicate
/// CON gets the same bytes again without the application running twice. Expired entries are reused lazily.
/// Two limits keep it from becoming a lockout (docs/coap.md, "Duplicate detection"): a peer holds at most its share of
/// the entries, and a new request beyond that share replaces that peer's own oldest entry; when the whole table is
/// live, the entry closest to expiry makes room. RFC 7252 §4.5 makes the cache an optimisation, so losing an entry
/// only means a very late duplicate is processed again. With <see cref="CoapSettings.EvictOldestWhenFull"/> false
/// the cache refuses instead (Allocate returns -1) and <see cref="RefusedUntil"/> says when room frees up.
/// The replies share one byte pool (<see cref="CoapSettings.DeduplicationPoolBytes"/>), written as a ring: a reply
/// that needs room overwrites the oldest replies, and an entry whose reply is overwritten is forgotten (counted in
/// <see cref="Evictions"/>), so its duplicate is processed again as after any eviction; a duplicate is never
/// answered with another reply's bytes, nor left unanswered (docs/coap.md, "Duplicate detection").
/// </summary>
internal sealed class DeduplicationCache
{
    private readonly int[] _peer;
    private readonly int[] _mid;
    private readonly long[] _expires;
    private readonly bool[] _used;
    private readonly bool[] _confirmable;
    private readonly int _perPeer;
    private readonly int[] _replyOffset;
    private readonly int[] _replyLength;
    private int _poolHead;

    internal DeduplicationCache(int capacity, int perPeer, int poolBytes)
    {
        _perPeer = perPeer;
        _peer = new int[capacity];
        _mid = new int[capacity];
        _expires = new long[capacity];
        _used = new bool[capacity];
        _confirmable = new bool[capacity];
        Pool = new byte[poolBytes];
        _replyOffset = new int[capacity];
        _replyLength = new int[capacity];
    }

    // The replies' bytes: entry i's reply is ReplyOffset(i), ReplyLength(i).
    internal byte[] Pool { get; }

    internal int ReplyOffset(int entry) => _replyOffset[entry];

    // 0: the entry keeps no reply (a NON, or a CON whose answer is still to come).
    internal int ReplyLength(int entry) => _replyLength[entry];

    // Keeps the reply to entry's message: at the ring's head, or at the pool's start when it does not fit before the
    // end. The live replies it overwrites lose their entries. The pool holds at least one message of MaxMessageSize
    // (CoapSettings.Validate), so every reply is kept until later replies need its room.
    internal void SetReply(int entry, byte[] source, int offset, int length)
    {
        int start = _poolHead + length <= Pool.Length ? _poolHead : 0;
        int end = start + length;
        for (int i = 0; i < _peer.Length; i++)
        {
            if (i != entry && _used[i] && _replyLength[i] > 0 && _replyOffset[i] < end && start < _replyOffset[i] + _replyLength[i])
            {
                _used[i] = false;
                _replyLength[i] = 0;
                Evictions++;
            }
        }

        Array.Copy(source, offset, Pool, start, length);
        _replyOffset[entry] = start;
        _replyLength[entry] = length;
        _poolHead = end;
    }

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

    // Live entries replaced to make room (a peer over its share, or a full table).
    internal int Evictions { get; private set; }

    // After Allocate returned -1: when the entry that would have made room expires, for a Max-Age on the 5.03.
    internal long RefusedUntil { get; private set; }

    internal int Allocate(int peer, int messageId, bool confirmable, long now, long lifetime, bool evictOldest)
    {
        // One pass: a free (or expired) entry, the oldest live entry, and this peer's live entries and oldest one.
        int free = -1;
        int oldest = -1;
        int peerOldest = -1;
        int peerCount = 0;
        for (int i = 0; i < _peer.Length; i++)
        {
            if (!_used[i] || _expires[i] <= now)
            {
                if (free < 0)
                {
                    free = i;
                }

                continue;
            }

            if (oldest < 0 || _expires[i] < _expires[oldest])
            {
                oldest = i;
            }

            if (_peer[i] == peer)
            {
                peerCount++;
                if (peerOldest < 0 || _expires[i] < _expires[peerOldest])
                {
                    peerOldest = i;
                }
            }
        }

        int entry;
        if (peerCount >= _perPeer)
        {
            // The peer has its whole share: its own oldest entry makes room, never another peer's.
            entry = peerOldest;
        }
        else if (free >= 0)
        {
            Store(free, peer, messageId, confirmable, now + lifetime);
            return free;
        }
        else
        {
            entry = oldest;
        }

        if (!evictOldest)
        {
            RefusedUntil = _expires[entry];
            return -1;
        }

        Evictions++;
        Store(entry, peer, messageId, confirmable, now + lifetime);
        return entry;
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

    private void Store(int i, int peer, int messageId, bool confirmable, long expires)
    {
        _used[i] = true;
        _peer[i] = peer;
        _mid[i] = messageId;
        _confirmable[i] = confirmable;
        _expires[i] = expires;
        _replyLength[i] = 0;
    }
}
