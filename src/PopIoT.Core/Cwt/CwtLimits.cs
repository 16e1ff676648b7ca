namespace PopIoT.Core.Cwt;

/// <summary>Fixed bounds of CWT processing (DESIGN.md §6: every limit is explicit).</summary>
public static class CwtLimits
{
    /// <summary>Most claims in one claims set; more gives <see cref="CwtError.LimitExceeded"/>.</summary>
    public const int MaxClaims = 32;

    /// <summary>CBOR nesting allowed inside a token (claims set, cnf, COSE_Key, AIF scope).</summary>
    public const int MaxDepth = 8;

    /// <summary>Default size of a result's buffer for a decrypted (Encrypt0) token payload.</summary>
    public const int DefaultMaxPlaintext = 1024;

    /// <summary>Size of a result's buffer for a decrypted Encrypted_COSE_Key (a COSE_Key is far smaller).</summary>
    public const int MaxCnfPlaintext = 256;

    /// <summary>Most labels in a cnf COSE_Key or OSCORE_Input_Material.</summary>
    public const int MaxKeyLabels = 16;

    /// <summary>Largest clock skew a validator accepts, in seconds (one day).</summary>
    public const int MaxSkewSeconds = 86400;
}
