using System.Globalization;
using System.Net;
using PopIoT.Core.Ace;
using PopIoT.Core.Coap;

namespace PopIoT.Device;

/// <summary>
/// One security decision of a <see cref="SimulatedDevice"/>, copied from the engine's <see cref="AceDecision"/>, with the
/// peer's address. <see cref="ToString"/> is the log line (docs/device.md, "Log lines"), e.g.
/// <c>2026-11-30T10:15:02Z TokenRejected reason=TokenVerificationFailed code=4.01 POST /authz-info peer=127.0.0.1:40000</c>.
/// </summary>
/// <param name="Time">When (the device's time source).</param>
/// <param name="Kind">What the decision was about.</param>
/// <param name="Reason">Why it was refused, or <see cref="AceRsError.None"/>.</param>
/// <param name="Code">The CoAP response code sent (0 for events without one, such as an eviction).</param>
/// <param name="Method">The request method (1 GET, 2 POST ...), or 0.</param>
/// <param name="Path">The resource path, or null.</param>
/// <param name="Peer">The client's address, or null.</param>
/// <param name="Slot">The token slot involved, or -1.</param>
public sealed record SecurityDecision(DateTimeOffset Time, AceDecisionKind Kind, AceRsError Reason, byte Code, byte Method, string? Path, IPEndPoint? Peer, int Slot)
{
    /// <summary>Whether the decision refused something.</summary>
    public bool IsRejection => Reason != AceRsError.None;

    /// <summary>The log line: time, kind, reason=NAME (none when accepted), code, method and path, peer, slot.</summary>
    /// <returns>One line.</returns>
    public override string ToString()
    {
        var parts = new List<string>
        {
            Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            Kind.ToString(),
            "reason=" + (Reason == AceRsError.None ? "none" : AceRsErrors.Name(Reason)),
        };
        if (Code != 0)
        {
            parts.Add("code=" + (Code >> 5).ToString(CultureInfo.InvariantCulture) + "." + (Code & 0x1f).ToString("D2", CultureInfo.InvariantCulture));
        }

        if (Method != 0)
        {
            parts.Add(MethodName(Method));
        }

        if (Path != null)
        {
            parts.Add(Path);
        }

        if (Peer != null)
        {
            parts.Add("peer=" + Peer);
        }

        if (Slot >= 0)
        {
            parts.Add("slot=" + Slot.ToString(CultureInfo.InvariantCulture));
        }

        return string.Join(' ', parts);
    }

    private static string MethodName(byte method) => method switch
    {
        CoapCode.Get => "GET",
        CoapCode.Post => "POST",
        CoapCode.Put => "PUT",
        CoapCode.Delete => "DELETE",
        CoapCode.Fetch => "FETCH",
        _ => "0." + method.ToString("D2", CultureInfo.InvariantCulture),
    };
}
