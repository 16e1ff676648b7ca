namespace PopIoT.Core.Coap;

/// <summary>What an <see cref="ICoapRequestHandler"/> decided.</summary>
public enum CoapHandlerResult
{
    /// <summary>The response message is filled in; send it now (piggybacked on the ACK for a CON request, RFC 7252 §5.2.1).</summary>
    Respond = 0,

    /// <summary>
    /// The response will come later as a separate message (RFC 7252 §5.2.2): a CON request is acknowledged with an
    /// Empty ACK now; the application keeps the peer and token and later calls <see cref="MessageLayer.Send"/>.
    /// </summary>
    Separate,

    /// <summary>No response at all (only sensible for NON requests; a CON request still gets an Empty ACK).</summary>
    NoResponse,
}
