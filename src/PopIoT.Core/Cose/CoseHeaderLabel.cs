namespace PopIoT.Core.Cose;

/// <summary>Common header parameter labels (RFC 9052 §3.1, IANA "COSE Header Parameters").</summary>
public static class CoseHeaderLabel
{
    /// <summary>alg: the algorithm; int or tstr. Accepted only in the protected bucket (RFC 9052 §3.1).</summary>
    public const int Alg = 1;

    /// <summary>crit: labels the recipient must understand; protected bucket only, non-empty array.</summary>
    public const int Crit = 2;

    /// <summary>content type: a CoAP Content-Format (uint) or a media type (tstr).</summary>
    public const int ContentType = 3;

    /// <summary>kid: a key identifier (bstr).</summary>
    public const int Kid = 4;

    /// <summary>IV: the full nonce (bstr).</summary>
    public const int Iv = 5;

    /// <summary>Partial IV: the changing part of the nonce, combined with a context IV (bstr).</summary>
    public const int PartialIv = 6;
}
