using PopIoT.Coap;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Device;

/// <summary>
/// The Core <see cref="AceResourceServer"/> as the OSCORE layer of a <see cref="CoapServer"/>: every request goes
/// through the engine (after the server advanced the engine's time through <see cref="Advance"/>), and the resources
/// the engine authorises are handed to the server's own router, so Block-wise, Observe and separate responses work as
/// for any resource. It tells the server when a request reached a resource verified, and with which binding, so
/// notifications are protected with it, and whether each notification is still authorised by the token
/// (<see cref="AceResourceServer.CheckNotification"/>).
/// Runs under the server's gate.
/// </summary>
internal sealed class AceServerLayer : IOscoreServerLayer, INotificationGuard
{
    private readonly Func<long> _now;
    private ICoapRequestHandler? _router;
    private bool _verified;
    private long _last = long.MinValue;

    public AceServerLayer(AceResourceServer engine, Func<long> now)
    {
        Engine = engine;
        _now = now;
    }

    public AceResourceServer Engine { get; }

    public bool LastRequestVerified => _verified;

    public OscoreExchange LastExchange => Engine.LastExchange;

    /// <summary>Binds the layer to the server's router (called once, from the server's constructor).</summary>
    public IOscoreServerLayer Bind(ICoapRequestHandler router)
    {
        _router = router;
        return this;
    }

    /// <summary>Declares a resource to the engine; it reaches the router only when the engine allows the request.</summary>
    public CoapResource Add(string path, int methods, bool isProtected) => isProtected
        ? Engine.AddProtectedResource(path, methods, new Forward(this, true))
        : Engine.AddUnprotectedResource(path, methods, new Forward(this, false));

    public long ReadClock() => _now();

    /// <summary>Advances the engine's time (never backwards, as it requires); drops expired tokens.</summary>
    public void Advance(long now)
    {
        if (now > _last)
        {
            _last = now;
            Engine.Tick(now);
        }
    }

    public int CheckNotification(OscoreExchange binding, string path, long now) => Engine.CheckNotification(binding, path, now) switch
    {
        AceNotificationCheck.Allowed => 0,

        // RFC 9200 §5.10.3: an expired token ends a long-running request with 4.01.
        AceNotificationCheck.Expired => CoapCode.Unauthorized,

        // RFC 9200 §5.10.2: the same answer a GET of the path now gets.
        AceNotificationCheck.Forbidden => CoapCode.Forbidden,
        AceNotificationCheck.MethodNotAllowed => CoapCode.MethodNotAllowed,
        _ => -1,
    };

    public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
    {
        // The server advanced the clock just before this datagram (INotificationGuard), after ending the observations
        // whose tokens expired while their keys could still protect the final 4.01; reading the clock again here could
        // drop a token between the two and leave its observation without that response.
        _verified = false;
        return Engine.HandleRequest(peer, request, response);
    }

    private sealed class Forward(AceServerLayer layer, bool isProtected) : ICoapRequestHandler
    {
        public CoapHandlerResult HandleRequest(int peer, CoapMessage request, CoapMessage response)
        {
            layer._verified = isProtected;
            try
            {
                return layer._router!.HandleRequest(peer, request, response);
            }
            finally
            {
                layer._verified = false;
            }
        }
    }
}
