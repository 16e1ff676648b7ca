using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Coap;

/// <summary>
/// The OSCORE layer a <see cref="CoapServer"/> puts between its message layer and its resources: the plain
/// <see cref="OscoreServer"/>, or the ACE resource-server engine of the simulated device. The server asks it, while a
/// request is being handled, whether that request was verified and with which binding (RFC 8613 §8.3), so it can protect
/// a separate response or the notifications of an observation (RFC 8613 §4.1.3.5) later.
/// </summary>
internal interface IOscoreServerLayer : ICoapRequestHandler
{
    /// <summary>Whether the request now being handled was verified (it reached the resource decrypted).</summary>
    bool LastRequestVerified { get; }

    /// <summary>The binding of that request; copy it to protect later.</summary>
    OscoreExchange LastExchange { get; }
}
