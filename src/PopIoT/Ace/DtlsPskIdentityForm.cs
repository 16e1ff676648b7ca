namespace PopIoT.Ace;

/// <summary>The two psk_identity forms of RFC 9202 §3.3.</summary>
public enum DtlsPskIdentityForm
{
    /// <summary>
    /// The token is POSTed to /authz-info first; the identity is the CBOR map { cnf: { COSE_Key: { kty: Symmetric,
    /// kid } } } that names its key, e.g. <c>A1 08 A1 01 A2 01 04 02 48 3D 02 78 33 FC 62 67 CE</c>.
    /// </summary>
    Kid,

    /// <summary>The access token itself, exactly as the AS sent it, is the identity; nothing is posted first.</summary>
    Token,
}
