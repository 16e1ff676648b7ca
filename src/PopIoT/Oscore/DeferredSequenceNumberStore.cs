using PopIoT.Core.Oscore;

namespace PopIoT.Oscore;

/// <summary>
/// The Sender Sequence Number store of a context derived by re-keying (RFC 8613 Appendix B.2) before it is known to
/// work: it starts at 0 (the keys are new) and keeps the reserved value in memory until <see cref="Confirm"/>, then
/// writes it, and every later value, to the file store. So a file that still names the old context is never given
/// the new context's low numbers, which would repeat nonces under the old keys (§7.2.1).
/// </summary>
/// <param name="file">The store that lasts, written from <see cref="Confirm"/> on.</param>
public sealed class DeferredSequenceNumberStore(ISequenceNumberStore file) : ISequenceNumberStore
{
    private readonly object _lock = new();
    private long _reserved;
    private bool _confirmed;

    /// <summary>Whether the new context was confirmed and its numbers now go to the file.</summary>
    public bool Confirmed
    {
        get
        {
            lock (_lock)
            {
                return _confirmed;
            }
        }
    }

    /// <inheritdoc/>
    public bool TryLoad(out long value)
    {
        value = 0;
        return true;
    }

    /// <inheritdoc/>
    public void Save(long value)
    {
        lock (_lock)
        {
            if (_confirmed)
            {
                file.Save(value);
            }

            _reserved = value;
        }
    }

    /// <summary>Writes the reserved value to the file store; from now on every value goes there. Call it after the
    /// file that names the context was rewritten with the new ID Context.</summary>
    public void Confirm()
    {
        lock (_lock)
        {
            file.Save(_reserved);
            _confirmed = true;
        }
    }
}
