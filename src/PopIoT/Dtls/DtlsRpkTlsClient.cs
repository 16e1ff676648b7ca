using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace PopIoT.Dtls;

/// <summary>
/// BouncyCastle's DTLS client for RPK mode (RFC 9202 §3.2, RFC 7250): DTLS 1.2 only, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8
/// on secp256r1 with ecdsa_secp256r1_sha256, raw public keys both ways. The server's raw public key must be the one the
/// AS gave in rs_cnf, or the handshake ends with bad_certificate; what went wrong is kept in <see cref="Failure"/>.
/// </summary>
internal sealed class DtlsRpkTlsClient : DefaultTlsClient
{
    private readonly BcTlsCrypto _crypto;
    private readonly DtlsRpkClientOptions _options;
    private readonly ECPublicKeyParameters _publicKey;

    public DtlsRpkTlsClient(BcTlsCrypto crypto, DtlsRpkClientOptions options, ECPublicKeyParameters publicKey)
        : base(crypto)
    {
        _crypto = crypto;
        _options = options;
        _publicKey = publicKey;
    }

    /// <summary>Why this side ended the handshake (the server's key refused), or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>True when the server's key was not rs_cnf's (or not a P-256 raw public key).</summary>
    public bool ServerKeyRefused { get; private set; }

    /// <summary>The alert the server sent, or -1.</summary>
    public int AlertReceived { get; private set; } = -1;

    /// <summary>Set when the session ended (close_notify either way, or a fatal alert).</summary>
    public bool Closed { get; private set; }

    /// <inheritdoc/>
    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    /// <inheritdoc/>
    public override int GetHandshakeTimeoutMillis() => (int)Math.Min(_options.HandshakeTimeout.TotalMilliseconds, int.MaxValue);

    // DESIGN.md §5a: retransmission starts at CoAP's ACK_TIMEOUT (RFC 7252 §4.8), as the device's engine does.
    /// <inheritdoc/>
    public override int GetHandshakeResendTimeMillis() => 2000;

    /// <inheritdoc/>
    protected override short[] GetAllowedClientCertificateTypes() => [CertificateType.RawPublicKey];

    /// <inheritdoc/>
    protected override short[] GetAllowedServerCertificateTypes() => [CertificateType.RawPublicKey];

    /// <inheritdoc/>
    public override void NotifyAlertReceived(short alertLevel, short alertDescription)
    {
        AlertReceived = alertDescription;
        if (alertLevel == AlertLevel.fatal || alertDescription == AlertDescription.close_notify)
        {
            Closed = true;
        }

        _options.Trace?.Invoke("DTLS alert received: " + AlertDescription.GetText(alertDescription));
    }

    /// <inheritdoc/>
    public override void NotifyConnectionClosed() => Closed = true;

    /// <inheritdoc/>
    public override void NotifyHandshakeComplete() =>
        _options.Trace?.Invoke("DTLS 1.2 handshake complete: TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, raw public keys (RFC 7250)");

    /// <inheritdoc/>
    protected override ProtocolVersion[] GetSupportedVersions() => DtlsRawPublicKey.Versions;

    /// <inheritdoc/>
    protected override int[] GetSupportedCipherSuites() => [DtlsRawPublicKey.CipherSuite];

    /// <inheritdoc/>
    protected override IList<int> GetSupportedGroups(IList<int> namedGroupRoles) => [DtlsRawPublicKey.NamedGroup];

    /// <inheritdoc/>
    protected override IList<SignatureAndHashAlgorithm> GetSupportedSignatureAlgorithms() => [DtlsRawPublicKey.SignatureAndHash];

    // RFC 9202 §3.2.1: the client authenticates the RS by the raw public key the AS named in rs_cnf.
    private void CheckServer(TlsServerCertificate serverCertificate)
    {
        ECPublicKeyParameters presented;
        try
        {
            presented = DtlsRawPublicKey.PublicKeyFromCertificate(serverCertificate.Certificate);
        }
        catch (FormatException e)
        {
            Refuse("the resource server's certificate is not a P-256 raw public key: " + e.Message);
            return;
        }

        string presentedName = DtlsRawPublicKey.Thumbprint(presented);
        if (!DtlsRawPublicKey.PublicKeysEqual(presented, _options.ServerKey))
        {
            Refuse("the resource server presented the raw public key " + presentedName + ", not the key " + DtlsRawPublicKey.Thumbprint(_options.ServerKey)
                + " the AS gave in rs_cnf (RFC 9202 §3.2.1)");
            return;
        }

        _options.Trace?.Invoke("server raw public key " + presentedName + " equals rs_cnf");
    }

    private void Refuse(string why)
    {
        Failure = why;
        ServerKeyRefused = true;
        _options.Trace?.Invoke("refusing the server: " + why);
        throw new TlsFatalAlert(AlertDescription.bad_certificate, why);
    }

    private sealed class Authentication(DtlsRpkTlsClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) => client.CheckServer(serverCertificate);

        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest)
        {
            // RFC 9202 §3.2.1: the client proves the key bound in the token's cnf by signing the handshake with it.
            client._options.Trace?.Invoke("presenting the client raw public key " + DtlsRawPublicKey.Thumbprint(client._publicKey));
            return DtlsRawPublicKey.Signer(client.m_context, client._crypto, client._options.PrivateKey, client._publicKey);
        }
    }
}
