using System;

using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;

using Xunit;

using static PopIoT.Core.Tests.Cose.CoseTestSupport;

using Sfc = System.Formats.Cbor;

namespace PopIoT.Core.Tests.Cose;

/// <summary>COSE_Key (RFC 9052 §7, RFC 9053 §6–7): decode in any order, deterministic encode, refusals, erasure.</summary>
public class CoseKeyTests
{
    [Fact]
    public void A21_symmetric_key_decodes_with_labels_in_rfc_order()
    {
        // A.2.1 is written -1, 1, 2, 3: not deterministic order, which the decoder must accept.
        using CoseKey key = KeySymmetric128();
        Assert.Equal(CoseKeyType.Symmetric, key.KeyType);
        Assert.Equal(CoseAlgorithm.AesCcm16_64_128.Id, key.Algorithm);
        Assert.Equal("Symmetric128"u8.ToArray(), key.GetKid());
        Assert.True(key.HasPrivateKey);
        Assert.False(key.HasKeyOperations);
    }

    [Fact]
    public void A23_ec2_key_decodes()
    {
        using CoseKey key = KeyEcdsa256();
        Assert.Equal(CoseKeyType.Ec2, key.KeyType);
        Assert.Equal(CoseCurve.P256, key.Curve);
        Assert.Equal(CoseAlgorithm.ES256.Id, key.Algorithm);
        Assert.True(key.HasPrivateKey);
        Assert.False(key.ToPublicKey()!.HasPrivateKey);
    }

    [Fact]
    public void Encoding_is_deterministic_and_decodes_to_the_same_key()
    {
        using CoseKey key = KeyEcdsa256();
        key.SetKeyOperations([CoseKeyOperation.Verify, CoseKeyOperation.Sign]);
        byte[] encoded = key.Encode();

        // RFC 8949 §4.2.1: keys sorted by their encoding, so 1, 2, 3, 4, -1, -2, -3, -4.
        var r = new Sfc.CborReader(encoded, Sfc.CborConformanceMode.Canonical);
        r.SkipValue();
        Assert.Equal(0, r.BytesRemaining);

        Assert.Equal(CoseError.None, CoseKey.Decode(encoded, 0, encoded.Length, out CoseKey? again));
        Assert.Equal(encoded, again!.Encode());
        Assert.True(again.Permits(CoseKeyOperation.Sign));
        Assert.False(again.Permits(CoseKeyOperation.Decrypt));

        using CoseKey sym = KeySymmetric128();
        byte[] symEncoded = sym.Encode();
        Assert.Equal(Core.Tests.Crypto.CryptoTestSupport.Hex("a40104024c53796d6d6574726963313238030a2050231f4c4d4d3051fdc2ec0a3851d5b383"), symEncoded);
    }

    [Fact]
    public void Ed25519_key_round_trips()
    {
        byte[] x = new byte[32];
        x[0] = 1;
        using CoseKey key = CoseKey.OkpEd25519(x, new byte[32], CoseAlgorithm.EdDSA.Id, [9]);
        byte[] encoded = key.Encode();
        Assert.Equal(CoseError.None, CoseKey.Decode(encoded, 0, encoded.Length, out CoseKey? again));
        Assert.Equal(CoseKeyType.Okp, again!.KeyType);
        Assert.Equal(CoseCurve.Ed25519, again.Curve);
        Assert.Equal(encoded, again.Encode());
    }

    [Fact]
    public void Compressed_y_is_refused_by_name()
    {
        byte[] k = Map(w =>
        {
            w.WriteStartMap(4);
            w.WriteInt32(1); w.WriteInt32(2);
            w.WriteInt32(-1); w.WriteInt32(1);
            w.WriteInt32(-2); w.WriteByteString(Vector("A.2.3_x_hex"));
            w.WriteInt32(-3); w.WriteBoolean(true);
            w.WriteEndMap();
        });
        Assert.Equal(CoseError.UnsupportedKeyType, CoseKey.Decode(k, 0, k.Length, out CoseKey? key));
        Assert.Null(key);
    }

    [Theory]
    [InlineData("a201040104", CoseError.DuplicateLabel)]           // kty twice
    [InlineData("a10104", CoseError.InvalidKey)]                   // Symmetric without k
    [InlineData("a1010a", CoseError.UnsupportedKeyType)]           // kty 10
    [InlineData("a2010420f5", CoseError.InvalidKey)]               // k not a bstr
    [InlineData("a201022001", CoseError.InvalidKey)]               // EC2 without x, y
    [InlineData("a3010220182a215820", CoseError.Malformed)]        // truncated
    [InlineData("a2010420410000", CoseError.Malformed)]            // trailing byte
    [InlineData("80", CoseError.Malformed)]                        // not a map
    [InlineData("a2010403", CoseError.Malformed)]                  // alg without its value
    [InlineData("a3010404816178204101", CoseError.InvalidKey)]     // key_ops lists a text value
    [InlineData("a301040420204101", CoseError.Malformed)]          // key_ops is not an array
    public void Bad_keys_are_refused_without_exceptions(string hex, CoseError expected)
    {
        byte[] k = Core.Tests.Crypto.CryptoTestSupport.Hex(hex);
        Assert.Equal(expected, CoseKey.Decode(k, 0, k.Length, out CoseKey? key));
        Assert.Null(key);
    }

    [Fact]
    public void Random_bytes_never_throw_from_decode()
    {
        var rng = SeededRandomSource.NewRandom(7);
        byte[] good = KeyEcdsa256().Encode();
        for (int i = 0; i < 5000; i++)
        {
            byte[] m = (byte[])good.Clone();
            int changes = rng.Next(1, 4);
            for (int c = 0; c < changes; c++)
            {
                m[rng.Next(m.Length)] = (byte)rng.Next(256);
            }

            int len = rng.Next(3) == 0 ? rng.Next(m.Length + 1) : m.Length;
            CoseError e = CoseKey.Decode(m, 0, len, out CoseKey? key);
            Assert.True(Enum.IsDefined(e));
            Assert.Equal(e == CoseError.None, key is not null);
        }
    }

    [Fact]
    public void Dispose_erases_the_secret_parts()
    {
        CoseKey key = KeySymmetric128();
        byte[] k = key.K;
        key.Dispose();
        Assert.All(k, b => Assert.Equal(0, b));
        Assert.False(key.HasPrivateKey);
        Assert.True(key.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => key.Encode(new CborWriter(new byte[100])));
    }

    [Fact]
    public void Kid_comparison_and_factories_validate_sizes()
    {
        using CoseKey key = KeySymmetric256Hmac();
        byte[] kid = "Symmetric256"u8.ToArray();
        Assert.True(key.KidEquals(kid, 0, kid.Length));
        Assert.False(key.KidEquals(kid, 0, kid.Length - 1));
        Assert.Throws<ArgumentException>(() => CoseKey.Symmetric([], 4, null));
        Assert.Throws<ArgumentException>(() => CoseKey.Ec2P256(new byte[31], new byte[32], null, -7, null));
        Assert.Throws<ArgumentException>(() => CoseKey.OkpEd25519(new byte[32], new byte[31], -8, null));
        Assert.Throws<ArgumentException>(() => key.SetKeyOperations([11]));
    }
}
