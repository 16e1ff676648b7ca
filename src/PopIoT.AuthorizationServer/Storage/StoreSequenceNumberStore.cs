using PopIoT.Core.Oscore;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// Keeps the AS's OSCORE Sender Sequence Number for one peer's context in the AS database (RFC 8613 Appendix B.1.1),
/// so that neither a restarted AS nor another AS instance sharing the database ever reuses a nonce. Loading the
/// context claims a block of <see cref="Block"/> numbers for this process alone (the stored mark moves past it at
/// once); saves within the block need no write, since the mark is already above them; going past it extends the
/// claim only if no other process claimed in between, and otherwise fails, so the context sends nothing (fail closed)
/// until it is loaded again and claims a fresh block.
/// </summary>
/// <param name="store">The store.</param>
/// <param name="peer">The peer's key, e.g. "client:gw1".</param>
public sealed class StoreSequenceNumberStore(IAuthorizationStore store, string peer) : ISequenceNumberStore
{
    /// <summary>How many numbers one context load claims: 2^16, so the 2^40 numbers of a Partial IV last 2^24 loads.</summary>
    public const long Block = 1L << 16;

    private long _claimedUntil;

    /// <inheritdoc/>
    public bool TryLoad(out long value)
    {
        value = store.ClaimSequenceNumbers(peer, Block);
        _claimedUntil = value + Block;
        return true;
    }

    /// <inheritdoc/>
    public void Save(long value)
    {
        if (value <= _claimedUntil)
        {
            return;
        }

        if (!store.ExtendSequenceNumbers(peer, _claimedUntil, value))
        {
            throw new AuthorizationStoreException("the OSCORE Sender Sequence Numbers after " + _claimedUntil + " of '" + peer + "' were claimed by another AS instance; the context must be loaded again (RFC 8613 Appendix B.1.1)");
        }

        _claimedUntil = value;
    }
}
