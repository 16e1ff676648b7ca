namespace PopIoT.Core.Ace;

/// <summary>
/// Where every part of the engine reports its security decisions (docs/ace-rs.md, "Decisions"): one reused
/// <see cref="AceDecision"/>, stamped with the engine's time, passed to the listener. Allocates nothing.
/// </summary>
internal sealed class AceDecisionLog
{
    private readonly AceClock _clock;

    public AceDecisionLog(AceClock clock)
    {
        _clock = clock;
    }

    public AceDecision Last { get; } = new AceDecision();

    public IAceDecisionListener Listener { get; set; }

    public void Report(AceDecisionKind kind, AceRsError error, byte code, int peer, int slot, byte method, string path)
    {
        Last.Set(kind, error, code, peer, slot, method, path);
        Last.Time = _clock.Now;
        if (Listener != null)
        {
            Listener.OnDecision(Last);
        }
    }

    // An event of the slot table, with no request behind it (eviction, expiry).
    public void Event(AceDecisionKind kind, int peer, int slot)
    {
        Report(kind, AceRsError.None, 0, peer, slot, 0, null);
    }
}
