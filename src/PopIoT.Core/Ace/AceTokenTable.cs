using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// The resource server's fixed table of tokens and their OSCORE contexts (DESIGN.md §6): slot lookup by token digest,
/// PoP key id and context; Recipient ID choice (RFC 9203 §4.2); least-recently-used eviction. Dropping a slot removes
/// its context from the <see cref="OscoreContextTable"/> the OSCORE processor searches and erases its keys.
/// </summary>
internal sealed class AceTokenTable
{
    private readonly AceTokenSlot[] _slots;
    private readonly OscoreContextTable _contexts;
    private long _lru;
    private int _nextServerId;

    public AceTokenTable(int slots, int resources)
    {
        _slots = new AceTokenSlot[slots];
        for (int i = 0; i < slots; i++)
        {
            _slots[i] = new AceTokenSlot(resources);
        }

        _contexts = new OscoreContextTable(slots);
    }

    /// <summary>The contexts, for <see cref="OscoreProcessor.UnprotectRequest"/>.</summary>
    public OscoreContextTable Contexts
    {
        get { return _contexts; }
    }

    public int Capacity
    {
        get { return _slots.Length; }
    }

    public int ActiveCount
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _slots.Length; i++)
            {
                if (_slots[i].InUse)
                {
                    n++;
                }
            }

            return n;
        }
    }

    public AceTokenSlot this[int slot]
    {
        get { return _slots[slot]; }
    }

    /// <summary>Marks a slot as just used (a verified request or a post), for eviction order.</summary>
    public void Touch(int slot)
    {
        _slots[slot].LastUsed = ++_lru;
    }

    public int FindDigest(byte[] digest)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].InUse && CryptoBytes.FixedTimeEquals(_slots[i].Digest, 0, digest, 0, AceTokenSlot.DigestLength))
            {
                return i;
            }
        }

        return -1;
    }

    public int FindPopId(byte[] buffer, int offset, int length)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].PopIdEquals(buffer, offset, length))
            {
                return i;
            }
        }

        return -1;
    }

    public int SlotOf(SecurityContext context)
    {
        if (context == null)
        {
            return -1;
        }

        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].InUse && _slots[i].Context == context)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// RFC 9203 §4.2: a one-byte Recipient ID distinct from the client's and from every live context's but
    /// <paramref name="replacing"/>'s. A counter cycles through all 256 values so an evicted client's kid is not soon
    /// reused by another context. Returns -1 when none is free.
    /// </summary>
    public int PickServerId(byte[] b, int clientOffset, int clientLength, int replacing)
    {
        for (int tries = 0; tries < 256; tries++)
        {
            int candidate = _nextServerId;
            _nextServerId = (_nextServerId + 1) & 0xFF;
            if (clientLength == 1 && b[clientOffset] == candidate)
            {
                continue;
            }

            bool used = false;
            for (int i = 0; i < _slots.Length && !used; i++)
            {
                SecurityContext c = _slots[i].Context;
                used = i != replacing && _slots[i].InUse && c != null && c.RecipientIdLength == 1 && c.RecipientId[0] == candidate;
            }

            if (!used)
            {
                return candidate;
            }
        }

        return -1;
    }

    /// <summary>A free slot, or -1 when all are taken (see <see cref="LeastRecentlyUsed"/>).</summary>
    public int FindFree()
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (!_slots[i].InUse)
            {
                return i;
            }
        }

        return -1;
    }

    public int LeastRecentlyUsed()
    {
        int oldest = 0;
        for (int i = 1; i < _slots.Length; i++)
        {
            if (_slots[i].LastUsed < _slots[oldest].LastUsed)
            {
                oldest = i;
            }
        }

        return oldest;
    }

    /// <summary>Binds a new context to a slot; the slot's previous context, if any, is removed and erased first.</summary>
    public void Install(int slot, SecurityContext context)
    {
        AceTokenSlot t = _slots[slot];
        if (t.InUse && t.Context != null)
        {
            _contexts.Remove(t.Context);
        }

        t.InUse = true;
        t.Context = context;
        _contexts.Add(context);
        Touch(slot);
    }

    /// <summary>Drops a slot: its context leaves the OSCORE table with its keys erased (DESIGN.md §6).</summary>
    public void Drop(int slot)
    {
        AceTokenSlot t = _slots[slot];
        if (t.Context != null)
        {
            _contexts.Remove(t.Context);
        }

        t.Free();
    }

    public void Clear()
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            Drop(i);
        }

        _contexts.Clear();
    }
}
