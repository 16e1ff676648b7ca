namespace PopIoT.Core.Cose;

/// <summary>COSE_Key map labels (RFC 9052 §7.1 common parameters; RFC 9053 §7.1, §7.2, §6.1 key-type parameters).</summary>
public static class CoseKeyLabel
{
    /// <summary>kty: the key type (<see cref="CoseKeyType"/>).</summary>
    public const int Kty = 1;

    /// <summary>kid: the key identifier (bstr).</summary>
    public const int Kid = 2;

    /// <summary>alg: the one algorithm the key may be used with.</summary>
    public const int Alg = 3;

    /// <summary>key_ops: the operations the key may be used for (<see cref="CoseKeyOperation"/>).</summary>
    public const int KeyOps = 4;

    /// <summary>Base IV: the context IV for Partial IV messages (RFC 9052 §7.1).</summary>
    public const int BaseIv = 5;

    /// <summary>k: the symmetric key bytes (kty Symmetric, RFC 9053 §6.1).</summary>
    public const int K = -1;

    /// <summary>crv: the curve (kty EC2 and OKP, RFC 9053 §7.1, §7.2); same label as k, another key type.</summary>
    public const int Crv = -1;

    /// <summary>x: the x coordinate (EC2) or the public key (OKP).</summary>
    public const int X = -2;

    /// <summary>y: the y coordinate (EC2 only); bstr, or a bool sign bit for point compression.</summary>
    public const int Y = -3;

    /// <summary>d: the private key.</summary>
    public const int D = -4;
}
