using System.Globalization;
using PopIoT.Core.Dtls;

namespace PopIoT.Coap;

/// <summary>Readable text for the alert numbers a <see cref="DtlsEngine"/> reports (RFC 5246 §7.2, RFC 4279 §2, RFC 5746 §4.5).</summary>
public static class DtlsAlertText
{
    /// <summary>The alert's name as the RFC spells it, e.g. "unknown_psk_identity".</summary>
    /// <param name="alert">The description number, or <see cref="DtlsAlert.Timeout"/> / <see cref="DtlsAlert.Evicted"/>.</param>
    /// <returns>The name, or "alert N" for a number this table does not know.</returns>
    public static string Name(int alert) => alert switch
    {
        DtlsAlert.CloseNotify => "close_notify",
        DtlsAlert.UnexpectedMessage => "unexpected_message",
        DtlsAlert.BadRecordMac => "bad_record_mac",
        22 => "record_overflow",
        DtlsAlert.HandshakeFailure => "handshake_failure",
        DtlsAlert.IllegalParameter => "illegal_parameter",
        49 => "access_denied",
        DtlsAlert.DecodeError => "decode_error",
        DtlsAlert.DecryptError => "decrypt_error",
        DtlsAlert.ProtocolVersion => "protocol_version",
        71 => "insufficient_security",
        DtlsAlert.InternalError => "internal_error",
        90 => "user_canceled",
        DtlsAlert.NoRenegotiation => "no_renegotiation",
        110 => "unsupported_extension",
        DtlsAlert.UnknownPskIdentity => "unknown_psk_identity",
        _ => "alert " + alert.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// Why a handshake or session ended, for an error message: the alert with its number and, for the usual PSK mistakes,
    /// what it most likely means.
    /// </summary>
    /// <param name="alert">What <see cref="IDtlsListener.OnClosed"/> reported.</param>
    /// <param name="timeoutMs">The handshake timeout, for the <see cref="DtlsAlert.Timeout"/> text.</param>
    /// <returns>E.g. "alert 115 unknown_psk_identity (the server does not know this PSK identity)".</returns>
    public static string Describe(int alert, int timeoutMs)
    {
        string number = "alert " + alert.ToString(CultureInfo.InvariantCulture) + " " + Name(alert);
        return alert switch
        {
            DtlsAlert.Timeout => "no answer within " + Seconds(timeoutMs) + " s (is a DTLS server listening there?)",
            DtlsAlert.Evicted => "the session was evicted to make room for another",
            DtlsAlert.CloseNotify => "the peer closed the session (close_notify)",
            DtlsAlert.UnknownPskIdentity => number + " (the server does not know this PSK identity)",

            // RFC 5246 §7.4.9: a Finished that does not verify means the two sides derived different keys, i.e. different PSKs.
            DtlsAlert.DecryptError or DtlsAlert.BadRecordMac => number + " (the Finished did not verify: most likely a wrong PSK)",
            DtlsAlert.HandshakeFailure => number + " (no common cipher suite, or the peer lacks the extended master secret, RFC 7627)",
            _ => number,
        };
    }

    /// <summary>Milliseconds as seconds for a message, e.g. "2.7".</summary>
    /// <param name="ms">Milliseconds.</param>
    /// <returns>The text.</returns>
    public static string Seconds(int ms) => (ms / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);
}
