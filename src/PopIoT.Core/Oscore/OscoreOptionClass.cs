using PopIoT.Core.Coap;

namespace PopIoT.Core.Oscore;

/// <summary>
/// The protection class of each CoAP option (RFC 8613 §4.1, Figure 5): E options are encrypted and integrity
/// protected (Inner), U options stay Unprotected (Outer), I options are Outer but integrity protected (none is defined
/// by RFC 8613). Options not in the table are class E (RFC 8613 §4.1: "unknown options ... processed as class E").
/// </summary>
public static class OscoreOptionClass
{
    /// <summary>258 No-Response (RFC 7967), class E and U in RFC 8613 Figure 5.</summary>
    public const int NoResponse = 258;

    /// <summary>Whether <paramref name="number"/> is class E: an Inner option.</summary>
    /// <param name="number">The option number.</param>
    /// <returns>True for class E.</returns>
    public static bool IsClassE(int number)
    {
        switch (number)
        {
            // RFC 8613 Figure 5: the options that are U only.
            case CoapOptionNumber.UriHost:
            case CoapOptionNumber.UriPort:
            case CoapOptionNumber.Oscore:
            case CoapOptionNumber.ProxyUri:
            case CoapOptionNumber.ProxyScheme:
                return false;
            default:
                return true;
        }
    }

    /// <summary>Whether <paramref name="number"/> is class U: it may appear as an Outer option.</summary>
    /// <param name="number">The option number.</param>
    /// <returns>True for class U.</returns>
    public static bool IsClassU(int number)
    {
        switch (number)
        {
            case CoapOptionNumber.UriHost:
            case CoapOptionNumber.Observe:
            case CoapOptionNumber.UriPort:
            case CoapOptionNumber.Oscore:
            case CoapOptionNumber.MaxAge:
            case CoapOptionNumber.Block2:
            case CoapOptionNumber.Block1:
            case CoapOptionNumber.Size2:
            case CoapOptionNumber.ProxyUri:
            case CoapOptionNumber.ProxyScheme:
            case CoapOptionNumber.Size1:
            case NoResponse:
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Whether a sender keeps <paramref name="number"/> as an Outer option too when protecting. Only Observe is sent both
    /// Inner and Outer by an OSCORE endpoint (RFC 8613 §4.1.3.5); Outer Block options are added afterwards by outer
    /// block-wise (§4.1.3.4.2), and the other E+U options need no Outer copy from the endpoint.
    /// </summary>
    /// <param name="number">The option number.</param>
    /// <returns>True when the Outer copy stays.</returns>
    public static bool IsKeptOuter(int number) => !IsClassE(number) || number == CoapOptionNumber.Observe;
}
