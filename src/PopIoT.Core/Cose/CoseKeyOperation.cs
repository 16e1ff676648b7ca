namespace PopIoT.Core.Cose;

/// <summary>key_ops values (RFC 9052 §7.1, Table 5).</summary>
public static class CoseKeyOperation
{
    /// <summary>sign: create signatures (needs the private key).</summary>
    public const int Sign = 1;

    /// <summary>verify: check signatures.</summary>
    public const int Verify = 2;

    /// <summary>encrypt.</summary>
    public const int Encrypt = 3;

    /// <summary>decrypt.</summary>
    public const int Decrypt = 4;

    /// <summary>wrap key.</summary>
    public const int WrapKey = 5;

    /// <summary>unwrap key.</summary>
    public const int UnwrapKey = 6;

    /// <summary>derive key.</summary>
    public const int DeriveKey = 7;

    /// <summary>derive bits.</summary>
    public const int DeriveBits = 8;

    /// <summary>MAC create.</summary>
    public const int MacCreate = 9;

    /// <summary>MAC verify.</summary>
    public const int MacVerify = 10;
}
