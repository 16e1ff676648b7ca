namespace PopIoT.Core.Coap;

/// <summary>Why an exchange ended without a response.</summary>
public enum CoapExchangeFailure
{
    /// <summary>A CON message was retransmitted MAX_RETRANSMIT times without an ACK (RFC 7252 §4.2), or no response came within the response timeout.</summary>
    Timeout = 0,

    /// <summary>The peer answered with a Reset (RFC 7252 §4.2, §4.3; RFC 7641 §3.6 for notifications).</summary>
    Reset,

    /// <summary>The application cancelled the exchange.</summary>
    Cancelled,

    /// <summary>The response carried a critical option this endpoint does not recognize and was rejected (RFC 7252 §5.4.1).</summary>
    Rejected,
}
