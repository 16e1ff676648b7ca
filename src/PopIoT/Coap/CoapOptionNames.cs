using PopIoT.Core.Coap;

namespace PopIoT.Coap;

/// <summary>Names and value formats of the registered options, for printing.</summary>
public static class CoapOptionNames
{
    /// <summary>The registered name of an option number (RFC 7252 §12.2 and later), or the number as text.</summary>
    /// <param name="number">The option number.</param>
    /// <returns>The name.</returns>
    public static string Of(int number) => number switch
    {
        CoapOptionNumber.IfMatch => "If-Match",
        CoapOptionNumber.UriHost => "Uri-Host",
        CoapOptionNumber.ETag => "ETag",
        CoapOptionNumber.IfNoneMatch => "If-None-Match",
        CoapOptionNumber.Observe => "Observe",
        CoapOptionNumber.UriPort => "Uri-Port",
        CoapOptionNumber.LocationPath => "Location-Path",
        CoapOptionNumber.Oscore => "OSCORE",
        CoapOptionNumber.UriPath => "Uri-Path",
        CoapOptionNumber.ContentFormat => "Content-Format",
        CoapOptionNumber.MaxAge => "Max-Age",
        CoapOptionNumber.UriQuery => "Uri-Query",
        CoapOptionNumber.Accept => "Accept",
        CoapOptionNumber.LocationQuery => "Location-Query",
        CoapOptionNumber.Block2 => "Block2",
        CoapOptionNumber.Block1 => "Block1",
        CoapOptionNumber.Size2 => "Size2",
        CoapOptionNumber.ProxyUri => "Proxy-Uri",
        CoapOptionNumber.ProxyScheme => "Proxy-Scheme",
        CoapOptionNumber.Size1 => "Size1",
        CoapOptionNumber.Echo => "Echo",
        CoapOptionNumber.RequestTag => "Request-Tag",
        _ => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Whether the option's value is an unsigned integer (RFC 7252 §3.2).</summary>
    /// <param name="number">The option number.</param>
    /// <returns>True for uint options.</returns>
    public static bool IsUInt(int number) => number is CoapOptionNumber.Observe or CoapOptionNumber.UriPort or CoapOptionNumber.ContentFormat
        or CoapOptionNumber.MaxAge or CoapOptionNumber.Accept or CoapOptionNumber.Block2 or CoapOptionNumber.Block1
        or CoapOptionNumber.Size2 or CoapOptionNumber.Size1;

    /// <summary>Whether the option's value is text (RFC 7252 §3.2).</summary>
    /// <param name="number">The option number.</param>
    /// <returns>True for string options.</returns>
    public static bool IsString(int number) => number is CoapOptionNumber.UriHost or CoapOptionNumber.LocationPath or CoapOptionNumber.UriPath
        or CoapOptionNumber.UriQuery or CoapOptionNumber.LocationQuery or CoapOptionNumber.ProxyUri or CoapOptionNumber.ProxyScheme;
}
