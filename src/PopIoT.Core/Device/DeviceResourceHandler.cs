using PopIoT.Core.Coap;

namespace PopIoT.Core.Device;

/// <summary>The handler of one of the device's resources in the engine's routing table: it hands the request, with its resource number, to <see cref="DeviceResources"/>.</summary>
internal sealed class DeviceResourceHandler : ICoapRequestHandler
{
    private readonly DeviceResources _resources;
    private readonly int _resource;

    public DeviceResourceHandler(DeviceResources resources, int resource)
    {
        _resources = resources;
        _resource = resource;
    }

    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
    {
        return _resources.Serve(_resource, peer, request, response);
    }
}
