using PopIoT.AuthorizationServer.Ace;
using PopIoT.AuthorizationServer.Storage;

namespace PopIoT.AuthorizationServer.Endpoints;

/// <summary>
/// A token request that passed the policy checks, not yet minted: for an RS without a clock the exi sequence number is
/// taken by the store inside the transaction that stores the token (RFC 9200 §5.10.3), so minting waits for it.
/// </summary>
/// <param name="Resource">The RS the token is for.</param>
/// <param name="Mint">Mints the token with its exi sequence number (null for an RS with a clock): the response and the record to store (null with a refusal).</param>
internal sealed record TokenIssue(ResourceServerRecord Resource, Func<long?, (AceResponse Response, IssuedTokenRecord? Record)> Mint);
