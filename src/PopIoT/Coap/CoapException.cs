using PopIoT.Core.Coap;

namespace PopIoT.Coap;

/// <summary>A CoAP exchange ended without a usable response: the peer sent a Reset, or a response was rejected.</summary>
public class CoapException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="failure">Why the exchange ended.</param>
    public CoapException(string message, CoapExchangeFailure failure)
        : base(message)
    {
        Failure = failure;
    }

    /// <summary>Why the exchange ended.</summary>
    public CoapExchangeFailure Failure { get; }
}

/// <summary>
/// No response came in time: either the message layer gave up after MAX_RETRANSMIT retransmissions or the response
/// timeout (RFC 7252 §4.2, §4.8), or the client's own <see cref="CoapClientOptions.Timeout"/> passed.
/// </summary>
public sealed class CoapTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What timed out.</param>
    /// <param name="byMessageLayer">True when the RFC 7252 retransmission schedule ran out.</param>
    public CoapTimeoutException(string message, bool byMessageLayer)
        : base(message)
    {
        ByMessageLayer = byMessageLayer;
    }

    /// <summary>True when the RFC 7252 §4.2 retransmissions (or the response timeout) ran out; false for the client's overall timeout.</summary>
    public bool ByMessageLayer { get; }
}
