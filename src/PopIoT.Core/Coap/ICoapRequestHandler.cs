namespace PopIoT.Core.Coap;

/// <summary>The server application behind a <see cref="MessageLayer"/>: turns a request into a response, synchronously.</summary>
public interface ICoapRequestHandler
{
    /// <summary>
    /// Handles one request (never a duplicate: RFC 7252 §4.5 deduplication happens first). <paramref name="response"/>
    /// arrives cleared with the token copied and <see cref="CoapMessage.Code"/> 0; set a response code, options and
    /// payload. Values referenced by <paramref name="response"/> must stay valid until this method returns, as the layer
    /// serializes it right after. An exception thrown here becomes a 5.00 response.
    /// </summary>
    /// <param name="peer">The host's index for the sender.</param>
    /// <param name="request">The request; valid only during this call.</param>
    /// <param name="response">The response to fill.</param>
    /// <returns>What to send.</returns>
    CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response);
}
