namespace PopIoT.Core.Dtls;

/// <summary>Alert levels and the descriptions this engine sends or reports (RFC 5246 §7.2, RFC 4279 §2, RFC 5746 §4.5).</summary>
public static class DtlsAlert
{
    /// <summary>Level warning(1).</summary>
    public const int Warning = 1;

    /// <summary>Level fatal(2).</summary>
    public const int Fatal = 2;

    /// <summary>close_notify(0).</summary>
    public const int CloseNotify = 0;

    /// <summary>unexpected_message(10).</summary>
    public const int UnexpectedMessage = 10;

    /// <summary>bad_record_mac(20).</summary>
    public const int BadRecordMac = 20;

    /// <summary>handshake_failure(40).</summary>
    public const int HandshakeFailure = 40;

    /// <summary>illegal_parameter(47): RFC 9202 §3.3.2's answer to a bad identity.</summary>
    public const int IllegalParameter = 47;

    /// <summary>decode_error(50).</summary>
    public const int DecodeError = 50;

    /// <summary>decrypt_error(51): a Finished that does not verify (RFC 5246 §7.4.9).</summary>
    public const int DecryptError = 51;

    /// <summary>protocol_version(70).</summary>
    public const int ProtocolVersion = 70;

    /// <summary>internal_error(80).</summary>
    public const int InternalError = 80;

    /// <summary>no_renegotiation(100).</summary>
    public const int NoRenegotiation = 100;

    /// <summary>unknown_psk_identity(115) (RFC 4279 §2).</summary>
    public const int UnknownPskIdentity = 115;

    /// <summary>Not an alert: reported by <see cref="IDtlsListener.OnClosed"/> when the handshake timed out.</summary>
    public const int Timeout = -1;

    /// <summary>Not an alert: reported when the session was evicted to make room for another.</summary>
    public const int Evicted = -2;
}
