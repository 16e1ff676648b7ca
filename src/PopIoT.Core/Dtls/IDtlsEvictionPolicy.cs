namespace PopIoT.Core.Dtls;

/// <summary>
/// Which established sessions a <see cref="DtlsEngine"/> may evict when a new handshake needs a slot of its full table.
/// Without a policy every established session may go (least recently used first). The RFC 9202 resource server keeps
/// the sessions whose tokens verified a request recently, as it keeps its OSCORE slots (docs/ace-dtls.md), so a flood
/// of handshakes cannot push out sessions in use: the new handshake is refused instead and its client retries.
/// </summary>
public interface IDtlsEvictionPolicy
{
    /// <summary>Whether the established session with <paramref name="peer"/> may be evicted now.</summary>
    /// <param name="peer">The session's peer index.</param>
    /// <param name="now">The current monotonic time in milliseconds.</param>
    /// <returns>True to allow eviction.</returns>
    bool MayEvict(int peer, long now);
}
