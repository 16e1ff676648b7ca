namespace PopIoT.Core.Cose;

/// <summary>Key type (kty) values supported here (RFC 9053 §7, IANA "COSE Key Types").</summary>
public static class CoseKeyType
{
    /// <summary>Octet Key Pair, used for Ed25519 (RFC 9053 §7.2).</summary>
    public const int Okp = 1;

    /// <summary>Elliptic curve with x and y coordinates, used for P-256 (RFC 9053 §7.1).</summary>
    public const int Ec2 = 2;

    /// <summary>Symmetric key (RFC 9053 §6.1).</summary>
    public const int Symmetric = 4;
}
