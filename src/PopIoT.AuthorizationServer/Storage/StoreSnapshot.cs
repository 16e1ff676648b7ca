namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// Everything a store holds, table by table, for <c>popiot as migrate</c>: the registries, the policy, the issued
/// tokens and every counter that must go on where it stopped (the AS's OSCORE Sender Sequence Numbers, RFC 8613
/// Appendix B.1.1; the exi sequence of each RS, RFC 9200 §5.10.3; the last cti prefix handed out).
/// </summary>
/// <param name="Clients">The clients.</param>
/// <param name="ResourceServers">The resource servers.</param>
/// <param name="Grants">The grants, in the order they were made.</param>
/// <param name="Tokens">The issued tokens, oldest first.</param>
/// <param name="OscoreSequences">The stored Sender Sequence Number mark of each peer.</param>
/// <param name="ExiSequences">The last exi sequence number of each RS.</param>
/// <param name="CtiPrefix">The last cti prefix handed out.</param>
public sealed record StoreSnapshot(
    IReadOnlyList<ClientRecord> Clients,
    IReadOnlyList<ResourceServerRecord> ResourceServers,
    IReadOnlyList<GrantRecord> Grants,
    IReadOnlyList<IssuedTokenRecord> Tokens,
    IReadOnlyDictionary<string, long> OscoreSequences,
    IReadOnlyDictionary<string, long> ExiSequences,
    long CtiPrefix);
