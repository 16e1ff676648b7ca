namespace PopIoT.Core.Oscore;

/// <summary>
/// Persistent storage for one Sender Context's Sender Sequence Number (RFC 8613 Appendix B.1.1). The context writes a
/// value K numbers ahead of the one in use and writes again only when it reaches it, so flash is written once per K
/// messages; after a reboot the context starts at the stored value, which is above every number used before.
/// Implementations fail closed: a store that holds something it cannot read throws from <see cref="TryLoad"/> rather
/// than report nothing stored (a silent 0 would repeat nonces), and <see cref="Save"/> throws unless the value is durable.
/// </summary>
public interface ISequenceNumberStore
{
    /// <summary>Reads the stored value.</summary>
    /// <param name="value">The stored next-unused sequence number; 0 when nothing is stored.</param>
    /// <returns>True when a value was stored; false only when the context is known to be new.</returns>
    bool TryLoad(out long value);

    /// <summary>
    /// Durably writes <paramref name="value"/>; must complete before the context uses any number up to it. Throws when
    /// the value may not be durable; the context then sends nothing and tries again on the next message.
    /// </summary>
    /// <param name="value">The first sequence number not yet reserved.</param>
    void Save(long value);
}
