namespace PopIoT.Core.Coap;

/// <summary>The value formats of CoAP options (RFC 7252 §3.2).</summary>
public enum CoapOptionFormat
{
    /// <summary>A zero-length sequence of bytes.</summary>
    Empty = 0,

    /// <summary>An opaque sequence of bytes.</summary>
    Opaque = 1,

    /// <summary>A non-negative integer in network byte order, using as few bytes as possible.</summary>
    Uint = 2,

    /// <summary>A UTF-8 string in Net-Unicode form (RFC 5198).</summary>
    String = 3,
}
