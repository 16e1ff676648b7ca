using PopIoT.Core.Oscore;

namespace PopIoT.Coap;

/// <summary>
/// What a <see cref="CoapServer"/> asks its OSCORE layer about observations registered under OSCORE when that layer
/// authorises requests with tokens (the simulated device's ACE engine): whether each notification is still authorised,
/// and the layer's own clock, which the server advances before every request and notification and whenever its host's
/// clock ticks (<see cref="CoapServer.RunHousekeeping"/>), so a token's lifetime ends an observation even when no
/// request arrives (RFC 9200 §5.10.3).
/// </summary>
internal interface INotificationGuard
{
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
