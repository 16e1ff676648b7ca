namespace PopIoT.Core.Cose;

/// <summary>Fixed bounds on what a COSE message may contain; input beyond them is refused with <see cref="CoseError.LimitExceeded"/>.</summary>
public static class CoseLimits
{
    /// <summary>Header labels across the protected and unprotected buckets of one message.</summary>
    public const int MaxHeaderLabels = 16;

    /// <summary>Entries of a crit array.</summary>
    public const int MaxCriticalLabels = 8;

    /// <summary>Bytes of the serialized protected header.</summary>
    public const int MaxProtectedHeaderLength = 256;

    /// <summary>Bytes of a kid (in a header or a COSE_Key).</summary>
    public const int MaxKidLength = 64;

    /// <summary>Nesting depth of CBOR inside a message (header values are skipped within it).</summary>
    public const int MaxDepth = 8;

    /// <summary>Entries of a COSE_Key map.</summary>
    public const int MaxKeyLabels = 16;
}
