namespace PopIoT.Core.Dtls;

/// <summary>
/// The server's key lookup for a PSK handshake (RFC 4279 §2). It receives the identity exactly as sent, opaque bytes with
/// their length (zero bytes inside included), and the peer index, so that RFC 9202 §3.3.2 can validate a token carried
/// as the identity and bind it to this peer. It writes the key into the caller's buffer.
/// </summary>
public interface IDtlsPskStore
{
    /// <summary>Finds the key for an identity.</summary>
    /// <param name="peer">The host's peer index of the client.</param>
    /// <param name="identity">The psk_identity of the ClientKeyExchange, valid only during the call.</param>
    /// <param name="key">Where to write the key; its Count is the room available.</param>
    /// <returns>
    /// The key length (1 or more), or a refusal: 0 for <see cref="DtlsAlert.UnknownPskIdentity"/>, or the negated alert
    /// description to send (for example −<see cref="DtlsAlert.IllegalParameter"/> for a malformed identity, RFC 9202 §3.3.2).
    /// </returns>
    int FindKey(int peer, ByteRange identity, ByteRange key);
}
