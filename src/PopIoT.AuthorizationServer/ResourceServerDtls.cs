namespace PopIoT.AuthorizationServer;

/// <summary>How a resource server takes part in the ACE profiles (RFC 9200 §5.8.4.3) and in the DTLS profile (RFC 9202).</summary>
/// <param name="Profiles">The profiles it supports, e.g. coap_dtls and coap_oscore; null or empty for coap_oscore only.</param>
/// <param name="DerivePsk">
/// Whether its DTLS PSKs are derived (RFC 9202 §3.3): the AS makes a key derivation key for it and the tokens' cnf carry
/// only a kid; otherwise each token carries its PSK (in an Encrypt0 token, or as an Encrypted_COSE_Key).
/// </param>
/// <param name="RsPublicKey">Its own public COSE_Key (EC2 P-256) for RPK mode, given to clients as rs_cnf (RFC 9202 §3.2.1); or null.</param>
/// <param name="DerivationKey">
/// An existing key derivation key to use (an encoded symmetric COSE_Key with key_ops [derive key] only, at least 16
/// bytes), which implies <paramref name="DerivePsk"/>; null to let the AS make one when <paramref name="DerivePsk"/> is set.
/// </param>
public sealed record ResourceServerDtls(int[]? Profiles, bool DerivePsk = false, byte[]? RsPublicKey = null, byte[]? DerivationKey = null);
