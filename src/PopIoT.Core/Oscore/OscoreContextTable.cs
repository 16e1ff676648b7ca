using System;

namespace PopIoT.Core.Oscore;

/// <summary>
/// A fixed table of Security Contexts, looked up by ('kid', 'kid context') as RFC 8613 §8.2 step 2 asks. Its size
/// comes from configuration (the board profile). When full, adding evicts the least recently used context and erases
/// its keys (DESIGN.md §6): the client must post its token again, and fresh nonces give fresh keys, so nothing can be
/// replayed across an eviction. 12 bytes per slot besides the contexts themselves.
/// </summary>
public sealed class OscoreContextTable : ISecurityContextLookup
{
    private readonly SecurityContext[] _slots;
    private readonly long[] _lastUsed;
    private long _clock;

    /// <summary>Creates an empty table.</summary>
    /// <param name="capacity">How many contexts it holds (at least 1).</param>
    public OscoreContextTable(int capacity)
    {
        if (capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity));
        }

        _slots = new SecurityContext[capacity];
        _lastUsed = new long[capacity];
    }

    /// <summary>How many contexts the table can hold.</summary>
    public int Capacity => _slots.Length;

    /// <summary>How many contexts it holds.</summary>
    public int Count
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _slots.Length; i++)
            {
                if (_slots[i] != null)
                {
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>How many contexts were evicted to make room.</summary>
    public int Evictions { get; private set; }

    /// <summary>
    /// Adds a context. One with the same Recipient ID and ID Context is replaced (and erased); otherwise, when the table
    /// is full, the least recently used context is evicted and erased.
    /// </summary>
    /// <param name="context">The new context; the table owns it from now on.</param>
    /// <returns>The context that was dropped (already disposed), or null.</returns>
    public SecurityContext Add(SecurityContext context)
    {
        if (context == null)
        {
            throw new ArgumentNullException(nameof(context));
        }

        int free = -1;
        int oldest = 0;
        for (int i = 0; i < _slots.Length; i++)
        {
            SecurityContext c = _slots[i];
            if (c == null)
            {
                if (free < 0)
                {
                    free = i;
                }

                continue;
            }

            if (c.SameLookupKey(context))
            {
                return Put(i, context, false);
            }

            if (_lastUsed[i] < _lastUsed[oldest] || _slots[oldest] == null)
            {
                oldest = i;
            }
        }

        if (free >= 0)
        {
            return Put(free, context, false);
        }

        return Put(oldest, context, true);
    }

    /// <summary>
    /// Finds the context for a request's 'kid' and 'kid context' (RFC 8613 §8.2 step 2). Without a kid context, the
    /// first context with that Recipient ID matches. Does not change the LRU order (see <see cref="Touch"/>).
    /// </summary>
    /// <param name="kid">The array holding the kid.</param>
    /// <param name="kidOffset">Where it starts.</param>
    /// <param name="kidLength">Its length.</param>
    /// <param name="kidContext">The array holding the kid context, or null when absent.</param>
    /// <param name="kidContextOffset">Where it starts.</param>
    /// <param name="kidContextLength">Its length.</param>
    /// <returns>The context, or null.</returns>
    public SecurityContext Find(byte[] kid, int kidOffset, int kidLength, byte[] kidContext, int kidContextOffset, int kidContextLength)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            SecurityContext c = _slots[i];
            if (c != null && c.Matches(kid, kidOffset, kidLength, kidContext, kidContextOffset, kidContextLength))
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>Marks a context as just used; called after a message verified, so unauthenticated traffic cannot keep a context alive.</summary>
    /// <param name="context">The context.</param>
    public void Touch(SecurityContext context)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] == context)
            {
                _lastUsed[i] = ++_clock;
                return;
            }
        }
    }

    /// <summary>Removes a context and erases its keys.</summary>
    /// <param name="context">The context.</param>
    /// <returns>True when it was in the table.</returns>
    public bool Remove(SecurityContext context)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] == context)
            {
                _slots[i] = null;
                _lastUsed[i] = 0;
                context.Dispose();
                return true;
            }
        }

        return false;
    }

    /// <summary>Removes every context and erases all keys.</summary>
    public void Clear()
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] != null)
            {
                _slots[i].Dispose();
                _slots[i] = null;
            }

            _lastUsed[i] = 0;
        }
    }

    private SecurityContext Put(int i, SecurityContext context, bool eviction)
    {
        SecurityContext old = _slots[i];
        if (old != null && old != context)
        {
            // DESIGN.md §6: keys are erased when a context is dropped or evicted.
            old.Dispose();
        }

        if (eviction)
        {
            Evictions++;
        }

        _slots[i] = context;
        _lastUsed[i] = ++_clock;
        return old == context ? null : old;
    }
}
