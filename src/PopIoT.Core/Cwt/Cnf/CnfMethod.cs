namespace PopIoT.Core.Cwt;

/// <summary>The confirmation methods of the cnf claim (RFC 8747 §3.1, the "CWT Confirmation Methods" registry, and RFC 9203 §3.2.1).</summary>
public enum CnfMethod
{
    /// <summary>No cnf claim.</summary>
    None = 0,

    /// <summary>COSE_Key (1): the key itself (RFC 8747 §3.2).</summary>
    CoseKey = 1,

    /// <summary>Encrypted_COSE_Key (2): a COSE_Encrypt0 around a COSE_Key, decrypted by the RS (RFC 8747 §3.3).</summary>
    EncryptedCoseKey = 2,

    /// <summary>kid (3): a reference to a key the RS already holds (RFC 8747 §3.4).</summary>
    Kid = 3,

    /// <summary>osc (4): OSCORE_Input_Material (RFC 9203 §3.2.1).</summary>
    OscoreInputMaterial = 4,
}
