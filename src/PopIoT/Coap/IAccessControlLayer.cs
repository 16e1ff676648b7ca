using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Coap;

/// <summary>
/// The layer a <see cref="CoapServer"/> puts in front of its resources when it authorises requests with tokens (the
/// simulated device's ACE engine). It owns the server's one routing table, attaches each verified request's
/// <see cref="Core.RequestSecurity"/> to the request, says whether each notification is still authorised, and has its own
/// clock, which the server advances before every request and notification and whenever its host's clock ticks
/// (<see cref="CoapServer.RunHousekeeping"/>), so a token's lifetime ends an observation even when no request arrives
/// (RFC 9200 §5.10.3).
/// </summary>
internal interface IAccessControlLayer : ICoapRequestHandler
{
    /// <summary>Declares a resource with its access rule; its handler is reached only when the layer allows the request.</summary>
    /// <param name="resource">The resource (attributes set).</param>
    /// <param name="isProtected">Whether a token must grant the method.</param>
    void Add(CoapResource resource, bool isProtected);

    /// <summary>The layer's current time (its engine's units); read first, checked against, then passed to <see cref="Advance"/>.</summary>
    /// <returns>The time.</returns>
    long ReadClock();

    /// <summary>
    /// Whether a notification of <paramref name="path"/> may go out under <paramref name="binding"/> at
    /// <paramref name="now"/>: 0 to send it; a 4.xx code for the final response that ends the observation (protected
    /// under the binding, without Observe: RFC 7641 §4.2); or -1 when the binding's keys are gone and the observation
    /// ends without a message.
    /// </summary>
    /// <param name="binding">The binding the observation was registered under.</param>
    /// <param name="path">The observed path.</param>
    /// <param name="now">The time from <see cref="ReadClock"/>.</param>
    /// <returns>0, a CoAP code, or -1.</returns>
    int CheckNotification(OscoreExchange binding, string path, long now);

    /// <summary>Advances the layer to <paramref name="now"/> (expired tokens dropped, their keys erased).</summary>
    /// <param name="now">The time from <see cref="ReadClock"/>.</param>
    void Advance(long now);
}
