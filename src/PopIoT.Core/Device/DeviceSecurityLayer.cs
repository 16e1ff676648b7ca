using PopIoT.Core.Coap;

namespace PopIoT.Core.Device;

/// <summary>
/// The request handler the runtime's message layer calls: the security layer, today the ACE engine with OSCORE
/// (RFC 8613 §8.2, RFC 9203). It reaches the engine through the runtime, since a configuration record read at start can
/// replace the engine the layer was built with.
/// </summary>
internal sealed class DeviceSecurityLayer : ICoapRequestHandler
{
    private readonly DeviceRuntime _runtime;

    public DeviceSecurityLayer(DeviceRuntime runtime)
    {
        _runtime = runtime;
    }

    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
    {
        return _runtime.HandleSecured(peer, request, response);
    }
}
