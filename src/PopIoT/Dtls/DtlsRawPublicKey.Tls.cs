using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Math.EC.Multiplier;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Org.BouncyCastle.X509;

using PopIoT.Core.Cose;

using BcCertificate = Org.BouncyCastle.Tls.Certificate;
using ECPoint = Org.BouncyCastle.Math.EC.ECPoint;

namespace PopIoT.Dtls;

/// <summary>The TLS side of <see cref="DtlsRawPublicKey"/>: SubjectPublicKeyInfo, the RawPublicKey Certificate message and the handshake signer (RFC 7250 §3).</summary>
public static partial class DtlsRawPublicKey
{
    /// <summary>The DER SubjectPublicKeyInfo of a key (id-ecPublicKey, namedCurve secp256r1, uncompressed point; RFC 5480 §2).</summary>
    /// <param name="key">A P-256 public key.</param>
    /// <returns>The DER bytes, as a RawPublicKey Certificate entry carries them (RFC 7250 §3).</returns>
    public static byte[] EncodeSubjectPublicKeyInfo(ECPublicKeyParameters key) => SubjectPublicKeyInfo(key).GetDerEncoded();

    /// <summary>The SubjectPublicKeyInfo of a key, for BouncyCastle's <see cref="BcTlsRawKeyCertificate"/>.</summary>
    /// <param name="key">A P-256 public key.</param>
    /// <returns>The structure.</returns>
    public static SubjectPublicKeyInfo SubjectPublicKeyInfo(ECPublicKeyParameters key)
    {
        CheckP256(key);
        var named = new ECPublicKeyParameters("EC", key.Q.Normalize(), P256);
        return SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(named);
    }

    /// <summary>Reads a P-256 public key from DER SubjectPublicKeyInfo bytes (the peer's raw public key, RFC 7250 §3).</summary>
    /// <param name="der">The bytes.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">Not DER, not id-ecPublicKey, another curve (or explicit parameters), or a point
    /// not on P-256.</exception>
    public static ECPublicKeyParameters PublicKeyFromSubjectPublicKeyInfo(byte[] der)
    {
        ArgumentNullException.ThrowIfNull(der);
        SubjectPublicKeyInfo info;
        try
        {
            info = Org.BouncyCastle.Asn1.X509.SubjectPublicKeyInfo.GetInstance(Asn1Object.FromByteArray(der));
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException or InvalidOperationException)
        {
            throw new FormatException("the raw public key is not a DER SubjectPublicKeyInfo (RFC 7250 §3): " + e.Message, e);
        }

        if (info is null)
        {
            throw new FormatException("the raw public key is not a DER SubjectPublicKeyInfo (RFC 7250 §3)");
        }

        return PublicKeyFromSubjectPublicKeyInfo(info);
    }

    /// <summary>Reads a P-256 public key from a SubjectPublicKeyInfo.</summary>
    /// <param name="info">The structure.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">As <see cref="PublicKeyFromSubjectPublicKeyInfo(byte[])"/>.</exception>
    public static ECPublicKeyParameters PublicKeyFromSubjectPublicKeyInfo(SubjectPublicKeyInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!Org.BouncyCastle.Asn1.X9.X9ObjectIdentifiers.IdECPublicKey.Equals(info.Algorithm.Algorithm))
        {
            throw new FormatException("the raw public key's algorithm is " + info.Algorithm.Algorithm.Id + ", not id-ecPublicKey (1.2.840.10045.2.1): TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 needs a P-256 key (RFC 9202 §3.2)");
        }

        if (info.Algorithm.Parameters is not DerObjectIdentifier curve || !SecObjectIdentifiers.SecP256r1.Equals(curve))
        {
            string named = info.Algorithm.Parameters is DerObjectIdentifier other ? "curve " + other.Id : "explicit or absent curve parameters";
            throw new FormatException("the raw public key is on " + named + ", not secp256r1 (1.2.840.10045.3.1.7, RFC 5480 §2.1.1)");
        }

        ECPoint q;
        try
        {
            // A BIT STRING with unused bits is no octet string (RFC 5480 §2.2): GetOctets refuses it.
            q = P256.Curve.DecodePoint(info.PublicKey.GetOctets());
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            throw new FormatException("the raw public key's point is not a P-256 point (" + e.Message + ")", e);
        }

        if (q.IsInfinity || !q.IsValid())
        {
            throw new FormatException("the raw public key's point is not on P-256");
        }

        return new ECPublicKeyParameters("EC", q.Normalize(), P256);
    }

    /// <summary>The peer's raw public key from a Certificate message (RFC 7250 §3: type RawPublicKey, exactly one entry).</summary>
    /// <param name="certificate">The Certificate BouncyCastle parsed.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">Another certificate type, not one entry, or a key <see cref="PublicKeyFromSubjectPublicKeyInfo(byte[])"/> refuses.</exception>
    public static ECPublicKeyParameters PublicKeyFromCertificate(BcCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (certificate.CertificateType != CertificateType.RawPublicKey)
        {
            throw new FormatException("the peer sent a certificate of type " + certificate.CertificateType + ", not RawPublicKey (2, RFC 7250 §3)");
        }

        if (certificate.Length != 1)
        {
            throw new FormatException("the peer's RawPublicKey Certificate has " + certificate.Length + " entries, not 1 (RFC 7250 §3)");
        }

        return PublicKeyFromSubjectPublicKeyInfo(certificate.GetCertificateAt(0).GetEncoded());
    }

    /// <summary>The Certificate message that presents <paramref name="key"/> as a raw public key (RFC 7250 §3).</summary>
    /// <param name="crypto">BouncyCastle's TLS crypto of the handshake.</param>
    /// <param name="key">A P-256 public key.</param>
    /// <returns>The Certificate (DTLS 1.2: no request context).</returns>
    public static BcCertificate Certificate(BcTlsCrypto crypto, ECPublicKeyParameters key)
    {
        ArgumentNullException.ThrowIfNull(crypto);
        var entry = new CertificateEntry(new BcTlsRawKeyCertificate(crypto, SubjectPublicKeyInfo(key)), null);
        return new BcCertificate(CertificateType.RawPublicKey, null, [entry]);
    }

    /// <summary>The credentials that sign this side's handshake with its raw public key (ecdsa_secp256r1_sha256).</summary>
    /// <param name="context">The handshake's context (the client's or the server's).</param>
    /// <param name="crypto">BouncyCastle's TLS crypto of the handshake.</param>
    /// <param name="privateKey">This side's private key.</param>
    /// <param name="publicKey">Its public key, presented in the Certificate message.</param>
    /// <returns>The signer to return from GetClientCredentials / GetECDsaSignerCredentials.</returns>
    public static TlsCredentialedSigner Signer(TlsContext context, BcTlsCrypto crypto, ECPrivateKeyParameters privateKey, ECPublicKeyParameters publicKey)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(privateKey);
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, privateKey, Certificate(crypto, publicKey), SignatureAndHash);
    }
}
