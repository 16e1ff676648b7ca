using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Device;

/// <summary>
/// The Core <see cref="AceResourceServer"/> as the access-control layer of a <see cref="CoapServer"/>: every request goes
/// through the engine (after the server advanced the engine's time through <see cref="Advance"/>), whose one routing
/// table hands the requests it authorises straight to the server's resources, with their
/// <see cref="Core.RequestSecurity"/> attached, so Block-wise, Observe and separate responses work as for any resource.
/// It tells the server whether each notification is still authorised by the token
/// (<see cref="AceResourceServer.CheckNotification"/>). Runs under the server's gate.
/// </summary>
internal sealed class AceServerLayer(AceResourceServer engine, Func<long> now) : IAccessControlLayer
{
    private long _last = long.MinValue;

    public AceResourceServer Engine { get; } = engine;

    public void Add(CoapResource resource, bool isProtected) => Engine.AddResource(resource, isProtected);

    public long ReadClock() => now();

    /// <summary>Advances the engine's time (never backwards, as it requires); drops expired tokens.</summary>
    public void Advance(long time)
    {
        if (time > _last)
        {
            _last = time;
            Engine.Tick(time);
        }
    }

    public int CheckNotification(OscoreExchange binding, string path, long time) => Engine.CheckNotification(binding, path, time) switch
    {
        AceNotificationCheck.Allowed => 0,

        // RFC 9200 §5.10.3: an expired token ends a long-running request with 4.01.
        AceNotificationCheck.Expired => CoapCode.Unauthorized,

        // RFC 9200 §5.10.2: the same answer a GET of the path now gets.
        AceNotificationCheck.Forbidden => CoapCode.Forbidden,
        AceNotificationCheck.MethodNotAllowed => CoapCode.MethodNotAllowed,
        _ => -1,
    };

    // The server advanced the clock just before this datagram (IAccessControlLayer), after ending the observations
    // whose tokens expired while their keys could still protect the final 4.01; reading the clock again here could
    // drop a token between the two and leave its observation without that response.
    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response) => Engine.HandleRequest(peer, request, response);
}
