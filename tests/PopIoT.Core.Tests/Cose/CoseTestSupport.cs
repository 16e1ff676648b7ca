using System;
using System.IO;
using System.Text.Json;

using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Tests.Crypto;
using PopIoT.Crypto;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Core.Tests.Cose;

/// <summary>RFC 8392 Appendix A vectors, their keys, and builders for hand-made (hostile) COSE messages.</summary>
internal static class CoseTestSupport
{
    private static readonly Lazy<JsonElement> Vectors = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(CryptoTestSupport.VectorsDir, "rfc8392", "rfc8392-appendixA.json"))).RootElement);

    public static ICryptoProvider Managed { get; } = new ManagedCryptoProvider(new SeededRandomSource(9052));

    public static ICryptoProvider Platform => PlatformCryptoProvider.Instance;

    public static byte[] Vector(string name) => CryptoTestSupport.Hex(Vectors.Value.GetProperty(name).GetString()!);

    /// <summary>A.1 claims, the payload of A.3–A.6.</summary>
    public static byte[] Claims => Vector("A.1_claims_set_hex");

    /// <summary>A.2.1: 128-bit symmetric key, kid "Symmetric128", alg 10.</summary>
    public static CoseKey KeySymmetric128()
    {
        byte[] encoded = Vector("A.2.1_key_symmetric128_cose_key_hex");
        Assert(CoseKey.Decode(encoded, 0, encoded.Length, out CoseKey? key) == CoseError.None);
        return key!;
    }

    /// <summary>
    /// A.2.2's k with alg 4 (HMAC 256/64). The RFC's hex for this key says alg 10 (see
    /// tests/vectors/README.md); its text and A.4/A.7 use HMAC 256/64, so the key is rebuilt here.
    /// </summary>
    public static CoseKey KeySymmetric256Hmac() =>
        CoseKey.Symmetric(Vector("A.2.2_k_hex"), CoseAlgorithm.Hmac256_64.Id, "Symmetric256"u8.ToArray());

    /// <summary>A.2.3: ECDSA P-256 key (with d), kid "AsymmetricECDSA256", alg ES256.</summary>
    public static CoseKey KeyEcdsa256()
    {
        byte[] encoded = Vector("A.2.3_key_ecdsa_p256_cose_key_hex");
        Assert(CoseKey.Decode(encoded, 0, encoded.Length, out CoseKey? key) == CoseError.None);
        return key!;
    }

    /// <summary>A.2.3 public part only.</summary>
    public static CoseKey KeyEcdsa256Public() =>
        CoseKey.Ec2P256(Vector("A.2.3_x_hex"), Vector("A.2.3_y_hex"), null, CoseAlgorithm.ES256.Id, "AsymmetricECDSA256"u8.ToArray());

    public static byte[] StripCwtTag(byte[] data)
    {
        CoseTag.PeelCwtTag(data, 0, data.Length, out int o, out int n);
        return data.AsSpan(o, n).ToArray();
    }

    /// <summary>
    /// A COSE_Mac0 (HMAC-SHA256 truncated to <paramref name="tagSize"/>) with arbitrary header
    /// buckets, MACed correctly, so that a refusal can only come from the header rules.
    /// </summary>
    public static byte[] HandMadeMac0(byte[] key, byte[] protectedBytes, Action<Sfc.CborWriter> writeUnprotected, byte[] payload, int tagSize = 8, ulong? tag = 17)
    {
        var tbs = new Sfc.CborWriter();
        tbs.WriteStartArray(4);
        tbs.WriteTextString("MAC0");
        tbs.WriteByteString(protectedBytes);
        tbs.WriteByteString([]);
        tbs.WriteByteString(payload);
        tbs.WriteEndArray();
        byte[] mac = System.Security.Cryptography.HMACSHA256.HashData(key, tbs.Encode());

        var w = new Sfc.CborWriter(Sfc.CborConformanceMode.Lax, allowMultipleRootLevelValues: false);
        if (tag is not null)
        {
            w.WriteTag((Sfc.CborTag)tag.Value);
        }

        w.WriteStartArray(4);
        w.WriteByteString(protectedBytes);
        writeUnprotected(w);
        w.WriteByteString(payload);
        w.WriteByteString(mac.AsSpan(0, tagSize));
        w.WriteEndArray();
        return w.Encode();
    }

    /// <summary>Encodes a map with the writer callback (Lax: duplicate keys allowed).</summary>
    public static byte[] Map(Action<Sfc.CborWriter> write)
    {
        var w = new Sfc.CborWriter(Sfc.CborConformanceMode.Lax);
        write(w);
        return w.Encode();
    }

    private static void Assert(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("test vector key did not decode");
        }
    }
}
