using System;

using PopIoT.Core.Crypto;
using PopIoT.Core.Oscore;

namespace PopIoT.Core.Ace;

/// <summary>
/// The resource server's fixed table of tokens and their OSCORE contexts (DESIGN.md §6): slot lookup by token digest,
/// PoP key id and context; Recipient ID choice (RFC 9203 §4.2); which slot a new token may evict (never one whose
/// context verified a request within the protection time; docs/ace-rs.md, "Admission"). Every slot owns one
/// Security Context for the engine's lifetime, derived in place for each new token, so storing a token allocates
/// nothing. With a provider that can make a re-keyable AES-CCM (<see cref="IRekeyableAeadProvider"/>, the managed
/// one of a board) all contexts share that one cipher and keep only their raw keys (DESIGN.md §8). Dropping a slot
/// removes its context from the <see cref="OscoreContextTable"/> the OSCORE processor searches and erases its keys.
/// </summary>
internal sealed class AceTokenTable : IDisposable
{
    private readonly AceTokenSlot[] _slots;
    private readonly OscoreContextTable _contexts;
    private readonly IRekeyableAead _sharedCipher;
    private readonly DerivationWorkspace _workspace = new DerivationWorkspace();

    // A slot whose context has not verified a request since its token was stored.
    private const long NeverVerified = long.MinValue;

    // Engine time (seconds) at which each slot's context last verified a request; one array, not a field per slot,
    // because on nanoFramework every field of every object is a heap block (DESIGN.md §4).
    private readonly long[] _verifiedAt;
    private long _lru;
    private int _nextServerId;

    public AceTokenTable(int slots, int resources, ICryptoProvider provider, int replayWindowSize)
    {
        IRekeyableAeadProvider rekeyable = provider as IRekeyableAeadProvider;

        // RFC 8613 §5.2: 13-byte nonces, so L = 15 − 13 = 2.
        _sharedCipher = rekeyable == null ? null : rekeyable.CreateRekeyableAesCcm(2);
        _slots = new AceTokenSlot[slots];
        for (int i = 0; i < slots; i++)
        {
            _slots[i] = new AceTokenSlot(resources, new SecurityContext(provider, _sharedCipher, replayWindowSize));
        }

        _contexts = new OscoreContextTable(slots);
        _verifiedAt = new long[slots];
        for (int i = 0; i < slots; i++)
        {
            _verifiedAt[i] = NeverVerified;
        }
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

    /// <summary>Records that the slot's context verified a request at <paramref name="now"/> (RFC 8613 §8.2): the client holds the key and uses it.</summary>
    public void Verified(int slot, long now)
    {
        _verifiedAt[slot] = now;
    }

    public int FindDigest(byte[] digest)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].DigestEquals(digest))
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
        if (context == null || context.IsDisposed)
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
                used = i != replacing && _slots[i].HasRecipientId(candidate);
            }

            if (!used)
            {
                return candidate;
            }
        }

        return -1;
    }

    /// <summary>A free slot, or -1 when all are taken (see <see cref="Evictable"/>).</summary>
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

    /// <summary>
    /// The slot a new, not yet used token may evict, or -1 when every slot is protected: one whose context verified a
    /// request less than <paramref name="protectionSeconds"/> ago stays. Among the rest, a slot whose context never
    /// verified a request goes first (its token has not shown that anyone holds its key, RFC 9203 §4.1 posts are not
    /// authenticated), then the least recently used (DESIGN.md §6).
    /// </summary>
    public int Evictable(long now, long protectionSeconds)
    {
        int best = -1;
        for (int i = 0; i < _slots.Length; i++)
        {
            if (IsProtected(i, now, protectionSeconds))
            {
                continue;
            }

            if (best < 0)
            {
                best = i;
                continue;
            }

            bool never = _verifiedAt[i] == NeverVerified;
            bool bestNever = _verifiedAt[best] == NeverVerified;
            if ((never && !bestNever) || (never == bestNever && _slots[i].LastUsed < _slots[best].LastUsed))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>
    /// Seconds until <see cref="Evictable"/> can name a slot or a slot frees itself by expiry (at least 1): the Max-Age
    /// of a 5.03 for a full table of protected slots.
    /// </summary>
    public long SecondsUntilEvictable(long now, long protectionSeconds)
    {
        long wait = long.MaxValue;
        for (int i = 0; i < _slots.Length; i++)
        {
            long w = _verifiedAt[i] == NeverVerified ? 0 : _verifiedAt[i] + protectionSeconds - now;
            long expiry = _slots[i].ExpiresAt - now;
            if (_slots[i].InUse && expiry < w)
            {
                w = expiry;
            }

            if (w < wait)
            {
                wait = w;
            }
        }

        return wait < 1 ? 1 : wait;
    }

    private bool IsProtected(int slot, long now, long protectionSeconds)
    {
        long at = _verifiedAt[slot];
        return _slots[slot].InUse && at != NeverVerified && now - at < protectionSeconds;
    }

    /// <summary>
    /// Derives the slot's context in place for a new token (RFC 9203 §4.3 inputs; RFC 8613 §3.2.1 derivation) and
    /// puts it in the OSCORE table. The slot's previous keys, if any, are erased first. The caller checked the inputs
    /// with <see cref="SecurityContext.CheckInputs"/>, so this cannot fail half-way.
    /// </summary>
    public void Establish(int slot, ByteRange masterSecret, ByteRange masterSalt, ByteRange senderId, ByteRange recipientId, ByteRange idContext, int algorithm)
    {
        AceTokenSlot t = _slots[slot];
        _contexts.Remove(t.Context);
        t.Context.Establish(_workspace, masterSecret, masterSalt, senderId, recipientId, idContext, algorithm);
        t.InUse = true;
        _contexts.Add(t.Context);

        // New keys: nobody has used them yet, whatever the slot's previous context did.
        _verifiedAt[slot] = NeverVerified;
        Touch(slot);
    }

    /// <summary>Drops a slot: its context leaves the OSCORE table with its keys erased (DESIGN.md §6).</summary>
    public void Drop(int slot)
    {
        AceTokenSlot t = _slots[slot];
        _contexts.Remove(t.Context);
        t.Free();
        _verifiedAt[slot] = NeverVerified;
    }

    public void Clear()
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            Drop(i);
        }

        _contexts.Clear();
    }

    /// <summary>Erases every slot, the derivation scratch and the shared cipher.</summary>
    public void Dispose()
    {
        Clear();
        _workspace.Dispose();
        if (_sharedCipher != null)
        {
            _sharedCipher.Dispose();
        }
    }
}
