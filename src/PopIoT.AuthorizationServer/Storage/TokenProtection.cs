namespace PopIoT.AuthorizationServer.Storage;

/// <summary>
/// How the AS protects the tokens for one resource server (DESIGN.md §2). coap_oscore tokens carry the OSCORE Master
/// Secret, which RFC 9203 §3.2 says MUST be encrypted so only the RS can read it (and CwtValidator refuses it in clear,
/// KeyMaterialNotEncrypted): they need <see cref="Encrypt0"/>, the default.
/// </summary>
public enum TokenProtection
{
    /// <summary>COSE_Mac0 with HMAC 256/64 under the AS–RS key: integrity only, so no coap_oscore tokens (see above).</summary>
    Mac0,

    /// <summary>COSE_Encrypt0 with AES-CCM-16-64-128 under the AS–RS key: the claims, and so the PoP key, are secret (default).</summary>
    Encrypt0,
}
