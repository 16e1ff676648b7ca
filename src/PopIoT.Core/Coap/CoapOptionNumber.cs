namespace PopIoT.Core.Coap;

/// <summary>Option numbers known to PopIoT (RFC 7252 §5.10, §12.2 and later RFCs).</summary>
public static class CoapOptionNumber
{
    /// <summary>1 If-Match (RFC 7252 §5.10.8.1).</summary>
    public const int IfMatch = 1;

    /// <summary>3 Uri-Host.</summary>
    public const int UriHost = 3;

    /// <summary>4 ETag.</summary>
    public const int ETag = 4;

    /// <summary>5 If-None-Match.</summary>
    public const int IfNoneMatch = 5;

    /// <summary>6 Observe (RFC 7641 §2).</summary>
    public const int Observe = 6;

    /// <summary>7 Uri-Port.</summary>
    public const int UriPort = 7;

    /// <summary>8 Location-Path.</summary>
    public const int LocationPath = 8;

    /// <summary>9 OSCORE (RFC 8613 §2).</summary>
    public const int Oscore = 9;

    /// <summary>11 Uri-Path.</summary>
    public const int UriPath = 11;

    /// <summary>12 Content-Format.</summary>
    public const int ContentFormat = 12;

    /// <summary>14 Max-Age.</summary>
    public const int MaxAge = 14;

    /// <summary>15 Uri-Query.</summary>
    public const int UriQuery = 15;

    /// <summary>17 Accept.</summary>
    public const int Accept = 17;

    /// <summary>20 Location-Query.</summary>
    public const int LocationQuery = 20;

    /// <summary>23 Block2 (RFC 7959 §2.1).</summary>
    public const int Block2 = 23;

    /// <summary>27 Block1 (RFC 7959 §2.1).</summary>
    public const int Block1 = 27;

    /// <summary>28 Size2 (RFC 7959 §4).</summary>
    public const int Size2 = 28;

    /// <summary>35 Proxy-Uri.</summary>
    public const int ProxyUri = 35;

    /// <summary>39 Proxy-Scheme.</summary>
    public const int ProxyScheme = 39;

    /// <summary>60 Size1.</summary>
    public const int Size1 = 60;

    /// <summary>252 Echo (RFC 9175 §2.2).</summary>
    public const int Echo = 252;

    /// <summary>292 Request-Tag (RFC 9175 §3.2).</summary>
    public const int RequestTag = 292;
}
