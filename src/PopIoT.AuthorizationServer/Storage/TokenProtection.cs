namespace PopIoT.AuthorizationServer.Storage;

/// <summary>How the AS protects the tokens for one resource server (DESIGN.md §2).</summary>
public enum TokenProtection
{
    /// <summary>COSE_Mac0 with HMAC 256/64 under the AS–RS key (the default).</summary>
    Mac0,

    /// <summary>COSE_Encrypt0 with AES-CCM-16-64-128 under the AS–RS key: the claims, and so the PoP key, are secret.</summary>
    Encrypt0,
}
