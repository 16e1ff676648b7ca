using PopIoT.Core.Coap;
using PopIoT.Core.Oscore;

namespace PopIoT.Core;

/// <summary>
/// The security binding a verifying layer attaches to a request (<see cref="CoapMessage.Security"/>): how it was
/// protected, the token slot, the rights granted and the OSCORE exchange its response, separate response or
/// notifications are protected with (RFC 8613 §8.3, §4.1.3.5). Every response is protected from this value, never from
/// "the last" request's state. Preallocated by its layer; whoever answers later keeps a copy (<see cref="CopyFrom"/>).
/// </summary>
public sealed class RequestSecurity
{
    /// <summary>Creates an unprotected binding.</summary>
    public RequestSecurity()
    {
        Clear();
    }

    /// <summary>How the request was protected.</summary>
    public RequestProtection Protection { get; private set; }

    /// <summary>Whether the request was protected (its response must be too).</summary>
    public bool IsProtected
    {
        get { return Protection != RequestProtection.None; }
    }

    /// <summary>The token slot whose context verified the request, or -1.</summary>
    public int Slot { get; private set; }

    /// <summary>The methods the token grants on the request's resource (<see cref="CoapMethods"/> flags), or -1 when no token limits them.</summary>
    public int GrantedMethods { get; private set; }

    /// <summary>The OSCORE exchange of the request (RFC 8613 §8.2: context and request Partial IV).</summary>
    public OscoreExchange Exchange { get; } = new OscoreExchange();

    /// <summary>Marks the request as verified by OSCORE under <see cref="Exchange"/>.</summary>
    /// <param name="slot">The token slot, or -1.</param>
    /// <param name="grantedMethods">The methods granted on the resource.</param>
    public void SetOscore(int slot, int grantedMethods)
    {
        Protection = RequestProtection.Oscore;
        Slot = slot;
        GrantedMethods = grantedMethods;
        Session = -1;
    }

    /// <summary>Marks the request as received over the DTLS session <paramref name="session"/> (RFC 9202 §3.4).</summary>
    /// <param name="slot">The token slot bound to the session, or -1 when no token is bound (plain PSK).</param>
    /// <param name="grantedMethods">The methods granted on the resource, or -1 when no token limits them.</param>
    /// <param name="session">The DTLS session (the engine's peer index) the response must go back over.</param>
    public void SetDtls(int slot, int grantedMethods, int session)
    {
        Protection = RequestProtection.Dtls;
        Slot = slot;
        GrantedMethods = grantedMethods;
        Session = session;
        Exchange.Clear();
    }

    /// <summary>The DTLS session the request arrived over (<see cref="RequestProtection.Dtls"/>), or -1.</summary>
    public int Session { get; private set; }

    /// <summary>Back to unprotected, with no exchange.</summary>
    public void Clear()
    {
        Protection = RequestProtection.None;
        Slot = -1;
        GrantedMethods = 0;
        Session = -1;
        Exchange.Clear();
    }

    /// <summary>Copies another binding (null copies "unprotected"), to answer its request later.</summary>
    /// <param name="other">The binding to copy.</param>
    public void CopyFrom(RequestSecurity other)
    {
        if (other == null)
        {
            Clear();
            return;
        }

        Protection = other.Protection;
        Slot = other.Slot;
        GrantedMethods = other.GrantedMethods;
        Session = other.Session;
        Exchange.CopyFrom(other.Exchange);
    }
}
