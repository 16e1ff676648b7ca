namespace PopIoT.Core.Cose;

/// <summary>What an algorithm does, and so which message structure it belongs to.</summary>
public enum CoseAlgorithmKind
{
    /// <summary>A MAC (COSE_Mac0, RFC 9053 §3).</summary>
    Mac = 1,

    /// <summary>An AEAD content encryption algorithm (COSE_Encrypt0, RFC 9053 §4).</summary>
    Aead = 2,

    /// <summary>A signature (COSE_Sign1, RFC 9053 §2).</summary>
    Signature = 3,
}
