using PopIoT.Core.Cwt;

namespace PopIoT.Core.Ace;

/// <summary>
/// The lifecycle of the token slots (docs/ace-rs.md): a token's end of life (exp, or exi counted from its first
/// verification, RFC 9200 §5.10.3), expiry, the exi numbers burnt when a token goes, and eviction of the least recently
/// used slot that is not protected (DESIGN.md §6). Every drop erases the slot's keys (<see cref="AceTokenTable.Drop"/>).
/// </summary>
internal sealed class AceTokenLifecycle
{
    private readonly AceTokenTable _table;
    private readonly AceFreshness _freshness;
    private readonly AceDecisionLog _log;
    private readonly AceRsSettings _settings;
    private readonly AceClock _clock;

    public AceTokenLifecycle(AceTokenTable table, AceFreshness freshness, AceDecisionLog log, AceRsSettings settings, AceClock clock)
    {
        _clock = clock;
        _table = table;
        _freshness = freshness;
        _log = log;
        _settings = settings;
    }

    public AceFreshness Freshness
    {
        get { return _freshness; }
    }

    public int Evictions { get; private set; }

    public int Expirations { get; private set; }

    // Drops every token whose lifetime ended at or before now, then those whose exi number is burnt.
    public void ExpireDue(long now)
    {
        for (int i = 0; i < _table.Capacity; i++)
        {
            if (_table.InUse(i) && now >= _table.ExpiresAt(i))
            {
                _freshness.Expired(_table.ExiSequence(i));
                _table.Drop(i);
                Expirations++;
                _log.Event(AceDecisionKind.SlotExpired, -1, i);
            }
        }

        DropBurnt();
    }

    // RFC 9200 §5.10.3: an expired token met by a request authorises nothing; its context goes with it.
    public void ExpireAtAccess(int slot)
    {
        _freshness.Expired(_table.ExiSequence(slot));
        _table.Drop(slot);
        Expirations++;
        DropBurnt();
    }

    // The previous token of a slot goes (replaced by a new one for its PoP key), with its keys; its number is burnt.
    public void Replace(int slot)
    {
        _freshness.Expired(_table.ExiSequence(slot));
        _table.Drop(slot);
    }

    // RFC 9200 §5.10.3: once a number is burnt, stored tokens at or below it count as expired and go with their keys.
    public void DropBurnt()
    {
        for (int i = 0; i < _table.Capacity; i++)
        {
            if (_table.InUse(i) && _freshness.IsBurnt(_table.ExiSequence(i)))
            {
                _table.Drop(i);
                Expirations++;
                _log.Event(AceDecisionKind.SlotExpired, -1, i);
            }
        }
    }

    // A free slot, or the least recently used one that is not protected, evicted (DESIGN.md §6: its keys are erased, so
    // the client must post again; docs/ace-rs.md, "Admission": a slot in use is not given up for an unused token); -1.
    public int FreeOrEvict(int peer, long now)
    {
        int slot = _table.FindFree();
        if (slot >= 0)
        {
            return slot;
        }

        slot = _table.Evictable(now, _settings.EvictionProtectionSeconds);
        if (slot < 0)
        {
            return -1;
        }

        Replace(slot);
        Evictions++;
        _log.Event(AceDecisionKind.SlotEvicted, peer, slot);
        return slot;
    }

    // The end of a token's life, in engine time: exp (plus the allowed skew) once the wall clock is known, and RFC 9200
    // §5.10.1.1, §5.10.3: exi counts from when the RS first verified the token (a re-post is known by its identity and
    // keeps its end). A token taken while the clock was unknown keeps the end set then (docs/ace-rs.md, "Time that
    // becomes known later").
    public void SetLifetime(int slot, CwtValidationResult result, long sequence, long now)
    {
        CwtClaims c = result.Claims;
        long expires = long.MaxValue;
        if (_clock.HasClock && c.Has(CwtClaimKey.Exp))
        {
            expires = c.Expiration <= long.MaxValue - _settings.ClockSkewSeconds ? _clock.ToEngineTime(c.Expiration + _settings.ClockSkewSeconds) : long.MaxValue;
        }

        long exi = result.ExpiresIn;
        if (exi >= 0 && exi < long.MaxValue - now && now + exi < expires)
        {
            expires = now + exi;
        }

        _table.SetLifetime(slot, expires, sequence);
    }
}
