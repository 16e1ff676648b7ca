using PopIoT.Core.Cose;
using PopIoT.Core.Crypto;
using PopIoT.Core.Cwt;

namespace PopIoT.Core.Ace;

/// <summary>
/// The coap_dtls profile's RPK mode (RFC 9202 §3.2) in the portable core, without elliptic-curve arithmetic: which
/// public keys a token's cnf may hold, and the 32 bytes a slot keeps to know the key again when a DTLS layer that does
/// the curve work (the desktop's, RFC 7250 raw public keys) presents it: SHA-256 over the key's x‖y.
/// </summary>
public static class AceRpkKeyId
{
    /// <summary>The bytes of a key id: a SHA-256 digest.</summary>
    public const int Length = 32;

    /// <summary>The length of x and of y of a P-256 key (RFC 9052 §7.1.1: the coordinates as fixed-size byte strings).</summary>
    public const int CoordinateLength = 32;

    // RFC 9053 §2.1: ES256, the one signature of TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 on P-256 (RFC 7251).
    private const int Es256 = -7;

    /// <summary>Whether cnf holds a public key in clear (RFC 8747 §3.2), the RPK mode's form, rather than a PSK or a kid.</summary>
    /// <param name="cnf">The token's confirmation.</param>
    /// <returns>True for a COSE_Key of kty EC2 or OKP.</returns>
    public static bool IsPublicKey(CwtConfirmation cnf)
    {
        return cnf.Method == CnfMethod.CoseKey && (cnf.KeyType == CoseKeyType.Ec2 || cnf.KeyType == CoseKeyType.Okp);
    }

    /// <summary>
    /// Checks a public key in cnf for RPK mode: the RS must serve it, and the key must be EC2 P-256 with 32-byte x and y
    /// and, when it names an alg, ES256. (A key with d, or without y, never gets here: the cnf parser refuses it.)
    /// </summary>
    /// <param name="cnf">The token's confirmation (<see cref="IsPublicKey"/> is true).</param>
    /// <param name="servesRpk">Whether this RS serves RPK mode (<see cref="AceRsSettings.ServesRpk"/>).</param>
    /// <returns>None, <see cref="AceRsError.RpkNotServed"/> or <see cref="AceRsError.RpkKeyInvalid"/>.</returns>
    public static AceRsError Check(CwtConfirmation cnf, bool servesRpk)
    {
        if (!servesRpk)
        {
            return AceRsError.RpkNotServed;
        }

        bool p256 = cnf.KeyType == CoseKeyType.Ec2 && cnf.Curve == CoseCurve.P256 && cnf.XLength == CoordinateLength && cnf.YLength == CoordinateLength;
        return p256 && (cnf.KeyAlgorithm == 0 || cnf.KeyAlgorithm == Es256) ? AceRsError.None : AceRsError.RpkKeyInvalid;
    }

    /// <summary>Writes SHA-256(x ‖ y) of the key in cnf (checked by <see cref="Check"/>) to <paramref name="output"/>.</summary>
    /// <param name="sha">A SHA-256 instance (reset here).</param>
    /// <param name="cnf">The token's confirmation.</param>
    /// <param name="output">At least <see cref="Length"/> bytes.</param>
    public static void Compute(IHash sha, CwtConfirmation cnf, byte[] output)
    {
        sha.Reset();
        sha.Update(cnf.Buffer, cnf.XOffset, CoordinateLength);
        sha.Update(cnf.Buffer, cnf.YOffset, CoordinateLength);
        sha.Final(output, 0);
    }

    /// <summary>Writes SHA-256 of a presented key's x ‖ y (64 bytes, RFC 7250's SubjectPublicKeyInfo point without its 0x04) to <paramref name="output"/>.</summary>
    /// <param name="sha">A SHA-256 instance (reset here).</param>
    /// <param name="xy">x then y, 32 bytes each.</param>
    /// <param name="output">At least <see cref="Length"/> bytes.</param>
    /// <returns>False when <paramref name="xy"/> is not 64 bytes.</returns>
    public static bool Compute(IHash sha, ByteRange xy, byte[] output)
    {
        if (xy.Buffer == null || xy.Count != 2 * CoordinateLength)
        {
            return false;
        }

        sha.Reset();
        sha.Update(xy.Buffer, xy.Offset, xy.Count);
        sha.Final(output, 0);
        return true;
    }
}
