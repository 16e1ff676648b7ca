using PopIoT.Core.Oscore;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// Keeps the AS's OSCORE Sender Sequence Number for one peer's context in the AS database (RFC 8613 Appendix B.1.1),
/// so an AS restarted with the same contexts never reuses a nonce.
/// </summary>
/// <param name="store">The store.</param>
/// <param name="peer">The peer's key, e.g. "client:gw1".</param>
public sealed class StoreSequenceNumberStore(IAuthorizationStore store, string peer) : ISequenceNumberStore
{
    /// <inheritdoc/>
    public bool TryLoad(out long value) => store.TryLoadSequenceNumber(peer, out value);

    /// <inheritdoc/>
    public void Save(long value) => store.SaveSequenceNumber(peer, value);
}
