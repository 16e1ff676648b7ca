namespace PopIoT.Core.Coap;

/// <summary>
/// Code constants, an 8-bit value written c.dd with a 3-bit class and a 5-bit detail (RFC 7252 §3, §12.1).
/// Class 0 holds the methods, 2 success, 4 client error, 5 server error; classes 1, 6 and 7 are reserved.
/// </summary>
public static class CoapCode
{
    /// <summary>0.00: an Empty message (RFC 7252 §4.1).</summary>
    public const byte Empty = 0x00;

    /// <summary>0.01 GET.</summary>
    public const byte Get = 0x01;

    /// <summary>0.02 POST.</summary>
    public const byte Post = 0x02;

    /// <summary>0.03 PUT.</summary>
    public const byte Put = 0x03;

    /// <summary>0.04 DELETE.</summary>
    public const byte Delete = 0x04;

    /// <summary>0.05 FETCH (RFC 8132).</summary>
    public const byte Fetch = 0x05;

    /// <summary>0.06 PATCH (RFC 8132).</summary>
    public const byte Patch = 0x06;

    /// <summary>0.07 iPATCH (RFC 8132).</summary>
    public const byte IPatch = 0x07;

    /// <summary>2.01 Created.</summary>
    public const byte Created = 0x41;

    /// <summary>2.02 Deleted.</summary>
    public const byte Deleted = 0x42;

    /// <summary>2.03 Valid.</summary>
    public const byte Valid = 0x43;

    /// <summary>2.04 Changed.</summary>
    public const byte Changed = 0x44;

    /// <summary>2.05 Content.</summary>
    public const byte Content = 0x45;

    /// <summary>2.31 Continue (RFC 7959 §2.9.1).</summary>
    public const byte Continue = 0x5F;

    /// <summary>4.00 Bad Request.</summary>
    public const byte BadRequest = 0x80;

    /// <summary>4.01 Unauthorized.</summary>
    public const byte Unauthorized = 0x81;

    /// <summary>4.02 Bad Option.</summary>
    public const byte BadOption = 0x82;

    /// <summary>4.03 Forbidden.</summary>
    public const byte Forbidden = 0x83;

    /// <summary>4.04 Not Found.</summary>
    public const byte NotFound = 0x84;

    /// <summary>4.05 Method Not Allowed.</summary>
    public const byte MethodNotAllowed = 0x85;

    /// <summary>4.06 Not Acceptable.</summary>
    public const byte NotAcceptable = 0x86;

    /// <summary>4.08 Request Entity Incomplete (RFC 7959 §2.9.2).</summary>
    public const byte RequestEntityIncomplete = 0x88;

    /// <summary>4.12 Precondition Failed.</summary>
    public const byte PreconditionFailed = 0x8C;

    /// <summary>4.13 Request Entity Too Large (RFC 7252 §5.9.2.9, RFC 7959 §2.9.3).</summary>
    public const byte RequestEntityTooLarge = 0x8D;

    /// <summary>4.15 Unsupported Content-Format.</summary>
    public const byte UnsupportedContentFormat = 0x8F;

    /// <summary>4.29 Too Many Requests (RFC 8516 §3: retry after Max-Age seconds).</summary>
    public const byte TooManyRequests = 0x9D;

    /// <summary>5.00 Internal Server Error.</summary>
    public const byte InternalServerError = 0xA0;

    /// <summary>5.01 Not Implemented.</summary>
    public const byte NotImplemented = 0xA1;

    /// <summary>5.02 Bad Gateway.</summary>
    public const byte BadGateway = 0xA2;

    /// <summary>5.03 Service Unavailable.</summary>
    public const byte ServiceUnavailable = 0xA3;

    /// <summary>5.04 Gateway Timeout.</summary>
    public const byte GatewayTimeout = 0xA4;

    /// <summary>5.05 Proxying Not Supported.</summary>
    public const byte ProxyingNotSupported = 0xA5;

    /// <summary>Builds a code from its class and detail.</summary>
    /// <param name="codeClass">The class, 0..7.</param>
    /// <param name="detail">The detail, 0..31.</param>
    /// <returns>The 8-bit code.</returns>
    public static byte Make(int codeClass, int detail) => (byte)(((codeClass & 7) << 5) | (detail & 0x1F));

    /// <summary>The class (the c of c.dd).</summary>
    /// <param name="code">The code.</param>
    /// <returns>0..7.</returns>
    public static int ClassOf(byte code) => code >> 5;

    /// <summary>The detail (the dd of c.dd).</summary>
    /// <param name="code">The code.</param>
    /// <returns>0..31.</returns>
    public static int DetailOf(byte code) => code & 0x1F;

    /// <summary>True for a request method: class 0 and not Empty (RFC 7252 §5.8).</summary>
    /// <param name="code">The code.</param>
    /// <returns>Whether the code is a method.</returns>
    public static bool IsRequest(byte code) => code != 0 && (code >> 5) == 0;

    /// <summary>True for a response code: class 2, 4 or 5 (RFC 7252 §5.9).</summary>
    /// <param name="code">The code.</param>
    /// <returns>Whether the code is a response.</returns>
    public static bool IsResponse(byte code)
    {
        int c = code >> 5;
        return c == 2 || c == 4 || c == 5;
    }

    /// <summary>True for classes 1, 6 and 7, which RFC 7252 §12.1 reserves.</summary>
    /// <param name="code">The code.</param>
    /// <returns>Whether the class is reserved.</returns>
    public static bool IsReservedClass(byte code)
    {
        int c = code >> 5;
        return c == 1 || c == 6 || c == 7;
    }
}
