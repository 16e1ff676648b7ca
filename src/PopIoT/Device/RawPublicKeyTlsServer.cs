using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using PopIoT.Dtls;

namespace PopIoT.Device;

/// <summary>
/// BouncyCastle's side of one raw-public-key handshake on the device (RFC 9202 §3.2, RFC 7250): DTLS 1.2,
/// TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 on P-256 (RFC 7251), the device's own key as a RawPublicKey certificate, and a
/// mandatory RawPublicKey certificate from the client. The client's key is accepted only when a coap_dtls token posted
/// to /authz-info has it in cnf (RFC 9202 §3.2.1); otherwise the handshake ends with access_denied (RFC 5246 §7.2.2: a
/// valid certificate, refused by access control). A certificate that is not a P-256 raw public key ends it with
/// bad_certificate, and none at all with handshake_failure (RFC 5246 §7.4.6).
/// </summary>
internal sealed class RawPublicKeyTlsServer(BcTlsCrypto crypto, ECPrivateKeyParameters privateKey, ECPublicKeyParameters publicKey, RawPublicKeySession session, int handshakeTimeoutMs)
    : DefaultTlsServer(crypto)
{
    /// <summary>The alert this side raised, for the log (-1 when none).</summary>
    public short AlertRaised { get; private set; } = -1;

    /// <summary>Why this side refused the client, for the log.</summary>
    public string? Refusal { get; private set; }

    public override int GetHandshakeTimeoutMillis() => handshakeTimeoutMs;

    // DESIGN.md §5a: retransmission starts at CoAP's 2 s ACK timeout.
    public override int GetHandshakeResendTimeMillis() => 2000;

    public override bool RequiresExtendedMasterSecret() => true;

    public override int[] GetSupportedGroups() => [DtlsRawPublicKey.NamedGroup];

    public override CertificateRequest GetCertificateRequest() =>
        new([ClientCertificateType.ecdsa_sign], [DtlsRawPublicKey.SignatureAndHash], null);

    public override void NotifyClientCertificate(Certificate clientCertificate)
    {
        if (clientCertificate == null || clientCertificate.IsEmpty)
        {
            Refuse(AlertDescription.handshake_failure, "the client sent no raw public key (RFC 9202 §3.2.1 needs one)");
        }

        ECPublicKeyParameters key;
        try
        {
            key = DtlsRawPublicKey.PublicKeyFromCertificate(clientCertificate!);
        }
        catch (FormatException e)
        {
            Refuse(AlertDescription.bad_certificate, e.Message);
            throw;
        }

        if (!session.KeyOffered(key))
        {
            Refuse(AlertDescription.access_denied, "no valid coap_dtls token posted to /authz-info has this key in cnf (RFC 9202 §3.2.1)");
        }
    }

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause)
    {
        AlertRaised = alertDescription;
    }

    protected override ProtocolVersion[] GetSupportedVersions() => DtlsRawPublicKey.Versions;

    protected override int[] GetSupportedCipherSuites() => [DtlsRawPublicKey.CipherSuite];

    protected override short[] GetAllowedClientCertificateTypes() => [CertificateType.RawPublicKey];

    protected override bool AllowCertificateStatus() => false;

    protected override TlsCredentialedSigner GetECDsaSignerCredentials() => DtlsRawPublicKey.Signer(m_context, crypto, privateKey, publicKey);

    private void Refuse(short alert, string why)
    {
        Refusal = why;
        throw new TlsFatalAlert(alert, why);
    }
}
