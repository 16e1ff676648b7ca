namespace PopIoT.AuthorizationServer.Storage;

/// <summary>A registered client.</summary>
/// <param name="ClientId">The client_id (RFC 6749 §2.2).</param>
/// <param name="Credential">The OSCORE context it authenticates with.</param>
/// <param name="CreatedAt">Registration time, Unix seconds.</param>
/// <param name="Rekeying">Whether the client may derive a new ID Context with the AS when it lost its sequence number (RFC 8613 Appendix B.2).</param>
/// <param name="Profiles">The ACE profiles the client speaks, most preferred first (RFC 9200 §5.8.4.3); null for coap_oscore only.</param>
public sealed record ClientRecord(string ClientId, OscoreCredential Credential, long CreatedAt, bool Rekeying = true, int[]? Profiles = null)
{
    /// <summary>The profiles, coap_oscore (2) when none were recorded.</summary>
    public int[] ProfilesOrDefault => Profiles is { Length: > 0 } p ? p : [PopIoT.Core.Ace.AceProfile.CoapOscore];
}
