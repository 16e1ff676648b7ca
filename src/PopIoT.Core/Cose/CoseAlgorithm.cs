using System;

namespace PopIoT.Core.Cose;

/// <summary>
/// A COSE algorithm this library implements, with its IANA number and name and the sizes that
/// go with it (RFC 9053). Instances are fixed; look them up with <see cref="FromId"/>,
/// <see cref="FromName"/> or <see cref="Parse"/>. Only these ten exist: anything else is unsupported.
/// </summary>
public sealed class CoseAlgorithm
{
    /// <summary>HMAC 256/64: HMAC-SHA256 truncated to 64 bits (RFC 9053 §3.1, id 4).</summary>
    public static readonly CoseAlgorithm Hmac256_64 = new CoseAlgorithm(4, "HMAC 256/64", CoseAlgorithmKind.Mac, 32, 8, 0);

    /// <summary>HMAC 256/256: HMAC-SHA256 (RFC 9053 §3.1, id 5).</summary>
    public static readonly CoseAlgorithm Hmac256_256 = new CoseAlgorithm(5, "HMAC 256/256", CoseAlgorithmKind.Mac, 32, 32, 0);

    /// <summary>AES-CCM-16-64-128: 128-bit key, 64-bit tag, 13-byte nonce (RFC 9053 §4.2, id 10).</summary>
    public static readonly CoseAlgorithm AesCcm16_64_128 = new CoseAlgorithm(10, "AES-CCM-16-64-128", CoseAlgorithmKind.Aead, 16, 8, 13);

    /// <summary>AES-CCM-16-128-128: 128-bit key, 128-bit tag, 13-byte nonce (RFC 9053 §4.2, id 30).</summary>
    public static readonly CoseAlgorithm AesCcm16_128_128 = new CoseAlgorithm(30, "AES-CCM-16-128-128", CoseAlgorithmKind.Aead, 16, 16, 13);

    /// <summary>AES-CCM-64-64-128: 128-bit key, 64-bit tag, 7-byte nonce (RFC 9053 §4.2, id 12).</summary>
    public static readonly CoseAlgorithm AesCcm64_64_128 = new CoseAlgorithm(12, "AES-CCM-64-64-128", CoseAlgorithmKind.Aead, 16, 8, 7);

    /// <summary>AES-CCM-64-128-128: 128-bit key, 128-bit tag, 7-byte nonce (RFC 9053 §4.2, id 32).</summary>
    public static readonly CoseAlgorithm AesCcm64_128_128 = new CoseAlgorithm(32, "AES-CCM-64-128-128", CoseAlgorithmKind.Aead, 16, 16, 7);

    /// <summary>A128GCM: AES-GCM, 128-bit key, 128-bit tag, 12-byte nonce (RFC 9053 §4.1, id 1). Needs <see cref="Crypto.IAesGcmProvider"/>.</summary>
    public static readonly CoseAlgorithm A128Gcm = new CoseAlgorithm(1, "A128GCM", CoseAlgorithmKind.Aead, 16, 16, 12);

    /// <summary>A256GCM: AES-GCM, 256-bit key, 128-bit tag, 12-byte nonce (RFC 9053 §4.1, id 3). Needs <see cref="Crypto.IAesGcmProvider"/>.</summary>
    public static readonly CoseAlgorithm A256Gcm = new CoseAlgorithm(3, "A256GCM", CoseAlgorithmKind.Aead, 32, 16, 12);

    /// <summary>ES256: ECDSA P-256 with SHA-256, 64-byte r || s signature (RFC 9053 §2.1, id -7). Needs <see cref="Crypto.ISignatureProvider"/>.</summary>
    public static readonly CoseAlgorithm ES256 = new CoseAlgorithm(-7, "ES256", CoseAlgorithmKind.Signature, 32, 64, 0);

    /// <summary>EdDSA, here with Ed25519 only: 64-byte signature (RFC 9053 §2.2, id -8). Needs <see cref="Crypto.ISignatureProvider"/>.</summary>
    public static readonly CoseAlgorithm EdDSA = new CoseAlgorithm(-8, "EdDSA", CoseAlgorithmKind.Signature, 32, 64, 0);

    // Field initializers run in text order, so the instances above exist when this table is built.
    private static readonly CoseAlgorithm[] All = new CoseAlgorithm[]
    {
        Hmac256_64, Hmac256_256, AesCcm16_64_128, AesCcm16_128_128, AesCcm64_64_128, AesCcm64_128_128, A128Gcm, A256Gcm, ES256, EdDSA,
    };

    private CoseAlgorithm(int id, string name, CoseAlgorithmKind kind, int keySize, int tagSize, int nonceSize)
    {
        Id = id;
        Name = name;
        Kind = kind;
        KeySize = keySize;
        TagSize = tagSize;
        NonceSize = nonceSize;
    }

    /// <summary>The IANA "COSE Algorithms" value.</summary>
    public int Id { get; }

    /// <summary>The IANA name, e.g. "HMAC 256/64", "AES-CCM-16-64-128", "ES256".</summary>
    public string Name { get; }

    /// <summary>MAC, AEAD or signature.</summary>
    public CoseAlgorithmKind Kind { get; }

    /// <summary>Key size in bytes: the AES key, the HMAC key minimum (the hash size), or the curve's coordinate/private key size.</summary>
    public int KeySize { get; }

    /// <summary>Tag size in bytes (MAC or AEAD tag), or the signature size.</summary>
    public int TagSize { get; }

    /// <summary>Nonce (IV) size in bytes for AEAD algorithms; 0 otherwise.</summary>
    public int NonceSize { get; }

    /// <summary>The number of algorithms known here.</summary>
    public static int Count
    {
        get { return All.Length; }
    }

    /// <summary>The algorithm at a position of the table, 0 to <see cref="Count"/> − 1 (for listing them).</summary>
    /// <param name="index">The position.</param>
    /// <returns>The algorithm.</returns>
    public static CoseAlgorithm At(int index)
    {
        return All[index];
    }

    /// <summary>Finds an algorithm by its IANA number.</summary>
    /// <param name="id">The number.</param>
    /// <returns>The algorithm, or null when it is not implemented here.</returns>
    public static CoseAlgorithm FromId(int id)
    {
        for (int i = 0; i < All.Length; i++)
        {
            if (All[i].Id == id)
            {
                return All[i];
            }
        }

        return null;
    }

    /// <summary>Finds an algorithm by its exact IANA name (ordinal, case-sensitive: "A128GCM", "HMAC 256/64").</summary>
    /// <param name="name">The name.</param>
    /// <returns>The algorithm, or null.</returns>
    public static CoseAlgorithm FromName(string name)
    {
        if (name == null)
        {
            return null;
        }

        for (int i = 0; i < All.Length; i++)
        {
            if (All[i].Name == name)
            {
                return All[i];
            }
        }

        return null;
    }

    /// <summary>Accepts either the IANA name or the decimal number ("HMAC 256/64" or "4", "ES256" or "-7").</summary>
    /// <param name="nameOrNumber">The text.</param>
    /// <returns>The algorithm, or null when the text names none implemented here.</returns>
    public static CoseAlgorithm Parse(string nameOrNumber)
    {
        CoseAlgorithm byName = FromName(nameOrNumber);
        if (byName != null)
        {
            return byName;
        }

        int number;
        return TryParseInt(nameOrNumber, out number) ? FromId(number) : null;
    }

    /// <summary>The IANA name.</summary>
    /// <returns>The name.</returns>
    public override string ToString()
    {
        return Name;
    }

    // Nano's mscorlib has no culture-aware parsing to rely on; a short decimal parser suffices.
    private static bool TryParseInt(string text, out int value)
    {
        value = 0;
        if (text == null || text.Length == 0 || text.Length > 6)
        {
            return false;
        }

        int i = 0;
        bool negative = false;
        if (text[0] == '-')
        {
            negative = true;
            i = 1;
            if (text.Length == 1)
            {
                return false;
            }
        }

        int v = 0;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (c < '0' || c > '9')
            {
                return false;
            }

            v = (v * 10) + (c - '0');
        }

        value = negative ? -v : v;
        return true;
    }
}
