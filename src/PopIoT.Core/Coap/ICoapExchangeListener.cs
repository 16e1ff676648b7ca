namespace PopIoT.Core.Coap;

/// <summary>The client side of a <see cref="MessageLayer"/>: told about responses and failed exchanges.</summary>
public interface ICoapExchangeListener
{
    /// <summary>
    /// A response matched a request by peer and token (RFC 7252 §5.3.2). The layer has already acknowledged it if it
    /// was CON. For an observation the same exchange receives every notification (RFC 7641 §3.2) until cancelled.
    /// It is safe to call <see cref="MessageLayer.SendRequest"/> from here.
    /// </summary>
    /// <param name="exchange">The handle <see cref="MessageLayer.SendRequest"/> returned.</param>
    /// <param name="peer">The peer.</param>
    /// <param name="response">The response; valid only during this call.</param>
    void OnResponse(int exchange, int peer, CoapMessage response);

    /// <summary>
    /// An exchange ended without a response, or a message this layer sent was rejected with a Reset. For a rejected
    /// NON message (e.g. a notification, RFC 7641 §3.6) <paramref name="exchange"/> is -1.
    /// </summary>
    /// <param name="exchange">The handle, or -1.</param>
    /// <param name="peer">The peer.</param>
    /// <param name="token">A buffer holding the message's token (valid only during this call).</param>
    /// <param name="tokenOffset">Where the token starts.</param>
    /// <param name="tokenLength">The token length.</param>
    /// <param name="reason">Why.</param>
    void OnFailed(int exchange, int peer, byte[] token, int tokenOffset, int tokenLength, CoapExchangeFailure reason);
}
