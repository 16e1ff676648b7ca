using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Coap;

/// <summary>The plain <see cref="OscoreServer"/> as a <see cref="CoapServer"/>'s <see cref="IOscoreServerLayer"/>.</summary>
internal sealed class OscoreServerLayer(OscoreServer server) : IOscoreServerLayer
{
    public OscoreServer Server { get; } = server;

    public bool LastRequestVerified => Server.LastStatus == OscoreStatus.Ok;

    public OscoreExchange LastExchange => Server.LastExchange;

    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response) => Server.HandleRequest(peer, request, response);
}
