namespace PopIoT.Core.Oscore;

/// <summary>
/// Persistent storage for one Sender Context's Sender Sequence Number (RFC 8613 Appendix B.1.1). The context writes a
/// value K numbers ahead of the one in use and writes again only when it reaches it, so flash is written once per K
/// messages; after a reboot the context starts at the stored value, which is above every number used before.
/// </summary>
public interface ISequenceNumberStore
{
    /// <summary>Reads the stored value.</summary>
    /// <param name="value">The stored next-unused sequence number; 0 when nothing is stored.</param>
    /// <returns>True when a value was stored.</returns>
    bool TryLoad(out long value);

    /// <summary>Durably writes <paramref name="value"/>; must complete before the context uses any number up to it.</summary>
    /// <param name="value">The first sequence number not yet reserved.</param>
    void Save(long value);
}
