namespace PopIoT.Core.Dtls;

/// <summary>The record content types of TLS 1.2 (RFC 5246 §6.2.1, A.1) that DTLS 1.2 carries (RFC 6347 §4.1).</summary>
public static class DtlsContentType
{
    /// <summary>change_cipher_spec(20).</summary>
    public const int ChangeCipherSpec = 20;

    /// <summary>alert(21).</summary>
    public const int Alert = 21;

    /// <summary>handshake(22).</summary>
    public const int Handshake = 22;

    /// <summary>application_data(23).</summary>
    public const int ApplicationData = 23;
}
