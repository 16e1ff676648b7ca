using PopIoT.Ace;

namespace PopIoT.AuthorizationServer.Storage;

/// <summary>A registered resource server: the audience and how tokens for it are made.</summary>
/// <param name="Audience">The aud value (RFC 8392 §3.1.3) the RS checks.</param>
/// <param name="CoseKey">The AS–RS key as an encoded COSE_Key, with kid and alg (secret).</param>
/// <param name="Protection">Mac0 or Encrypt0.</param>
/// <param name="Profiles">The ACE profiles the RS supports (RFC 9200 §5.8.4.3).</param>
/// <param name="HasClock">Whether the RS has a clock: exp for it, else exi (RFC 9200 §5.10.3).</param>
/// <param name="MaxTokenBytes">The largest token the RS accepts.</param>
/// <param name="Credential">The OSCORE context the RS introspects with, or null.</param>
/// <param name="CreatedAt">Registration time, Unix seconds.</param>
/// <param name="RsPublicKey">The RS's own public COSE_Key for DTLS RPK mode, given to clients as rs_cnf (RFC 9202 §3.2.1), or null.</param>
public sealed record ResourceServerRecord(
    string Audience, byte[] CoseKey, TokenProtection Protection, int[] Profiles, bool HasClock, int MaxTokenBytes, OscoreCredential? Credential, long CreatedAt, byte[]? RsPublicKey = null);
