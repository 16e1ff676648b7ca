using PopIoT.Core.Coap;

namespace PopIoT.Core.Ace;

/// <summary>
/// The /authz-info entry of the resource table. <see cref="AceResourceServer"/> answers POSTs to it itself (it needs
/// the token tables); the table only routes, and answers other methods with 4.05 before this is reached.
/// </summary>
internal sealed class AuthzInfoRoute : ICoapRequestHandler
{
    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
    {
        response.Code = CoapCode.MethodNotAllowed;
        return CoapHandlerResult.Respond;
    }
}
