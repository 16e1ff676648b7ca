namespace PopIoT.Ace;

/// <summary>How the AS protects an access token for the RS (DESIGN.md §2, RFC 8392 §7.1).</summary>
public enum TokenProtection
{
    /// <summary>
    /// COSE_Mac0 under the AS–RS MAC key. The OSCORE Master Secret must not travel in clear (RFC 9203 §3.2), so cnf holds
    /// it as an Encrypted_COSE_Key (RFC 8747 §3.3) sealed with the AS–RS AEAD key: kid = the input material id, k = ms.
    /// </summary>
    Mac0,

    /// <summary>COSE_Encrypt0 under the AS–RS AEAD key; cnf holds the OSCORE_Input_Material in clear inside (RFC 9203 §3.2.1).</summary>
    Encrypt0,

    /// <summary>
    /// COSE_Sign1 (ES256) under the AS's signing key for this RS, which the RS verifies with the public key; as with
    /// <see cref="Mac0"/>, cnf holds the Master Secret as an Encrypted_COSE_Key sealed with the AS–RS AEAD key.
    /// </summary>
    Sign1,
}
