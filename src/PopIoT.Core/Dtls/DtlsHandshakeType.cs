namespace PopIoT.Core.Dtls;

/// <summary>The handshake message types a PSK handshake uses (RFC 5246 §7.4, RFC 6347 §4.3.2, RFC 4279 §2).</summary>
public static class DtlsHandshakeType
{
    /// <summary>client_hello(1).</summary>
    public const int ClientHello = 1;

    /// <summary>server_hello(2).</summary>
    public const int ServerHello = 2;

    /// <summary>hello_verify_request(3), DTLS only (RFC 6347 §4.2.1).</summary>
    public const int HelloVerifyRequest = 3;

    /// <summary>server_key_exchange(12), carrying the PSK identity hint (RFC 4279 §2).</summary>
    public const int ServerKeyExchange = 12;

    /// <summary>server_hello_done(14).</summary>
    public const int ServerHelloDone = 14;

    /// <summary>client_key_exchange(16), carrying the PSK identity (RFC 4279 §2).</summary>
    public const int ClientKeyExchange = 16;

    /// <summary>finished(20).</summary>
    public const int Finished = 20;
}
