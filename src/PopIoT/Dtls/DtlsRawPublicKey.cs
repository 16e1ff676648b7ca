using System.Security.Cryptography;

using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC.Multiplier;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Org.BouncyCastle.Utilities;

using PopIoT.Core.Cbor;
using PopIoT.Core.Cose;

using BcSignatureAlgorithm = Org.BouncyCastle.Tls.SignatureAlgorithm;
using ECPoint = Org.BouncyCastle.Math.EC.ECPoint;
using HashAlgorithm = Org.BouncyCastle.Tls.HashAlgorithm;

namespace PopIoT.Dtls;

/// <summary>
/// The raw public keys of the DTLS profile's RPK mode (RFC 9202 §3.2, RFC 7250): one EC2 P-256 key seen three ways —
/// the COSE_Key the AS puts in a token's cnf and in rs_cnf (RFC 9053 §7.1.1), BouncyCastle's EC key parameters that its
/// DTLS stack signs and verifies with, and the DER SubjectPublicKeyInfo a Certificate message of type RawPublicKey
/// carries (RFC 7250 §3). Every conversion checks the curve, both coordinates and that the point is on the curve, and
/// fails with a <see cref="FormatException"/> that says which; keys are public data, but a private scalar read from a
/// COSE_Key is erased from the intermediate buffers. Also the handshake's parameters, which client and server share.
/// </summary>
public static partial class DtlsRawPublicKey
{
    /// <summary>TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 7251 §2), the suite RFC 9202 §3.2 and RFC 7925 §4.4 name for RPK.</summary>
    public const int CipherSuite = 0xC0AE;

    /// <summary>secp256r1 (RFC 8422 §5.1.1), the only group offered and accepted for ECDHE.</summary>
    public const int NamedGroup = 23;

    /// <summary>ecdsa_secp256r1_sha256 (RFC 8446 §4.2.3; in DTLS 1.2 hash sha256 (4) with signature ecdsa (3)).</summary>
    public const int SignatureScheme = 0x0403;

    /// <summary>The length of a P-256 coordinate and scalar in bytes.</summary>
    public const int CoordinateLength = 32;

    private static readonly ECNamedDomainParameters P256 = ECNamedDomainParameters.LookupOid(SecObjectIdentifiers.SecP256r1);

    /// <summary>DTLS 1.2, the only version of the profile's handshakes (RFC 9202 §3).</summary>
    public static ProtocolVersion Version => ProtocolVersion.DTLSv12;

    /// <summary>The versions to offer or accept: DTLS 1.2 only.</summary>
    public static ProtocolVersion[] Versions => [ProtocolVersion.DTLSv12];

    /// <summary><see cref="SignatureScheme"/> as BouncyCastle's DTLS 1.2 signature and hash pair.</summary>
    public static SignatureAndHashAlgorithm SignatureAndHash => SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha256, BcSignatureAlgorithm.ecdsa);

    /// <summary>The P-256 domain (named by its OID, so a SubjectPublicKeyInfo names the curve, RFC 5480 §2.1.1).</summary>
    public static ECNamedDomainParameters Domain => P256;

    /// <summary>Reads a public EC2 P-256 key from an encoded COSE_Key, as in cnf or rs_cnf (RFC 8747 §3.2, RFC 9201 §5).</summary>
    /// <param name="encoded">The buffer.</param>
    /// <param name="offset">Where the COSE_Key map starts.</param>
    /// <param name="count">Its length: exactly one map.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">Not a COSE_Key map, another key type or curve, a coordinate missing or not 32
    /// bytes, a compressed y, a point not on P-256, or private material (d) where a public key is wanted.</exception>
    public static ECPublicKeyParameters PublicKeyFromCoseKey(byte[] encoded, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, encoded.Length - offset);
        Coordinates c = ReadCoseKey(encoded, offset, count);
        try
        {
            if (c.D is not null)
            {
                throw new FormatException("the COSE_Key carries a private key (d, label -4) where a public key is expected (RFC 9202 §3.2.1)");
            }

            return PublicKey(c.X, c.Y);
        }
        finally
        {
            c.Erase();
        }
    }

    /// <summary>The public part of an EC2 P-256 <see cref="CoseKey"/> (a key pair or a public key).</summary>
    /// <param name="key">The key.</param>
    /// <returns>The public key.</returns>
    /// <exception cref="FormatException">Not an EC2 P-256 key, or its point is not on the curve.</exception>
    public static ECPublicKeyParameters PublicKeyFromCoseKey(CoseKey key)
    {
        byte[] encoded = Encode(key);
        try
        {
            Coordinates c = ReadCoseKey(encoded, 0, encoded.Length);
            try
            {
                return PublicKey(c.X, c.Y);
            }
            finally
            {
                c.Erase();
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(encoded);
        }
    }

    /// <summary>The private key of an EC2 P-256 key pair, checked against its public coordinates (d·G = (x, y)).</summary>
    /// <param name="key">The key pair (with d), as <c>popiot key new --kty EC2</c> writes it.</param>
    /// <returns>The private key; its public key is <see cref="PublicKeyFromCoseKey(CoseKey)"/>.</returns>
    /// <exception cref="FormatException">Not an EC2 P-256 key, no d, d out of range, or d not matching x and y.</exception>
    public static ECPrivateKeyParameters PrivateKeyFromCoseKey(CoseKey key)
    {
        byte[] encoded = Encode(key);
        try
        {
            Coordinates c = ReadCoseKey(encoded, 0, encoded.Length);
            try
            {
                if (c.D is null)
                {
                    throw new FormatException("the COSE_Key has no private key (d, label -4): a key pair is needed to sign the handshake (RFC 9202 §3.2)");
                }

                if (c.D.Length != CoordinateLength)
                {
                    throw new FormatException("the COSE_Key's d is " + c.D.Length + " bytes; P-256 needs " + CoordinateLength + " (RFC 9053 §7.1.1)");
                }

                ECPublicKeyParameters pub = PublicKey(c.X, c.Y);
                var d = new BigInteger(1, c.D);
                if (d.SignValue <= 0 || d.CompareTo(P256.N) >= 0)
                {
                    throw new FormatException("the COSE_Key's d is not a P-256 private scalar (0 < d < n)");
                }

                ECPoint q = new FixedPointCombMultiplier().Multiply(P256.G, d).Normalize();
                if (!q.Equals(pub.Q))
                {
                    throw new FormatException("the COSE_Key's d does not match its x and y: not one key pair");
                }

                return new ECPrivateKeyParameters("EC", d, SecObjectIdentifiers.SecP256r1);
            }
            finally
            {
                c.Erase();
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(encoded);
        }
    }

    /// <summary>Encodes a public key as a COSE_Key <c>{1: 2, -1: 1, -2: x, -3: y}</c> in deterministic order (RFC 8949 §4.2.1).</summary>
    /// <param name="key">A P-256 public key.</param>
    /// <returns>The encoded COSE_Key, as req_cnf's COSE_Key carries it (RFC 9202 §3.2.1).</returns>
    /// <exception cref="ArgumentException">The key is not on P-256.</exception>
    public static byte[] EncodeCoseKey(ECPublicKeyParameters key)
    {
        CheckP256(key);
        ECPoint q = key.Q.Normalize();
        byte[] x = BigIntegers.AsUnsignedByteArray(CoordinateLength, q.AffineXCoord.ToBigInteger());
        byte[] y = BigIntegers.AsUnsignedByteArray(CoordinateLength, q.AffineYCoord.ToBigInteger());
        byte[] buffer = new byte[1 + 2 + 2 + (1 + 2 + CoordinateLength) * 2];
        var w = new CborWriter(buffer);
        w.WriteStartMap(4);
        w.WriteInt32(CoseKeyLabel.Kty);
        w.WriteInt32(CoseKeyType.Ec2);
        w.WriteInt32(CoseKeyLabel.Crv);
        w.WriteInt32(CoseCurve.P256);
        w.WriteInt32(CoseKeyLabel.X);
        w.WriteByteString(x);
        w.WriteInt32(CoseKeyLabel.Y);
        w.WriteByteString(y);
        return buffer.AsSpan(0, w.BytesWritten).ToArray();
    }

    /// <summary>A public key as Core's <see cref="CoseKey"/> (no kid, no alg), e.g. to compare with a token's cnf.</summary>
    /// <param name="key">A P-256 public key.</param>
    /// <returns>The COSE_Key; the caller disposes it.</returns>
    public static CoseKey ToCoseKey(ECPublicKeyParameters key)
    {
        CheckP256(key);
        ECPoint q = key.Q.Normalize();
        return CoseKey.Ec2P256(
            BigIntegers.AsUnsignedByteArray(CoordinateLength, q.AffineXCoord.ToBigInteger()),
            BigIntegers.AsUnsignedByteArray(CoordinateLength, q.AffineYCoord.ToBigInteger()),
            null!,
            0,
            null!);
    }

    /// <summary>Whether two keys are the same P-256 public key: the full point compared (public data, no constant time).</summary>
    /// <param name="a">A key.</param>
    /// <param name="b">Another key.</param>
    /// <returns>True when both are on P-256 and have equal x and y.</returns>
    public static bool PublicKeysEqual(ECPublicKeyParameters a, ECPublicKeyParameters b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!IsP256(a) || !IsP256(b))
        {
            return false;
        }

        return a.Q.Normalize().GetEncoded(false).AsSpan().SequenceEqual(b.Q.Normalize().GetEncoded(false));
    }

    /// <summary>
    /// A name for a public key in logs: the SHA-256 of its deterministic COSE_Key {kty, crv, x, y} (the COSE Key
    /// Thumbprint's input for EC2, RFC 9679 §3), in hex. Never a private key.
    /// </summary>
    /// <param name="key">A P-256 public key.</param>
    /// <returns>64 lower-case hex digits.</returns>
    public static string Thumbprint(ECPublicKeyParameters key) => Convert.ToHexStringLower(SHA256.HashData(EncodeCoseKey(key)));

    private static ECPublicKeyParameters PublicKey(byte[]? x, byte[]? y)
    {
        if (x is null || y is null)
        {
            throw new FormatException("the COSE_Key lacks " + (x is null ? "x (label -2)" : "y (label -3)") + ": an EC2 public key needs both coordinates (RFC 9053 §7.1.1)");
        }

        if (x.Length != CoordinateLength || y.Length != CoordinateLength)
        {
            throw new FormatException("the COSE_Key's " + (x.Length != CoordinateLength ? "x" : "y") + " is " + (x.Length != CoordinateLength ? x.Length : y.Length) + " bytes; P-256 needs " + CoordinateLength + " (RFC 9053 §7.1.1)");
        }

        var bx = new BigInteger(1, x);
        var by = new BigInteger(1, y);
        BigInteger p = P256.Curve.Field.Characteristic;
        if (bx.CompareTo(p) >= 0 || by.CompareTo(p) >= 0)
        {
            throw new FormatException("the COSE_Key's coordinates are not P-256 field elements (not below p)");
        }

        ECPoint q;
        try
        {
            q = P256.Curve.ValidatePoint(bx, by);
        }
        catch (ArgumentException)
        {
            throw new FormatException("the COSE_Key's point (x, y) is not on P-256");
        }

        return new ECPublicKeyParameters("EC", q.Normalize(), P256);
    }

    private static bool IsP256(ECPublicKeyParameters key) =>
        key.Parameters.Curve.Equals(P256.Curve) && key.Parameters.G.Equals(P256.G);

    private static void CheckP256(ECPublicKeyParameters key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!IsP256(key))
        {
            throw new ArgumentException("the key is not on P-256", nameof(key));
        }
    }

    private static byte[] Encode(CoseKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        ObjectDisposedException.ThrowIf(key.IsDisposed, key);
        if (key.KeyType != CoseKeyType.Ec2 || key.Curve != CoseCurve.P256)
        {
            throw new FormatException(KindText(key.KeyType, key.Curve));
        }

        return key.Encode();
    }

    private static string KindText(int kty, int crv) => kty != CoseKeyType.Ec2
        ? "the COSE_Key has kty " + kty + ", not EC2 (2): RPK mode needs a P-256 key (RFC 9202 §3.2)"
        : "the COSE_Key is on curve " + crv + ", not P-256 (1): TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 9202 §3.2)";
}
