using System.Security.Cryptography;

using CsCheck;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC.Multiplier;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Org.BouncyCastle.Utilities;
using PopIoT.Core.Cose;
using PopIoT.Dtls;
using Xunit;

namespace PopIoT.Tests.Dtls;

/// <summary>
/// The RPK glue (RFC 7250, RFC 9202 §3.2): COSE_Key, BouncyCastle parameters and SubjectPublicKeyInfo round-trip for
/// arbitrary P-256 key pairs, the DER matches the platform's own encoding of the same key, and malformed keys (another
/// curve, a missing or short coordinate, a point off the curve, a mismatched d, arbitrary bytes) are refused with a
/// FormatException that says why, never another exception.
/// </summary>
public sealed class DtlsRawPublicKeyTests
{
    private static readonly Gen<BigInteger> Scalar = Gen.Byte.Array[32].Select(b =>
    {
        BigInteger d = new BigInteger(1, b).Mod(DtlsRawPublicKey.Domain.N);
        return d.SignValue == 0 ? BigInteger.One : d;
    });

    [Fact]
    public void Key_pairs_round_trip_through_cose_key_bouncycastle_and_spki()
    {
        Scalar.Sample(d =>
        {
            (byte[] x, byte[] y, byte[] dBytes) = Pair(d);
            using CoseKey pair = CoseKey.Ec2P256(x, y, dBytes, CoseAlgorithm.ES256.Id, [1, 2]);

            ECPrivateKeyParameters priv = DtlsRawPublicKey.PrivateKeyFromCoseKey(pair);
            Assert.Equal(d, priv.D);
            ECPublicKeyParameters pub = DtlsRawPublicKey.PublicKeyFromCoseKey(pair);
            Assert.Equal(x, BigIntegers.AsUnsignedByteArray(32, pub.Q.AffineXCoord.ToBigInteger()));
            Assert.Equal(y, BigIntegers.AsUnsignedByteArray(32, pub.Q.AffineYCoord.ToBigInteger()));

            byte[] cose = DtlsRawPublicKey.EncodeCoseKey(pub);
            Assert.True(DtlsRawPublicKey.PublicKeysEqual(pub, DtlsRawPublicKey.PublicKeyFromCoseKey(cose, 0, cose.Length)));
            using CoseKey core = DtlsRawPublicKey.ToCoseKey(pub);
            Assert.False(core.HasPrivateKey);
            Assert.Equal(cose, core.Encode());

            byte[] spki = DtlsRawPublicKey.EncodeSubjectPublicKeyInfo(pub);
            Assert.True(DtlsRawPublicKey.PublicKeysEqual(pub, DtlsRawPublicKey.PublicKeyFromSubjectPublicKeyInfo(spki)));

            // The platform encodes the same key to the same DER (RFC 5480: namedCurve, uncompressed point).
            using ECDsa platform = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
            Assert.Equal(platform.ExportSubjectPublicKeyInfo(), spki);
        }, iter: 40);
    }

    [Fact]
    public void The_encoded_cose_key_is_deterministic_and_the_thumbprint_hashes_it()
    {
        (byte[] x, byte[] y, _) = Pair(BigInteger.ValueOf(7));
        byte[] expected = [0xA4, 0x01, 0x02, 0x20, 0x01, 0x21, 0x58, 0x20, .. x, 0x22, 0x58, 0x20, .. y];
        using CoseKey key = CoseKey.Ec2P256(x, y, null!, 0, null!);
        ECPublicKeyParameters pub = DtlsRawPublicKey.PublicKeyFromCoseKey(key);
        Assert.Equal(expected, DtlsRawPublicKey.EncodeCoseKey(pub));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), DtlsRawPublicKey.Thumbprint(pub));
    }

    [Fact]
    public void Different_keys_are_not_equal_and_the_same_key_by_any_route_is()
    {
        Gen.Select(Scalar, Scalar).Sample((a, b) =>
        {
            ECPublicKeyParameters ka = Public(a), kb = Public(b);
            Assert.Equal(a.Equals(b), DtlsRawPublicKey.PublicKeysEqual(ka, kb));
            Assert.True(DtlsRawPublicKey.PublicKeysEqual(ka, DtlsRawPublicKey.PublicKeyFromSubjectPublicKeyInfo(DtlsRawPublicKey.EncodeSubjectPublicKeyInfo(ka))));
        }, iter: 20);
    }

    [Fact]
    public void A_key_with_the_same_x_and_the_other_y_is_another_key()
    {
        // -Q shares x with Q: a comparison of x alone (or of a compressed form without its sign) would let it pass.
        Scalar.Sample(d =>
        {
            ECPublicKeyParameters q = Public(d);
            ECPublicKeyParameters negated = Public(DtlsRawPublicKey.Domain.N.Subtract(d));
            Assert.Equal(q.Q.Normalize().AffineXCoord, negated.Q.Normalize().AffineXCoord);
            Assert.False(DtlsRawPublicKey.PublicKeysEqual(q, negated));
            Assert.NotEqual(DtlsRawPublicKey.Thumbprint(q), DtlsRawPublicKey.Thumbprint(negated));
        }, iter: 10);
    }

    [Fact]
    public void A_raw_public_key_certificate_carries_the_spki_and_reads_back()
    {
        var crypto = new BcTlsCrypto();
        ECPublicKeyParameters pub = Public(BigInteger.ValueOf(12345));
        Certificate cert = DtlsRawPublicKey.Certificate(crypto, pub);
        Assert.Equal(CertificateType.RawPublicKey, cert.CertificateType);
        Assert.Equal(DtlsRawPublicKey.EncodeSubjectPublicKeyInfo(pub), cert.GetCertificateAt(0).GetEncoded());
        Assert.True(DtlsRawPublicKey.PublicKeysEqual(pub, DtlsRawPublicKey.PublicKeyFromCertificate(cert)));

        var two = new Certificate(CertificateType.RawPublicKey, null, [cert.GetCertificateEntryAt(0), cert.GetCertificateEntryAt(0)]);
        Assert.Contains("2 entries", Assert.Throws<FormatException>(() => DtlsRawPublicKey.PublicKeyFromCertificate(two)).Message, StringComparison.Ordinal);
        var x509 = new Certificate([cert.GetCertificateAt(0)]);
        Assert.Contains("not RawPublicKey", Assert.Throws<FormatException>(() => DtlsRawPublicKey.PublicKeyFromCertificate(x509)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_cose_keys_are_refused_with_the_reason()
    {
        (byte[] x, byte[] y, byte[] d) = Pair(BigInteger.ValueOf(99));
        byte[] offCurve = (byte[])y.Clone();
        offCurve[31] ^= 1;
        byte[] p = BigIntegers.AsUnsignedByteArray(32, DtlsRawPublicKey.Domain.Curve.Field.Characteristic);
        (byte[] otherX, byte[] otherY, _) = Pair(BigInteger.ValueOf(100));

        Refused("P-256 (1)", Map((1, Int(2)), (-1, Int(2)), (-2, Bytes(x)), (-3, Bytes(y))));
        Refused("not EC2", Map((1, Int(1)), (-1, Int(6)), (-2, Bytes(x))));
        Refused("no kty", Map((-1, Int(1)), (-2, Bytes(x)), (-3, Bytes(y))));
        Refused("no crv", Map((1, Int(2)), (-2, Bytes(x)), (-3, Bytes(y))));
        Refused("lacks y", Map((1, Int(2)), (-1, Int(1)), (-2, Bytes(x))));
        Refused("lacks x", Map((1, Int(2)), (-1, Int(1)), (-3, Bytes(y))));
        Refused("compressed", Map((1, Int(2)), (-1, Int(1)), (-2, Bytes(x)), (-3, [0xF5])));
        Refused("31 bytes", Map((1, Int(2)), (-1, Int(1)), (-2, Bytes(x[1..])), (-3, Bytes(y))));
        Refused("not on P-256", Map((1, Int(2)), (-1, Int(1)), (-2, Bytes(x)), (-3, Bytes(offCurve))));
        Refused("not below p", Map((1, Int(2)), (-1, Int(1)), (-2, Bytes(p)), (-3, Bytes(y))));
        Refused("private key", Map((1, Int(2)), (-1, Int(1)), (-2, Bytes(x)), (-3, Bytes(y)), (-4, Bytes(d))));
        Refused("repeats label", Map((1, Int(2)), (-1, Int(1)), (-2, Bytes(x)), (-2, Bytes(x)), (-3, Bytes(y))));
        Refused("not a byte string", Map((1, Int(2)), (-1, Int(1)), (-2, [0x61, 0x78]), (-3, Bytes(y))));
        Refused("not a CBOR map", [0x82, 0x01, 0x02]);
        Refused("bytes after the map", [.. Map((1, Int(2)), (-1, Int(1)), (-2, Bytes(x)), (-3, Bytes(y))), 0x00]);

        // A key pair whose d belongs to another point.
        using CoseKey mismatched = CoseKey.Ec2P256(otherX, otherY, d, 0, null!);
        Assert.Contains("does not match", Assert.Throws<FormatException>(() => DtlsRawPublicKey.PrivateKeyFromCoseKey(mismatched)).Message, StringComparison.Ordinal);
        using CoseKey publicOnly = CoseKey.Ec2P256(x, y, null!, 0, null!);
        Assert.Contains("no private key", Assert.Throws<FormatException>(() => DtlsRawPublicKey.PrivateKeyFromCoseKey(publicOnly)).Message, StringComparison.Ordinal);
        using CoseKey ed = CoseKey.OkpEd25519(x, null!, 0, null!);
        Assert.Contains("not EC2", Assert.Throws<FormatException>(() => DtlsRawPublicKey.PublicKeyFromCoseKey(ed)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_spki_are_refused_with_the_reason()
    {
        using ECDsa p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Contains("not secp256r1", Assert.Throws<FormatException>(() => DtlsRawPublicKey.PublicKeyFromSubjectPublicKeyInfo(p384.ExportSubjectPublicKeyInfo())).Message, StringComparison.Ordinal);
        using RSA rsa = RSA.Create(1024);
        Assert.Contains("not id-ecPublicKey", Assert.Throws<FormatException>(() => DtlsRawPublicKey.PublicKeyFromSubjectPublicKeyInfo(rsa.ExportSubjectPublicKeyInfo())).Message, StringComparison.Ordinal);
        byte[] spki = DtlsRawPublicKey.EncodeSubjectPublicKeyInfo(Public(BigInteger.ValueOf(5)));
        spki[^1] ^= 1;
        Assert.Contains("P-256", Assert.Throws<FormatException>(() => DtlsRawPublicKey.PublicKeyFromSubjectPublicKeyInfo(spki)).Message, StringComparison.Ordinal);
        Assert.Contains("not a DER", Assert.Throws<FormatException>(() => DtlsRawPublicKey.PublicKeyFromSubjectPublicKeyInfo([0x30, 0x05, 0x01])).Message, StringComparison.Ordinal);

        // The subjectPublicKey BIT STRING with unused bits (byte 25, after 03 42): not an octet string of a point.
        byte[] padded = DtlsRawPublicKey.EncodeSubjectPublicKeyInfo(Public(BigInteger.ValueOf(5)));
        Assert.Equal(new byte[] { 0x03, 0x42, 0x00, 0x04 }, padded[23..27]);
        padded[25] = 3;
        Assert.Contains("not a P-256 point", Assert.Throws<FormatException>(() => DtlsRawPublicKey.PublicKeyFromSubjectPublicKeyInfo(padded)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Arbitrary_and_byte_varied_input_gives_a_key_or_a_format_exception()
    {
        byte[] cose = DtlsRawPublicKey.EncodeCoseKey(Public(BigInteger.ValueOf(31337)));
        byte[] spki = DtlsRawPublicKey.EncodeSubjectPublicKeyInfo(Public(BigInteger.ValueOf(31337)));
        Gen.OneOf(
            Gen.Byte.Array[0, 120],
            Gen.Select(Gen.Int[0, cose.Length - 1], Gen.Byte).Select((i, b) => Vary(cose, i, b)),
            Gen.Select(Gen.Int[0, spki.Length - 1], Gen.Byte).Select((i, b) => Vary(spki, i, b))).Sample(bytes =>
        {
            Accepted(() => DtlsRawPublicKey.PublicKeyFromCoseKey(bytes, 0, bytes.Length));
            Accepted(() => DtlsRawPublicKey.PublicKeyFromSubjectPublicKeyInfo(bytes));
        }, iter: 3000);
    }

    private static void Accepted(Func<ECPublicKeyParameters> read)
    {
        try
        {
            ECPublicKeyParameters key = read();
            Assert.True(key.Q.IsValid());
        }
        catch (FormatException e)
        {
            Assert.False(string.IsNullOrEmpty(e.Message));
        }
    }

    private static byte[] Vary(byte[] input, int index, byte value)
    {
        byte[] copy = (byte[])input.Clone();
        copy[index] = value;
        return copy;
    }

    private static void Refused(string reason, byte[] encoded)
    {
        var e = Assert.Throws<FormatException>(() => DtlsRawPublicKey.PublicKeyFromCoseKey(encoded, 0, encoded.Length));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    private static (byte[] X, byte[] Y, byte[] D) Pair(BigInteger d)
    {
        var q = new FixedPointCombMultiplier().Multiply(DtlsRawPublicKey.Domain.G, d).Normalize();
        return (BigIntegers.AsUnsignedByteArray(32, q.AffineXCoord.ToBigInteger()), BigIntegers.AsUnsignedByteArray(32, q.AffineYCoord.ToBigInteger()), BigIntegers.AsUnsignedByteArray(32, d));
    }

    private static ECPublicKeyParameters Public(BigInteger d)
    {
        (byte[] x, byte[] y, _) = Pair(d);
        byte[] cose = [0xA4, 0x01, 0x02, 0x20, 0x01, 0x21, 0x58, 0x20, .. x, 0x22, 0x58, 0x20, .. y];
        return DtlsRawPublicKey.PublicKeyFromCoseKey(cose, 0, cose.Length);
    }

    // A hand-written COSE_Key map with small integer labels (RFC 8949 §3: heads for 0..23 and -1..-24).
    private static byte[] Map(params (int Label, byte[] Value)[] pairs)
    {
        var bytes = new List<byte> { (byte)(0xA0 + pairs.Length) };
        foreach ((int label, byte[] value) in pairs)
        {
            bytes.Add(label >= 0 ? (byte)label : (byte)(0x20 + (-1 - label)));
            bytes.AddRange(value);
        }

        return [.. bytes];
    }

    private static byte[] Int(int v) => [v >= 0 ? (byte)v : (byte)(0x20 + (-1 - v))];

    private static byte[] Bytes(byte[] v) => v.Length < 24 ? [(byte)(0x40 + v.Length), .. v] : [0x58, (byte)v.Length, .. v];
}
