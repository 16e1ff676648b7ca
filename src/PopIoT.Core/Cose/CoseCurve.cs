namespace PopIoT.Core.Cose;

/// <summary>Elliptic curve (crv) values supported here (RFC 9053 §7.1, IANA "COSE Elliptic Curves").</summary>
public static class CoseCurve
{
    /// <summary>NIST P-256 (kty EC2).</summary>
    public const int P256 = 1;

    /// <summary>Ed25519 for EdDSA (kty OKP).</summary>
    public const int Ed25519 = 6;
}
